package procguard

import "golang.org/x/sys/unix"

// CoreLimit is a process's core-file size limit from before Harden, to give
// back to the children tok starts: rlimits are inherited, and a child of
// tok exec should dump core exactly as it would have without tok.
type CoreLimit struct {
	prev unix.Rlimit
	set  bool
}

// Harden marks this process non-dumpable (PR_SET_DUMPABLE=0: no core
// file, and no ptrace attach or /proc/PID/mem and environ reads by other
// processes of the same user) and sets RLIMIT_CORE to 0, for the case
// where the system dumps non-dumpable processes anyway (fs.suid_dumpable).
// Both stop at execve: programs tok runs are dumpable again. It returns
// the previous core limit.
func Harden() (CoreLimit, error) {
	err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	var l CoreLimit
	if gerr := unix.Getrlimit(unix.RLIMIT_CORE, &l.prev); gerr != nil {
		return CoreLimit{}, gerr
	}
	zero := unix.Rlimit{Cur: 0, Max: l.prev.Max}
	if serr := unix.Setrlimit(unix.RLIMIT_CORE, &zero); serr != nil {
		return CoreLimit{}, serr
	}
	l.set = true
	return l, err
}

// Starting runs start (which starts a child process) with this process's
// core limit set back to what it was before Harden, so the child inherits
// that limit from its first instruction, then sets it to 0 again. (Setting
// the child's limit after it started would race with the processes it
// starts at once.) Meanwhile this process stays non-dumpable. A zero
// CoreLimit just runs start.
func (l CoreLimit) Starting(start func() error) error {
	if !l.set {
		return start()
	}
	prev := l.prev
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &prev)
	err := start()
	zero := unix.Rlimit{Cur: 0, Max: prev.Max}
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &zero)
	return err
}

// Restore sets this process's core limit back, before it execs another
// program in its place.
func (l CoreLimit) Restore() error {
	if !l.set {
		return nil
	}
	prev := l.prev
	return unix.Setrlimit(unix.RLIMIT_CORE, &prev)
}
