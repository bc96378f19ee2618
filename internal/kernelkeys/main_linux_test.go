package kernelkeys_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/kernelkeys"
)

// The test binary doubles as a helper process: with helperEnv set it runs
// one cache operation, possibly as another user, and prints the outcome as
// JSON, so tests can read the cache from a fresh process.
const helperEnv = "TOK_KERNELKEYS_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "cache-get":
		helperCacheGet()
	case "cache-get-as-other":
		becomeOtherUser()
		helperCacheGet()
	case "cache-plant-as-other":
		becomeOtherUser()
		helperCachePlant()
	default:
		fmt.Fprintf(os.Stderr, "unknown helper %q\n", os.Getenv(helperEnv))
		os.Exit(2)
	}
}

// helperResult is what a helper process reports.
type helperResult struct {
	Value string `json:"value"`
	Found bool   `json:"found"`
	Err   string `json:"err"`
}

func printResult(r helperResult) {
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		os.Exit(3)
	}
	os.Exit(0)
}

func helperCacheGet() {
	v, ok := kernelkeys.Cache{}.Get(os.Getenv("HELPER_DESC"))
	printResult(helperResult{Value: string(v), Found: ok})
}

// runHelper runs the test binary as helper name with env added to the
// test's environment.
func runHelper(t *testing.T, name string, env map[string]string) helperResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+name)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper %s failed: %v\nstderr:\n%s", name, err, stderr.String())
	}
	var r helperResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("helper %s printed %q: %v", name, out, err)
	}
	return r
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
