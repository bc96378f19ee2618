package keyring_test

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/keyring"
	"github.com/tok-cli/tok/internal/testkit/fixture"
	"github.com/tok-cli/tok/internal/testkit/helperproc"
	"github.com/tok-cli/tok/internal/testkit/need"
)

// The test binary doubles as a helper process: with helperEnv set it runs
// one keyring operation and prints the outcome as JSON. Tests use it to try
// the keyring from a fresh process with a different environment, since
// godbus keeps one session bus connection per process. (The kernel-keyring
// cache and its helpers live in internal/kernelkeys.)
const helperEnv = "TOK_KEYRING_TEST_HELPER"

func TestMain(m *testing.M) {
	helperproc.Main(m, helperEnv, map[string]func(){"keyring": helperKeyring})
}

// helperResult is what a helper process reports.
type helperResult struct {
	Value       string        `json:"value"`
	Found       bool          `json:"found"`
	Err         string        `json:"err"`
	NotFound    bool          `json:"not_found"`
	Unavailable bool          `json:"unavailable"`
	Locked      bool          `json:"locked"`
	Elapsed     time.Duration `json:"elapsed"`
}

// helperKeyring runs HELPER_OP ("get" or "set") on the OS keyring.
func helperKeyring() {
	timeout, err := time.ParseDuration(os.Getenv("HELPER_TIMEOUT"))
	if err != nil {
		timeout = 0
	}
	k := keyring.Keyring{Service: os.Getenv("HELPER_SERVICE"), Timeout: timeout}
	user := os.Getenv("HELPER_USER")
	var r helperResult
	start := time.Now()
	switch os.Getenv("HELPER_OP") {
	case "get":
		r.Value, err = k.Get(user)
	case "set":
		err = k.Set(user, os.Getenv("HELPER_SECRET"))
	default:
		err = fmt.Errorf("unknown HELPER_OP %q", os.Getenv("HELPER_OP"))
	}
	r.Elapsed = time.Since(start)
	r.Found = err == nil
	if err != nil {
		r.Err = err.Error()
		r.NotFound = errors.Is(err, keyring.ErrNotFound)
		r.Unavailable = errors.Is(err, keyring.ErrUnavailable)
		r.Locked = errors.Is(err, keyring.ErrLocked)
	}
	helperproc.Reply(r)
}

// runHelper runs the test binary as helper name with env added to (and
// overriding) the test's environment, minus the variables in unset.
func runHelper(t *testing.T, name string, env map[string]string, unset ...string) helperResult {
	t.Helper()
	var r helperResult
	helperproc.Run(t, helperEnv, name, env, &r, unset...)
	return r
}

// requireSecretService returns a Keyring under a service name unique to the
// test, after checking that a Secret Service answers.
func requireSecretService(t testing.TB) keyring.Keyring {
	t.Helper()
	k := keyring.Keyring{Service: "tok-test-" + fixture.Hex(t, 6)}
	_, err := k.Get("probe")
	if errors.Is(err, keyring.ErrUnavailable) {
		need.SecretService(t, fmt.Sprintf("no Secret Service reachable (%v)", err))
	}
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("probing the Secret Service: %v", err)
	}
	return k
}
