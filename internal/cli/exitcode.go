package cli

import (
	"errors"
	"fmt"

	"github.com/tok-cli/tok/internal/execrun"
	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/tokens"
)

// Exit codes. They are part of tok's interface: scripts branch on them.
// Keep them in sync with `tok help exit-codes` and docs/exit-codes.md.
const (
	ExitOK            = 0
	ExitError         = 1
	ExitUsage         = 2
	ExitLoginRequired = 4
	ExitCancelled     = 130
)

// usageError marks errors in how tok was called (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// reportedError sums up failures whose messages were printed already;
// kind, when set, is the sentinel that decides the exit code.
type reportedError struct {
	msg  string
	kind error
}

func (e *reportedError) Error() string { return e.msg }
func (e *reportedError) Unwrap() error { return e.kind }

// errCancelled is returned when the person cancels (Ctrl-C, Esc).
var errCancelled = errors.New("cancelled")

// exitCode maps an error to tok's exit code.
func exitCode(err error) int {
	var ee *execrun.ExitError
	var ue *usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, errCancelled):
		return ExitCancelled
	case errors.As(err, &ue), errors.Is(err, tokens.ErrNoProfile), errors.Is(err, tokens.ErrInvalidName):
		return ExitUsage
	case errors.Is(err, tokens.ErrLoginRequired), errors.Is(err, keysource.ErrLocked):
		return ExitLoginRequired
	}
	return ExitError
}

const exitCodesHelp = `tok's exit codes:

  0    success
  1    error (unknown profile, unreachable server, corrupted or locked
       database, unusable keyring, ...); the message says what to do
  2    usage error: bad flags or arguments, or no profile selected
  4    login required: no usable token and none can be obtained without a
       person (expired static token, refresh token expired or revoked,
       never logged in); run the command the message names, usually
       tok login -p NAME; or the passphrase-protected data key is
       locked and nobody can type the passphrase: run tok unlock
  130  cancelled by the person (Ctrl-C, Esc in the picker)

tok exec exits with the child's exit code, or 128+N when the child was
killed by signal N. As in the shell, a command that is not found gives 127
and one that exists but cannot be run (no execute permission, a directory)
126. Other errors of tok itself before the child starts use the codes
above.
`
