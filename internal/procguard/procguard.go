// Package procguard hardens tok's own process. tok holds the data key and
// tokens in memory, so a core dump (ulimit -c unlimited and a crash) or a
// debugger attached by another process of the same user would hand them
// out. ssh-agent guards itself the same way.
//
// It also refuses a setuid or setgid tok: such an install would run
// tok-full, found beside tok or on the caller's PATH, with privileges the
// caller chose the program for.
package procguard

import (
	"errors"
	"os"
)

// ErrSetuid means tok runs with a real user or group that differs from
// the effective one.
var ErrSetuid = errors.New("tok refuses to run setuid or setgid (real and effective user or group differ); install it as a normal program: chmod u-s,g-s")

// RefuseSetuid returns ErrSetuid when the real and effective user or group
// IDs differ. (On Windows both are -1, so it never refuses there.)
func RefuseSetuid() error {
	return refuseIDs(os.Getuid(), os.Geteuid(), os.Getgid(), os.Getegid())
}

func refuseIDs(uid, euid, gid, egid int) error {
	if uid != euid || gid != egid {
		return ErrSetuid
	}
	return nil
}
