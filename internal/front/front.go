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
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/tok-cli/tok/internal/execcred"
	"github.com/tok-cli/tok/internal/execrun"
	"github.com/tok-cli/tok/internal/kernelkeys"
	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/output"
	"github.com/tok-cli/tok/internal/plan"
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
	return run(osDeps(), args)
}

// deps is what the front takes from its process besides the arguments.
// Main passes the process's own; tests pass a temporary home's
// environment, buffers, a fixed clock and a handOff that records the
// decision instead of exec'ing tok-full.
type deps struct {
	getenv  func(string) string
	environ func() []string // the environment of tok exec's child
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	now     func() time.Time
	// handOff gives the command line to tok-full and returns an exit
	// code. With stdin nil tok-full takes over this process (exec) and
	// the call returns only if that fails; otherwise tok-full runs as a
	// child reading stdin, the bytes the front already consumed.
	handOff func(args []string, stdin io.Reader) int
	// fullOutput runs tok-full as a child for tok exec's refresher and
	// returns its stdout and its warning, or why it failed.
	fullOutput func(ctx context.Context, args []string) (stdout []byte, warning string, err error)
}

// osDeps is the process's own environment, streams and clock, and
// handOff to the tok-full installed next to tok.
func osDeps() deps {
	return deps{
		getenv: os.Getenv, environ: os.Environ,
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		now: time.Now, handOff: handOffToFull, fullOutput: fullOutput,
	}
}

// run serves args from the cache or hands them to tok-full.
func run(d deps, args []string) int {
	if IsGitGet(args) {
		return gitGet(d, args)
	}
	code, served := serve(d, args)
	if served {
		return code
	}
	return d.handOff(args, nil)
}

// serve answers the command line from the cache. served=false means it did
// nothing visible and tok-full must take over.
func serve(d deps, args []string) (code int, served bool) {
	inv, ok := Parse(args)
	if !ok || plan.Debug(inv.Debug, d.getenv) {
		return 0, false
	}
	reader, err := newReader(d, inv.Home)
	if err != nil {
		return 0, false
	}
	ctx := context.Background()
	// An ephemeral profile (TOK_ISSUER or TOK_TOKEN_URL without a named
	// profile, even over a stored default) lives in tok-full's memory
	// only; kube never uses one.
	named := plan.Profile(inv.Profile, "", d.getenv) // kube adds its cluster's
	if inv.Command != "kube" && plan.Ephemeral(named, d.getenv) {
		return 0, false
	}

	switch {
	case inv.Command == "kube" || inv.Output == output.ExecCredential:
		info, err := execcred.ParseInfo(d.getenv(execcred.EnvVar))
		if err != nil {
			return 0, false
		}
		cluster, _ := execcred.ClusterProfile(info)
		cred, ok := lookup(ctx, reader, plan.Profile(inv.Profile, cluster, d.getenv), record.Options{Kubernetes: true})
		if !ok {
			return 0, false
		}
		return written(d, output.WriteExecCredential(d.stdout, info, cred, d.now())), true
	case inv.Command == "token":
		if !output.Valid(inv.Output) {
			return 0, false
		}
		cred, ok := lookup(ctx, reader, named, record.Options{AllowExpired: inv.AllowExpired})
		if !ok {
			return 0, false
		}
		return written(d, output.Write(d.stdout, cred, inv.Output, d.now())), true
	default:
		return runExec(ctx, d, reader, inv, named)
	}
}

// newReader is the cache reader of tok's database in home (--home; ""
// = TOK_HOME or the default).
func newReader(d deps, homeFlag string) (*record.Reader, error) {
	home, err := tokhome.Dir(homeFlag, d.getenv)
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
			Getenv:   d.getenv,
			Keyring:  kr,
			Cache:    kernelkeys.Cache{},
			NotFound: notFound,
		},
		KeySource: d.getenv("TOK_KEY_SOURCE"),
		Now:       d.now,
	}, nil
}

func lookup(ctx context.Context, r *record.Reader, name string, opts record.Options) (record.Credential, bool) {
	res, err := r.Lookup(ctx, name, opts)
	if err != nil || !res.Served {
		return record.Credential{}, false
	}
	return res.Credential, true
}

func runExec(ctx context.Context, d deps, reader *record.Reader, inv Invocation, name string) (int, bool) {
	spec := execrun.Spec{
		Argv:      inv.Argv,
		EnvNames:  inv.EnvNames,
		TokenFile: inv.TokenFile,
		Mask:      inv.Mask,
		Stdin:     d.stdin,
		Stdout:    d.stdout,
		Stderr:    d.stderr,
		Environ:   d.environ(),
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
	fetch := fetchWithFull(d, reader, cred, inv.Home)
	return exitCode(d, execrun.Run(ctx, spec, sigs, cred, fetch)), true
}

// written is the exit code after writing a credential.
func written(d deps, err error) int { return exitCode(d, err) }

// exitCode prints err as tok-full would (nothing for the bare exit status
// of tok exec's child) and returns tok's exit code. The front serves
// nothing under --debug, so there is no cause to show.
func exitCode(d deps, err error) int { return plan.Report(d.stderr, err, false) }
