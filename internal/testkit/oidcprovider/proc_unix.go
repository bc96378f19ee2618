//go:build unix

package oidcprovider

import (
	"os/exec"
	"syscall"
	"time"
)

// ownProcessGroup puts node in a process group of its own, so stopping the
// group also stops anything it started.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// stopProcessGroup asks the group to stop, then kills it if it has not
// exited within a few seconds; exited is closed once cmd.Wait returned.
func stopProcessGroup(cmd *exec.Cmd, exited <-chan struct{}) {
	select {
	case <-exited:
		return // reaped already: its id may belong to someone else by now
	default:
	}
	pgid := -cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-exited
	}
}
