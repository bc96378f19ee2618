// Package cli is tok-full's command line: the cobra tree, flag and
// environment handling, output formats, and the mapping of errors to exit
// codes. It wires the store, key sources and OAuth client into a
// tokens.Service; the decisions the small front makes too (which profile,
// whether TOK_ISSUER describes an ephemeral profile, TOK_DEBUG, exit
// codes) come from internal/plan, which both call.
//
// # How a command is built
//
// Main builds one Deps: the streams, getenv, the clock, the browser opener,
// and the store, key source and tokens.Service, which are built on first
// use (Deps.service) so that a command that needs none of them, or the
// cached-token path, pays nothing for them. Every command constructor
// takes the Deps and never changes it while running:
//
//	type tokenOptions struct { Profile, Output string; ... }  // what the command line says
//
//	func newCmdToken(d *Deps, runF func(*tokenOptions) error) *cobra.Command
//	    // only parses flags and arguments into a tokenOptions, then calls
//	    // runF (a test's) or d.runToken
//	func (d *Deps) runToken(ctx context.Context, opts *tokenOptions) error
//	    // does the work with d's dependencies and opts' inputs
//
// Rules that keep commands independent and testable in process:
//   - Options hold everything the command line says, the profile included:
//     -p or the profile argument is read with d.namedProfile(args) into
//     Options.Profile; nothing writes to d after parsing.
//   - A command that uses another service (the ephemeral profile's, in
//     memory) holds it in a local variable and passes it on; d's service
//     is never swapped.
//   - Warnings of a call go where the caller says per call
//     (tokens.WithWarn on its context), never by changing Service.Warn.
//   - Output goes to d.io (stdout for data, stderr for people); errors are
//     returned, and Main prints them once.
//
// Tests come in pairs: TestNewCmdX runs the command line through the root's
// flags with a runF that captures the Options; TestXRun calls d.runX with
// in-memory streams (iostreams.Test), a bbolt store under t.TempDir, a file
// key and the in-process OAuth server (internal/testkit/authserver). See
// token_test.go. The end-to-end suite (internal/e2e) keeps what only
// processes show: the two binaries, signals, locks across processes, the
// real keyring, kubectl, a pty.
package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/execrun"
	"github.com/tok-cli/tok/internal/iostreams"
	"github.com/tok-cli/tok/internal/kernelkeys"
	"github.com/tok-cli/tok/internal/keyring"
	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/opener"
	"github.com/tok-cli/tok/internal/plan"
	"github.com/tok-cli/tok/internal/procguard"
	"github.com/tok-cli/tok/internal/sharedcache"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/termguard"
	"github.com/tok-cli/tok/internal/tokens"
	"github.com/tok-cli/tok/internal/tokhome"
)

// Main runs tok with the process's arguments and returns its exit code.
func Main() int {
	termguard.Restore()
	if err := procguard.RefuseSetuid(); err != nil {
		fmt.Fprintf(os.Stderr, "tok: %v\n", err)
		return ExitError
	}
	// Best effort: a kernel that refuses only loses the protection.
	core, _ := procguard.Harden()
	ios := iostreams.System()
	d := newDeps(ios, os.Getenv)
	d.coreLimit = core
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root := NewRootCmd(d)
	root.SetArgs(os.Args[1:])
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && ctx.Err() != nil && !isExitError(err) {
		// What was interrupted is the person's own doing; how it surfaced
		// inside (context canceled) is for --debug.
		err = &tokens.Failure{Kind: errCancelled, Msg: cmd.CommandPath() + " was cancelled", Cause: err}
	}
	code := d.finish(err)
	// The outcome is printed; let the browser's result page be reloaded
	// for a moment before the process (and its listener) ends.
	d.lingering.Wait()
	return code
}

func isExitError(err error) bool {
	var ee *execrun.ExitError
	return errors.As(err, &ee)
}

// Deps is what tok-full's commands depend on. Main builds one; tests build
// theirs with in-memory streams, a chosen environment and clock. The
// global flags are parsed into it before a command runs; after that
// commands only read it (see the package doc).
type Deps struct {
	io          *iostreams.IOStreams
	getenv      func(string) string
	now         func() time.Time
	openBrowser func(url string) error
	// coreLimit is the core-file limit tok had before procguard.Harden,
	// for tok exec's child.
	coreLimit procguard.CoreLimit

	// The global flags (root's persistent flags).
	homeFlag    string
	profileFlag string // -p; commands read it through namedProfile
	debug       bool
	// passphraseStdin (--passphrase-stdin) reads passphrases from stdin.
	passphraseStdin bool
	ran             bool // a command's RunE started: errors after this are not usage errors

	// svc is built on first use by service; newService builds others
	// (the ephemeral profile's) that commands hold themselves.
	svc *tokens.Service
	log *slog.Logger
	// lingering is done when background work a command started (the
	// browser login's result page) has stopped.
	lingering *sync.WaitGroup
}

// withStreams is a Deps like d that talks to the person on ios (the
// controlling terminal of a credential helper, whose stdin and stdout
// belong to git or docker). It shares d's service and lingering work;
// d itself is not changed.
func (d *Deps) withStreams(ios *iostreams.IOStreams) *Deps {
	c := *d
	c.io = ios
	return &c
}

// newDeps is the Deps of a run with these streams and environment, the
// real clock and the real browser opener.
func newDeps(ios *iostreams.IOStreams, getenv func(string) string) *Deps {
	return &Deps{
		io:          ios,
		getenv:      getenv,
		now:         time.Now,
		openBrowser: opener.Opener{Getenv: getenv}.Open,
		lingering:   &sync.WaitGroup{},
	}
}

// finish prints err once and returns the exit code.
func (d *Deps) finish(err error) int {
	if err == nil {
		return ExitOK
	}
	if !d.ran && !isExitError(err) && !errors.Is(err, errCancelled) {
		var ue *usageError
		if !errors.As(err, &ue) {
			err = &usageError{err}
		}
	}
	return plan.Report(d.io.ErrOut, err, d.debug, domainExits...)
}

// printError prints err as tok's one line; under --debug the cause a
// tokens.Failure keeps apart follows on a line of its own.
func (d *Deps) printError(err error) { plan.Print(d.io.ErrOut, err, d.debug) }

// NewRootCmd builds tok's command tree; NewDocsRootCmd builds the same
// tree for cmd/gendocs.
func NewRootCmd(d *Deps) *cobra.Command {
	root := &cobra.Command{
		Use:   "tok",
		Short: "Keep short-lived access tokens fresh for people, scripts, kubectl and CI",
		Long: `tok keeps named profiles for OAuth 2.0 / OpenID Connect providers and static
API tokens, stores their secrets sealed under a key in the OS keyring, and
refreshes access tokens before they expire, so every caller gets a valid token.

  tok profile add api --type oauth --issuer https://id.example.com --client-id tok
  tok login -p api
  TOKEN=$(tok token -p api)
  tok exec -p api -- sh -c 'printf "Authorization: Bearer %s\n" "$TOK_TOKEN" | curl -H @- https://api.example.com'`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			d.ran = true
			d.setupLogging()
			return nil
		},
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// A person at a terminal gets the picker; everyone else help.
			if !d.io.CanDraw() {
				return cmd.Help()
			}
			svc, err := d.service()
			if err != nil {
				return err
			}
			if names, err := svc.ProfileNames(); err == nil && len(names) == 0 {
				return d.offerFirstProfile(cmd.Context())
			}
			name, err := d.chooseProfile(cmd.Context())
			if err != nil {
				return err
			}
			ps, err := svc.Status(name)
			if err != nil {
				return err
			}
			return d.writeProfileDetail(ps)
		},
	}
	root.SetOut(d.io.Out)
	root.SetErr(d.io.ErrOut)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%w; see: %s --help", err, cmd.CommandPath())}
	})

	d.addGlobalFlags(root)

	root.AddGroup(
		&cobra.Group{ID: "tokens", Title: "Tokens:"},
		&cobra.Group{ID: "profiles", Title: "Profiles:"},
		&cobra.Group{ID: "kubernetes", Title: "Kubernetes:"},
		&cobra.Group{ID: "helpers", Title: "Credential helpers:"},
		&cobra.Group{ID: "setup", Title: "Setup and information:"},
	)
	for _, c := range []*cobra.Command{newCmdToken(d, nil), newCmdExec(d, nil), newCmdLogin(d, nil), newCmdRefresh(d, nil), newCmdRevoke(d, nil), newInspectCmd(d)} {
		c.GroupID = "tokens"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newCmdProfile(d), newCmdUse(d, nil), newCmdStatus(d, nil)} {
		c.GroupID = "profiles"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newCmdKube(d, nil), newCmdKubeconfig(d, nil)} {
		c.GroupID = "kubernetes"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newCmdGitCredential(d, nil), newCmdDockerCredential(d, nil), newCmdDocker(d, nil)} {
		c.GroupID = "helpers"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newConfigCmd(d), newUnlockCmd(d), newLockCmd(d), newVersionCmd(d)} {
		c.GroupID = "setup"
		root.AddCommand(c)
	}
	root.SetHelpCommandGroupID("setup")
	root.SetCompletionCommandGroupID("setup")
	root.AddCommand(helpTopic("environment", "Environment variables tok reads", environmentHelp()))
	root.AddCommand(helpTopic("exit-codes", "What tok's exit codes mean", exitCodesHelp))
	return root
}

// addGlobalFlags gives root the flags every command has, parsed into d.
func (d *Deps) addGlobalFlags(root *cobra.Command) {
	pf := root.PersistentFlags()
	pf.StringVarP(&d.profileFlag, "profile", "p", "", "profile to use (env TOK_PROFILE; default: the profile chosen with tok use)")
	pf.StringVar(&d.homeFlag, "home", "", "directory of tok's database (env TOK_HOME; default $XDG_DATA_HOME/tok)")
	pf.BoolVar(&d.debug, "debug", false, "log what tok does to stderr, secrets redacted (env TOK_DEBUG=1)")
	pf.BoolVar(&d.passphraseStdin, "passphrase-stdin", false, "read the passphrase of the passphrase key source from stdin (one line; tok config passphrase change reads two)")
	_ = root.RegisterFlagCompletionFunc("profile", d.completeProfiles)
}

// noArgs refuses arguments to a command that takes none. To a command
// with subcommands an argument is a misspelt subcommand, and the ones it is
// close to are suggested: tok tokn → did you mean token?
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if !cmd.HasSubCommands() {
		return usagef("%s takes no arguments (got %q); see: %s --help", cmd.CommandPath(), args[0], cmd.CommandPath())
	}
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	msg := fmt.Sprintf("unknown command %q", strings.TrimSpace(strings.TrimPrefix(cmd.CommandPath(), "tok")+" "+args[0]))
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", strings.Join(s, " or "))
	} else {
		msg += fmt.Sprintf("; see the commands with: %s --help", cmd.CommandPath())
	}
	return usagef("%s", msg)
}

// helpTopic is a help-only command: `tok help environment`.
// Its help is the text alone: a topic has no usage or flags to show.
func helpTopic(name, short, text string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   name,
		Short: short,
		Long:  text,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Fprint(cmd.OutOrStdout(), text)
		},
		GroupID: "setup",
	}
	cmd.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		fmt.Fprint(cmd.OutOrStdout(), text)
	})
	return cmd
}

func (d *Deps) setupLogging() {
	d.debug = plan.Debug(d.debug, d.getenv)
	if d.debug {
		d.log = slog.New(slog.NewTextHandler(d.io.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	} else {
		d.log = slog.New(slog.DiscardHandler)
	}
}

// home resolves tok's directory: --home > TOK_HOME > the platform default.
func (d *Deps) home() (string, error) { return tokhome.Dir(d.homeFlag, d.getenv) }

// profileName is the profile named by -p or TOK_PROFILE ("" = default).
func (d *Deps) profileName() string {
	return plan.Profile(d.profileFlag, "", d.getenv)
}

func (d *Deps) durationEnv(name string, def time.Duration) (time.Duration, error) {
	v := d.getenv(name)
	if v == "" {
		return def, nil
	}
	dur, err := time.ParseDuration(v)
	if err != nil || dur <= 0 {
		return 0, usagef("%s=%q is not a positive duration (e.g. 30s, 2m)", name, v)
	}
	return dur, nil
}

// service builds the tokens.Service on first use. Nothing here does I/O:
// the database and the keyring are touched only by the operation itself.
func (d *Deps) service() (*tokens.Service, error) {
	if d.svc != nil {
		return d.svc, nil
	}
	home, err := d.home()
	if err != nil {
		return nil, err
	}
	st := store.New(home)
	if st.LockTimeout, err = d.durationEnv("TOK_DB_TIMEOUT", store.DefaultLockTimeout); err != nil {
		return nil, err
	}
	svc, err := d.newService(st, &keysource.Resolver{
		Home:     home,
		Getenv:   d.getenv,
		Keyring:  keyring.Keyring{Service: keyring.DefaultService},
		Cache:    kernelkeys.Cache{},
		NotFound: keyring.ErrNotFound,

		Unavailable: keyring.ErrUnavailable,
		Locked:      keyring.ErrLocked,
		Wrapped:     store.WrappedKeys{Store: st},
		Ask:         d.askPassphrases(),
	}, d.getenv("TOK_KEY_SOURCE"))
	if err != nil {
		return nil, err
	}
	if d.io.CanPrompt() {
		svc.ChooseKeySource = d.chooseKeySource
	}
	d.svc = svc
	return d.svc, nil
}

// newService builds a Service on st and keys with the settings every
// Service shares: timeouts from the environment, the clock, logging and
// warnings on stderr, subject tokens for federated profiles.
func (d *Deps) newService(st *store.Store, keys tokens.Keys, keySource string) (*tokens.Service, error) {
	if d.log == nil {
		d.setupLogging()
	}
	lockTimeout, err := d.durationEnv("TOK_LOCK_TIMEOUT", time.Minute)
	if err != nil {
		return nil, err
	}
	httpTimeout, err := d.durationEnv("TOK_HTTP_TIMEOUT", 30*time.Second)
	if err != nil {
		return nil, err
	}
	sharedLease, err := d.durationEnv(envSharedCacheLease, tokens.DefaultSharedLease)
	if err != nil {
		return nil, err
	}
	sharedTimeout, err := d.durationEnv(envSharedCacheTimeout, sharedcache.DefaultTimeout)
	if err != nil {
		return nil, err
	}
	return &tokens.Service{
		Shared:      d.sharedOpener(sharedTimeout),
		SharedLease: sharedLease,
		Store:       st,
		Keys:        keys,
		KeySource:   keySource,
		Now:         d.now,
		Log:         d.log,
		Warn:        func(msg string) { fmt.Fprintln(d.io.ErrOut, msg) },
		LockTimeout: lockTimeout,
		HTTPTimeout: httpTimeout,
		Subjects:    d.subjectFetcher(httpTimeout),
	}, nil
}

// completeProfiles completes profile names from the database alone: it
// never touches the keyring.
func (d *Deps) completeProfiles(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	svc, err := d.service()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names, _ := svc.ProfileNames()
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, toComplete) {
			out = append(out, n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
