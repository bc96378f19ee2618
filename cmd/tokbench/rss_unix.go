//go:build unix

package main

import (
	"os"
	"syscall"
)

// maxRSSKiB is the peak resident set size of a finished process, in KiB
// (Linux reports ru_maxrss in KiB; macOS in bytes, which only makes the
// figure look larger there).
func maxRSSKiB(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return int64(ru.Maxrss)
	}
	return 0
}
