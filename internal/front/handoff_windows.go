//go:build windows

package front

import "os"

// execFull runs tok-full as a child with this process's streams and
// returns its exit code: Windows cannot replace a running process.
func execFull(path string, args []string) int {
	return runFullChild(path, args, os.Stdin)
}
