//go:build windows

package front

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
)

// execFull runs tok-full as a child with this process's streams and
// returns its exit code: Windows cannot replace a running process. Ctrl-C
// reaches the child through the shared console, so tok only waits.
func execFull(path string, args []string) int {
	signal.Ignore(os.Interrupt)
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tok: could not run %s: %v\n", path, err)
		return 1
	}
	return 0
}
