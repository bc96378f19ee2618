// Package plan holds the decisions both of tok's binaries make about one
// request before any work is done: which profile it is for, whether the
// TOK_ISSUER family describes an ephemeral profile instead, whether debug
// logging is on; and at its end, how an error is printed and which exit
// code it maps to.
//
// The small front (internal/front) and tok-full (internal/cli) both call
// these functions, so a rule has one home: when the front serves a command
// line from the cache it must have picked the profile tok-full would have
// picked, and it must hand over exactly when tok-full would use a profile
// the front cannot see. The package uses the standard library only, so the
// front's hot path pays nothing for it.
package plan

import (
	"errors"
	"fmt"
	"io"
)

// Profile is the profile a request is for, by tok's precedence: the
// profile named on the command line (-p or the argument), else the one the
// Kubernetes cluster's exec extension names (cluster, "" when none), else
// TOK_PROFILE. "" means the stored default profile.
func Profile(flag, cluster string, getenv func(string) string) string {
	switch {
	case flag != "":
		return flag
	case cluster != "":
		return cluster
	}
	return getenv("TOK_PROFILE")
}

// Ephemeral reports whether TOK_ISSUER or TOK_TOKEN_URL describe the
// profile of a request whose named profile (by Profile) is profile: they
// do only when no profile is named, so they win over the stored default
// profile but never over -p, a cluster's profile or TOK_PROFILE.
// (tok-full also takes --issuer/--token-url, which the front never
// serves.)
func Ephemeral(profile string, getenv func(string) string) bool {
	return profile == "" && (getenv("TOK_ISSUER") != "" || getenv("TOK_TOKEN_URL") != "")
}

// Debug reports whether debug logging is on: --debug, or TOK_DEBUG set to
// anything but "", "0" and "false".
func Debug(flag bool, getenv func(string) string) bool {
	if flag {
		return true
	}
	v := getenv("TOK_DEBUG")
	return v != "" && v != "0" && v != "false"
}

// Exit codes. They are part of tok's interface: scripts branch on them.
// Keep them in sync with `tok help exit-codes` and docs/exit-codes.md.
const (
	ExitOK            = 0
	ExitError         = 1
	ExitUsage         = 2
	ExitLoginRequired = 4
	ExitCancelled     = 130
)

// Coder is an error that carries its own exit code: tok exec's child
// status (execrun.ExitError) or a usage error.
type Coder interface {
	error
	ExitCode() int
}

// Class gives every error that Is Err the exit code Code: tok-full's
// domain sentinels (login required → 4, no profile selected → 2).
type Class struct {
	Err  error
	Code int
}

// ExitCode maps err to tok's exit code: 0 for nil; the code of the first
// Coder in err's chain; else the code of the first class err Is; else 1.
func ExitCode(err error, classes ...Class) int {
	if err == nil {
		return ExitOK
	}
	var c Coder
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	for _, cl := range classes {
		if errors.Is(err, cl.Err) {
			return cl.Code
		}
	}
	return ExitError
}

// Print prints err as tok's one error line on w, "tok: MESSAGE", and
// nothing for nil or an error that says it is Quiet (the exit status of
// tok exec's child, which spoke for itself). Under debug, the cause an
// error keeps apart from its message for people (DebugCause) follows on
// a line of its own.
func Print(w io.Writer, err error, debug bool) {
	var q interface{ Quiet() bool }
	if err == nil || errors.As(err, &q) && q.Quiet() {
		return
	}
	fmt.Fprintf(w, "tok: %s\n", err)
	var c interface{ DebugCause() error }
	if debug && errors.As(err, &c) && c.DebugCause() != nil {
		fmt.Fprintf(w, "tok: debug: cause: %v\n", c.DebugCause())
	}
}

// Report prints err (Print) and returns its exit code (ExitCode): the
// last thing both binaries do.
func Report(w io.Writer, err error, debug bool, classes ...Class) int {
	Print(w, err, debug)
	return ExitCode(err, classes...)
}
