//go:build unix

package secretservice

import (
	"os/exec"
	"syscall"
)

// ownGroup puts cmd in a process group of its own, so killGroup also ends
// anything the daemon started.
func ownGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func killGroup(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
