package kernelkeys_test

import (
	"os"
	"testing"

	"github.com/tok-cli/tok/internal/kernelkeys"
	"github.com/tok-cli/tok/internal/testkit/helperproc"
)

// The test binary doubles as a helper process: with helperEnv set it runs
// one cache operation, possibly as another user, and prints the outcome as
// JSON, so tests can read the cache from a fresh process.
const helperEnv = "TOK_KERNELKEYS_TEST_HELPER"

func TestMain(m *testing.M) {
	helperproc.Main(m, helperEnv, map[string]func(){
		"cache-get":            helperCacheGet,
		"cache-get-as-other":   func() { becomeOtherUser(); helperCacheGet() },
		"cache-plant-as-other": func() { becomeOtherUser(); helperCachePlant() },
	})
}

// helperResult is what a helper process reports.
type helperResult struct {
	Value string `json:"value"`
	Found bool   `json:"found"`
	Err   string `json:"err"`
}

func printResult(r helperResult) { helperproc.Reply(r) }

func helperCacheGet() {
	v, ok := kernelkeys.Cache{}.Get(os.Getenv("HELPER_DESC"))
	printResult(helperResult{Value: string(v), Found: ok})
}

// runHelper runs the test binary as helper name with env added to the
// test's environment.
func runHelper(t *testing.T, name string, env map[string]string) helperResult {
	t.Helper()
	var r helperResult
	helperproc.Run(t, helperEnv, name, env, &r)
	return r
}
