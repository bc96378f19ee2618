//go:build unix

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMakeInstall: make install PREFIX=DIR puts both binaries, every man
// page and the completions where tools look for them, and the installed
// tok hands over to the installed tok-full.
func TestMakeInstall(t *testing.T) {
	RequireCommand(t, "make")
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	prefix := filepath.Join(t.TempDir(), "prefix")
	cmd := exec.Command("make", "install", "PREFIX="+prefix)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, b)
	}
	for _, f := range []string{"bin/tok", "bin/tok-full", "share/man/man1/tok.1", "share/man/man1/tok-profile-set.1",
		"share/bash-completion/completions/tok", "share/zsh/site-functions/_tok", "share/fish/vendor_completions.d/tok.fish"} {
		if _, err := os.Stat(filepath.Join(prefix, f)); err != nil {
			t.Errorf("make install did not install %s: %v", f, err)
		}
	}
	pages, _ := filepath.Glob(filepath.Join(root, "docs", "man", "*.1"))
	installed, _ := filepath.Glob(filepath.Join(prefix, "share", "man", "man1", "*.1"))
	if len(pages) == 0 || len(installed) != len(pages) {
		t.Errorf("installed %d man pages of %d", len(installed), len(pages))
	}
	env := FileKeyEnv(t).With("PATH=/usr/bin:/bin")
	r := RunProgram(t, env, "", filepath.Join(prefix, "bin", "tok"), "profile", "list")
	WantCode(t, r, 0)
	WantStderr(t, r, "No profiles yet")
}
