//go:build !linux

package procguard

// CoreLimit does nothing outside Linux.
type CoreLimit struct{}

// Harden does nothing outside Linux: there is no PR_SET_DUMPABLE, and
// lowering RLIMIT_CORE alone would be inherited by tok exec's children
// with no way to give it back per child.
func Harden() (CoreLimit, error) { return CoreLimit{}, nil }

// Starting runs start.
func (CoreLimit) Starting(start func() error) error { return start() }

// Restore does nothing outside Linux.
func (CoreLimit) Restore() error { return nil }
