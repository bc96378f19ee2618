package helperproc

import (
	"os"
	"testing"
)

const helperEnv = "TOK_HELPERPROC_TEST_HELPER"

func TestMain(m *testing.M) {
	Main(m, helperEnv, map[string]func(){
		"echo": func() { Reply(map[string]string{"got": os.Getenv("HELPER_IN"), "home": os.Getenv("HOME")}) },
	})
}

// TestRunRepliesFromAFreshProcess: the helper sees the variables Run adds
// and not those it unsets, and its reply is decoded.
func TestRunRepliesFromAFreshProcess(t *testing.T) {
	var r map[string]string
	Run(t, helperEnv, "echo", map[string]string{"HELPER_IN": "hello"}, &r, "HOME")
	if r["got"] != "hello" || r["home"] != "" {
		t.Errorf("helper replied %v, want got=hello and no HOME", r)
	}
}
