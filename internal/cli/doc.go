// Package cli is tok-full's command line: the cobra tree, flag and
// environment handling, output formats, and the mapping of errors to exit
// codes. It wires the store, key sources and OAuth client into a
// tokens.Service and leaves the decisions to the domain: profiles are
// built by tokens.BuildProfile, and what the small front decides too
// (which profile, whether TOK_ISSUER describes an ephemeral profile,
// TOK_DEBUG, the error line and exit code) comes from internal/plan, which
// both binaries call. cmd/tok-full runs Main; cmd/gendocs builds the same
// tree with NewDocsRootCmd.
//
// # How a command is built
//
// Main builds one Deps (deps.go): the streams, getenv, the clock, the
// browser opener, and the store, key source and tokens.Service, which are
// built on first use (Deps.service) so that a command that needs none of
// them pays nothing for them. Every command constructor takes the Deps;
// after the flags are parsed nothing changes it:
//
//	// tokenOptions is what tok token's command line says.
//	type tokenOptions struct {
//		Profile string // -p or the argument
//		Output  string // -o
//		...
//	}
//
//	// newCmdToken only parses flags and arguments into a tokenOptions,
//	// then calls runF (a test's) or, when runF is nil, d.runToken.
//	func newCmdToken(d *Deps, runF func(*tokenOptions) error) *cobra.Command
//
//	// runToken does the work with d's dependencies and opts' inputs.
//	func (d *Deps) runToken(ctx context.Context, opts *tokenOptions) error
//
// Rules that keep commands independent and testable in process:
//   - Options hold everything the command line says, the profile
//     included: d.checkProfileArg validates a profile argument and
//     d.namedProfile(args) reads it (or -p) into Options.Profile;
//     plan.Profile completes it with TOK_PROFILE.
//   - A command that needs another Service (the ephemeral profile's, in
//     memory: d.tokenSource) holds it in a local variable and passes it
//     on; one that talks to the person on other streams (a credential
//     helper's login on the controlling terminal) uses d.withStreams.
//     Nothing swaps d's fields.
//   - A call's warnings go where the caller says (tokens.WithWarn on the
//     call's context: the spinner holds them, tok exec's refresher folds
//     them), never by changing Service.Warn.
//   - Output goes to d.io: stdout for data, stderr for people. Errors are
//     returned; Main prints them once (plan.Report).
//
// One file per command or command group: token.go, exec.go, kube.go,
// kubeconfig.go (set-credentials), login.go, refresh.go, revoke.go,
// status.go, inspect.go, use.go, version.go, unlock.go (unlock and lock),
// gitcredential.go, docker.go (docker-credential and docker configure),
// config.go (config list, get, set), keyexport.go (config key export),
// passphrase.go (config passphrase change, and asking for passphrases),
// profile.go (the group) and profile_add.go, profile_set.go,
// profile_list.go (with the listing cells and JSON that status shares),
// profile_show.go, profile_rm.go, profile_rename.go, profile_export.go,
// profile_import.go. What several commands share has a file named for
// it: root.go (the tree, the global flags, argument checks), deps.go,
// profilearg.go (the profile argument), profile_flags.go, remoteflags.go
// and sharedcache.go (the flags of a profile's settings), signin.go
// (logins on the way to a token), ephemeral.go, picker.go, firstrun.go
// (the first profile, asked for at a terminal), progress.go, keystate.go,
// exitcode.go, envhelp.go (tok help environment), humantime.go,
// input.go (reading secrets and times); docs.go builds the tree for
// cmd/gendocs. TestPackageDocNamesEveryFile keeps this list whole.
//
// Tests come in pairs: TestNewCmdX runs a command line through the root's
// global flags (parseCmd) with a runF that captures the Options; TestXRun
// calls d.runX with in-memory streams (iostreams.Test), a bbolt database
// under t.TempDir with a file key, an injected clock and the in-process
// OAuth server (internal/testkit/authserver): see testDeps in
// testdeps_test.go. TestEveryCommandIsTested fails when a command of the
// tree has no row naming its two tests. The end-to-end suite (internal/e2e) keeps what only
// processes show: the two binaries, signals, locks across processes, the
// real keyring, kubectl, a pty.
package cli
