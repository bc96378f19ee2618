//go:build unix

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCIChecksToolVersions: .ci/check-versions (run by .ci/setup) passes
// the node and kubectl on this machine, and refuses the ones a stock
// Debian ships (node 18, kubectl 1.20) with a message naming what to
// install, instead of letting the tests fail later for an obscure reason.
func TestCIChecksToolVersions(t *testing.T) {
	RequireCommand(t, "bash")
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(filepath.Dir(strings.TrimSpace(string(out))), ".ci", "check-versions")
	run := func(path string, what ...string) (string, int) {
		cmd := exec.Command(script, what...)
		cmd.Env = []string{"PATH=" + path}
		b, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(b), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(b), 0
	}
	RequireCommand(t, "node")
	RequireCommand(t, "kubectl")
	if msg, code := run(os.Getenv("PATH")); code != 0 {
		t.Errorf("this machine's node and kubectl are refused: %s", msg)
	}

	old := t.TempDir()
	fake := map[string]string{
		"node":    "#!/bin/sh\ncase \"$1\" in -p) echo 18;; *) echo v18.19.0;; esac\n",
		"kubectl": "#!/bin/sh\necho '{\"clientVersion\": {\"major\": \"1\", \"minor\": \"20\", \"gitVersion\": \"v1.20.15\"}}'\n",
	}
	for name, body := range fake {
		if err := os.WriteFile(filepath.Join(old, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	path := old + ":/usr/bin:/bin"
	msg, code := run(path, "node")
	if code == 0 || !strings.Contains(msg, "node v18.19.0 is too old") || !strings.Contains(msg, "Node.js 20 or later") {
		t.Errorf("node 18: exit %d, %q", code, msg)
	}
	msg, code = run(path, "kubectl")
	if code == 0 || !strings.Contains(msg, "kubectl 1.20 is too old") || !strings.Contains(msg, "1.22 or later") {
		t.Errorf("kubectl 1.20: exit %d, %q", code, msg)
	}
}
