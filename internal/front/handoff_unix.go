//go:build !windows

package front

import (
	"fmt"
	"os"
	"syscall"
)

// execFull replaces this process with tok-full: same PID, terminal,
// signals and exit code, so kubectl and shells cannot tell the difference.
func execFull(path string, args []string) int {
	argv := append([]string{os.Args[0]}, args...)
	err := syscall.Exec(path, argv, os.Environ())
	fmt.Fprintf(os.Stderr, "tok: could not run %s: %v\n", path, err)
	return 1
}
