//go:build unix

// Package e2e holds end-to-end tests of the built tok binaries.
//
// TestMain builds tok (the front), tok-full, git-credential-tok and
// docker-credential-tok once, side by side in one directory as they are
// installed; every test then runs tok (or a helper) as a subprocess with a
// clean environment and its own temporary TOK_HOME, the way a person, a
// script, git or docker would. The front hands over to the tok-full next
// to it. The harness (Env, Run, Start) lives in
// harness_test.go so that later end-to-end tests of this package (OAuth
// logins, kubectl) reuse it.
//
// The default key source is the OS keyring, and the tests use the real one:
// run them under .ci/with-keyring, which starts a private D-Bus session
// with an unlocked gnome-keyring:
//
//	.ci/with-keyring go test ./internal/e2e/
//
// Without a reachable Secret Service the keyring tests are skipped, or
// fail when CI=true.
//
// Tests do not sleep through token lifetimes: makeStale and makeExpired
// age what tok stored (ageStoredTokens) so the next process sees a token
// due for a refresh, and time-dependent rules are tested in process on an
// injected clock (tokens, execrun, oauth). What still waits in real time
// is what only real time shows: a tok exec child reading its token file
// across expiries, fleet members sharing tokens through Redis (whose copy
// has its own time to live), the soak runs, and timeouts kept by the
// kernel keyring or the oidc-provider.
package e2e
