package cli

import (
	"fmt"

	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/plan"
	"github.com/tok-cli/tok/internal/tokens"
)

// Exit codes (plan's, which the front uses too). They are part of tok's
// interface: scripts branch on them. Keep them in sync with
// `tok help exit-codes` and docs/exit-codes.md.
const (
	ExitOK            = plan.ExitOK
	ExitError         = plan.ExitError
	ExitUsage         = plan.ExitUsage
	ExitLoginRequired = plan.ExitLoginRequired
	ExitCancelled     = plan.ExitCancelled
)

// usageError marks errors in how tok was called (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }
func (e *usageError) ExitCode() int { return ExitUsage }

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

// cancelled is the person's cancellation (Ctrl-C, Esc): exit 130, also
// when it wraps an error that carries another code.
type cancelled struct{}

func (cancelled) Error() string { return "cancelled" }
func (cancelled) ExitCode() int { return ExitCancelled }

// errCancelled is returned when the person cancels (Ctrl-C, Esc).
var errCancelled error = cancelled{}

// domainExits are the exit codes of the domain's sentinel errors.
var domainExits = []plan.Class{
	{Err: tokens.ErrNoProfile, Code: ExitUsage},
	{Err: tokens.ErrInvalidName, Code: ExitUsage},
	{Err: tokens.ErrLoginRequired, Code: ExitLoginRequired},
	{Err: keysource.ErrLocked, Code: ExitLoginRequired},
}

// exitCode maps an error to tok's exit code.
func exitCode(err error) int { return plan.ExitCode(err, domainExits...) }

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
and one that exists but cannot be run (no execute permission, a directory,
or found only through a relative PATH entry such as .) 126. Other errors of
tok itself before the child starts use the codes above.
`
