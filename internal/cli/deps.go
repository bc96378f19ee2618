package cli

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/tok-cli/tok/internal/iostreams"
	"github.com/tok-cli/tok/internal/kernelkeys"
	"github.com/tok-cli/tok/internal/keyring"
	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/opener"
	"github.com/tok-cli/tok/internal/plan"
	"github.com/tok-cli/tok/internal/procguard"
	"github.com/tok-cli/tok/internal/sharedcache"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokens"
	"github.com/tok-cli/tok/internal/tokhome"
)

// Deps is what tok-full's commands depend on. Main builds one; tests build
// theirs with in-memory streams, a chosen environment and clock. The
// global flags are parsed into it before a command runs; after that
// commands only read it (see the package doc). Three fields are the run's
// own bookkeeping, not settings: svc and log are built once, on first
// use, and kept; ran records that a command's RunE started.
type Deps struct {
	io          *iostreams.IOStreams
	getenv      func(string) string
	now         func() time.Time
	openBrowser func(url string) error
	// environ is the environment tok exec's child starts from.
	environ func() []string
	// coreLimit is the core-file limit tok had before procguard.Harden,
	// for tok exec's child.
	coreLimit procguard.CoreLimit
	// progressDelay, when set, replaces refreshProgressDelay (tests).
	progressDelay time.Duration

	// The global flags (root's persistent flags).
	homeFlag    string
	profileFlag string // -p; commands read it through namedProfile
	debug       bool   // --debug alone; debugging adds TOK_DEBUG
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
// belong to git or docker). It shares d's lingering work and, once
// built, d's service (callers build it first); d itself is not changed.
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
		environ:     os.Environ,
		lingering:   &sync.WaitGroup{},
	}
}

// debugging is whether tok logs what it does and prints errors' causes:
// --debug or TOK_DEBUG (plan.Debug, as the front decides it).
func (d *Deps) debugging() bool { return plan.Debug(d.debug, d.getenv) }

// setupLogging turns on debug logging when debugging: slog to stderr;
// otherwise log records are discarded.
func (d *Deps) setupLogging() {
	if d.debugging() {
		d.log = slog.New(slog.NewTextHandler(d.io.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	} else {
		d.log = slog.New(slog.DiscardHandler)
	}
}

// home resolves tok's directory: --home > TOK_HOME > the platform default.
func (d *Deps) home() (string, error) { return tokhome.Dir(d.homeFlag, d.getenv) }

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
