//go:build !unix

package oidcprovider

import (
	"os/exec"
	"time"
)

func ownProcessGroup(*exec.Cmd) {}

// stopProcessGroup waits a moment for node to leave after its stdin closed,
// then kills it.
func stopProcessGroup(cmd *exec.Cmd, exited <-chan struct{}) {
	select {
	case <-exited:
	case <-time.After(2 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}
