// Package need handles what a test needs from the machine and lacks (a
// program, a service, a privilege). Under CI=true, where .ci/setup has
// installed everything, a missing dependency fails the test: CI must run
// every test. Elsewhere the test is skipped, so `go test ./...` on a fresh
// clone stays green. Test support only: tok never imports it.
package need

import (
	"os"
	"os/exec"
	"testing"
)

// Missing fails the test under CI=true and skips it elsewhere. msg says
// what is missing and how to get it.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
		return // a testing.TB double may record the failure and return
	}
	t.Skip(msg)
}

// Command returns the path of the program name, or calls Missing with a
// message that ends with install (how to get the program) when it is not
// on PATH.
func Command(t testing.TB, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" is not installed; "+install)
	}
	return path
}

// SecretService calls Missing for a test that needs the Secret Service
// (or the D-Bus session it runs on) and lacks it; what says what is
// wrong. .ci/with-keyring provides one.
func SecretService(t testing.TB, what string) {
	t.Helper()
	Missing(t, what+"; run the tests inside .ci/with-keyring (.ci/with-keyring go test ./...), which sets up a private D-Bus session with an unlocked gnome-keyring")
}
