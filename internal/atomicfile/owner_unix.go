//go:build unix

package atomicfile

import (
	"os"
	"syscall"
)

// keepOwner gives f the owner of old, so that `sudo tok …` does
// not leave a user's file owned by root. It is best effort: without
// the privilege to chown, the file keeps the caller's ownership, as it would
// had the caller written it in place.
func keepOwner(f *os.File, old os.FileInfo) {
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	if int(st.Uid) == os.Geteuid() && int(st.Gid) == os.Getegid() {
		return
	}
	_ = f.Chown(int(st.Uid), int(st.Gid))
}
