// Package front is the small `tok` binary: it answers `tok token`,
// `tok kube` and `tok exec` from the cache when the profile holds a token
// that can be handed out as it is, and hands every other command line to
// tok-full, the complete tok, by exec'ing it with the same arguments.
//
// The split exists for speed. kubectl and scripts run tok on every call,
// and a Go program pays at start-up for every package it links: the TUI,
// YAML, HTTP and OAuth libraries of the complete tok cost more than the
// whole cached-token budget. So this package links only the read path
// (internal/record, the store, the key sources) and must never import
// internal/cli, internal/tokens, internal/oauth, internal/tui or anything
// that pulls them in; internal/archtest's TestFrontStaysSmall enforces it.
//
// The front never explains failures itself: on anything but success
// (stale or missing token, no profile, a locked or damaged database, an
// unknown flag) it hands over to tok-full, which does the same read again
// and then refreshes, logs in, asks, or says what went wrong.
package front

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/tok-cli/tok/internal/execcred"
	"github.com/tok-cli/tok/internal/execrun"
	"github.com/tok-cli/tok/internal/kernelkeys"
	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/output"
	"github.com/tok-cli/tok/internal/procguard"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokhome"
)

// lockWait bounds how long the front waits for a database another process
// is writing. Writes take milliseconds; after this the front hands over to
// tok-full, which waits up to TOK_DB_TIMEOUT and explains a timeout.
const lockWait = 250 * time.Millisecond

// Main runs the front with the process's arguments and returns its exit
// code; it returns only when it served the command itself.
func Main() int {
	if err := procguard.RefuseSetuid(); err != nil {
		// Before anything else: a setuid tok would hand its privileges to
		// whichever tok-full the caller's PATH names.
		fmt.Fprintf(os.Stderr, "tok: %v\n", err)
		return 1
	}
	return MainArgs(helperArgs(os.Args[0], os.Args[1:]))
}

// MainArgs is Main with the command line args (without the program name).
func MainArgs(args []string) int {
	if err := procguard.RefuseSetuid(); err != nil {
		// Before anything else: a setuid tok would hand its privileges to
		// whichever tok-full the caller's PATH names.
		fmt.Fprintf(os.Stderr, "tok: %v\n", err)
		return 1
	}
	if IsGitGet(args) {
		return gitGet(args)
	}
	code, served := serve(args)
	if served {
		return code
	}
	return handOff(args)
}

// serve answers the command line from the cache. served=false means it did
// nothing visible and tok-full must take over.
func serve(args []string) (code int, served bool) {
	inv, ok := Parse(args)
	if !ok || inv.Debug || debugEnv(os.Getenv("TOK_DEBUG")) {
		return 0, false
	}
	reader, err := newReader(inv.Home)
	if err != nil {
		return 0, false
	}
	ctx := context.Background()
	name := inv.Profile
	// An ephemeral profile (TOK_ISSUER or TOK_TOKEN_URL without a named
	// profile) lives in tok-full's memory only; kube never uses one.
	if name == "" && os.Getenv("TOK_PROFILE") == "" && inv.Command != "kube" &&
		(os.Getenv("TOK_ISSUER") != "" || os.Getenv("TOK_TOKEN_URL") != "") {
		return 0, false
	}

	switch {
	case inv.Command == "kube" || inv.Output == output.ExecCredential:
		info, err := execcred.ParseInfo(os.Getenv(execcred.EnvVar))
		if err != nil {
			return 0, false
		}
		if p, ok := execcred.ClusterProfile(info); ok && name == "" {
			name = p
		}
		cred, ok := lookup(ctx, reader, profileOrEnv(name), record.Options{Kubernetes: true})
		if !ok {
			return 0, false
		}
		return written(output.WriteExecCredential(os.Stdout, info, cred, time.Now())), true
	case inv.Command == "token":
		if !output.Valid(inv.Output) {
			return 0, false
		}
		cred, ok := lookup(ctx, reader, profileOrEnv(name), record.Options{AllowExpired: inv.AllowExpired})
		if !ok {
			return 0, false
		}
		return written(output.Write(os.Stdout, cred, inv.Output, time.Now())), true
	default:
		return runExec(ctx, reader, inv, profileOrEnv(name))
	}
}

// newReader is the cache reader of tok's database in home (--home; ""
// = TOK_HOME or the default).
func newReader(homeFlag string) (*record.Reader, error) {
	home, err := tokhome.Dir(homeFlag, os.Getenv)
	if err != nil {
		return nil, err
	}
	st := store.New(home)
	st.LockTimeout = lockWait
	kr, notFound := osKeyring()
	return &record.Reader{
		Store: st,
		Keys: &keysource.Resolver{
			Home:     home,
			Getenv:   os.Getenv,
			Keyring:  kr,
			Cache:    kernelkeys.Cache{},
			NotFound: notFound,
		},
		KeySource: os.Getenv("TOK_KEY_SOURCE"),
	}, nil
}

func lookup(ctx context.Context, r *record.Reader, name string, opts record.Options) (record.Credential, bool) {
	res, err := r.Lookup(ctx, name, opts)
	if err != nil || !res.Served {
		return record.Credential{}, false
	}
	return res.Credential, true
}

func runExec(ctx context.Context, reader *record.Reader, inv Invocation, name string) (int, bool) {
	spec := execrun.Spec{
		Argv:      inv.Argv,
		EnvNames:  inv.EnvNames,
		TokenFile: inv.TokenFile,
		Mask:      inv.Mask,
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		Environ:   os.Environ(),
	}
	if spec.Validate() != nil {
		return 0, false
	}
	// tok exec's parent lives as long as its child, with the token (and
	// the data key while it reads) in memory: no core dumps, no ptrace.
	// The token path is too short-lived to bother.
	core, _ := procguard.Harden()
	cred, ok := lookup(ctx, reader, name, record.Options{})
	if !ok {
		// tok-full takes over in this process and must find the core
		// limit as it was.
		_ = core.Restore()
		return 0, false
	}
	spec.ChildCoreLimit = core
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, execrun.Forwarded...)
	defer signal.Stop(sigs)
	fetch := fetchWithFull(reader, cred, inv.Home)
	return exitCode(execrun.Run(ctx, spec, sigs, cred, fetch)), true
}

// profileOrEnv is the named profile, else TOK_PROFILE; "" means the
// default profile.
func profileOrEnv(name string) string {
	if name != "" {
		return name
	}
	return os.Getenv("TOK_PROFILE")
}

// debugEnv reports whether TOK_DEBUG asks for debug logs, which only
// tok-full writes.
func debugEnv(v string) bool { return v != "" && v != "0" && v != "false" }

// written is the exit code after writing a credential.
func written(err error) int {
	if err != nil {
		fmt.Fprintf(os.Stderr, "tok: %v\n", err)
		return 1
	}
	return 0
}

// exitCode prints err as tok-full would and returns tok's exit code.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *execrun.ExitError
	if !errors.As(err, &ee) {
		fmt.Fprintf(os.Stderr, "tok: %v\n", err)
		return 1
	}
	if ee.Err != nil {
		fmt.Fprintf(os.Stderr, "tok: %v\n", ee.Err)
	}
	return ee.Code
}
