// Package helperproc lets a test binary double as a helper process. A
// test runs its own binary again (Run) with an environment variable
// naming a helper; TestMain (Main) runs that helper instead of the tests,
// and the helper answers with one JSON value on stdout (Reply). Tests use
// it to try something from a fresh process: another D-Bus connection,
// another user, another environment. Test support only: tok never
// imports it.
package helperproc

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Main is a TestMain: it runs the tests, or, when the environment
// variable env names one of helpers, that helper, which should end the
// process with Reply. An unknown name exits with status 2.
func Main(m *testing.M, env string, helpers map[string]func()) {
	name := os.Getenv(env)
	if name == "" {
		os.Exit(m.Run())
	}
	helper, ok := helpers[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown helper %q\n", name)
		os.Exit(2)
	}
	helper()
	fmt.Fprintf(os.Stderr, "helper %q returned without a reply\n", name)
	os.Exit(2)
}

// Reply writes v as JSON on stdout and ends the helper process.
func Reply(v any) {
	if err := json.NewEncoder(os.Stdout).Encode(v); err != nil {
		os.Exit(3)
	}
	os.Exit(0)
}

// Run runs the test binary as helper name (env names it) with vars added
// to, and overriding, the test's environment, minus the variables in
// unset, and decodes its reply into reply. A helper that fails or replies
// with something else fails the test.
func Run(t testing.TB, env, name string, vars map[string]string, reply any, unset ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	drop := map[string]bool{env: true}
	for _, k := range unset {
		drop[k] = true
	}
	for k := range vars {
		drop[k] = true
	}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !drop[k] {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env+"="+name)
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper %s failed: %v\nstderr:\n%s", name, err, stderr.String())
	}
	if err := json.Unmarshal(out, reply); err != nil {
		t.Fatalf("helper %s printed %q: %v", name, out, err)
	}
}
