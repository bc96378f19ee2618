//go:build unix

package e2e

import (
	"strings"
	"testing"
)

// TestHelpTopicsAndSettings: help topics print their text and nothing
// else; tok config set --help lists every setting with its values, and
// shell completion (tok __complete, which every shell script calls)
// offers them.
func TestHelpTopicsAndSettings(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "work", "--type", "static")
	for _, args := range [][]string{{"help", "exit-codes"}, {"help", "environment"}, {"exit-codes", "--help"}} {
		out := RunOK(t, env, "", args...)
		if strings.Contains(out, "Usage:") || strings.Contains(out, "Flags:") {
			t.Errorf("tok %s ends with a usage block:\n%s", strings.Join(args, " "), out)
		}
		if !strings.Contains(out, "TOK_") && !strings.Contains(out, "130") {
			t.Errorf("tok %s lacks its text:\n%s", strings.Join(args, " "), out)
		}
	}
	out := RunOK(t, env, "", "config", "set", "--help")
	for _, want := range []string{"key-source", "keyring, passphrase, file or env", "default-profile", "a profile name"} {
		if !strings.Contains(out, want) {
			t.Errorf("tok config set --help lacks %q:\n%s", want, out)
		}
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "config", "set", ""}, []string{"key-source\t", "default-profile\t"}},
		{[]string{"__complete", "config", "set", "key-source", ""}, []string{"keyring\n", "passphrase\n", "file\n", "env\n"}},
		{[]string{"__complete", "config", "set", "default-profile", ""}, []string{"work\n"}},
		{[]string{"__complete", "token", "w"}, []string{"work\n"}},
	} {
		out := RunOK(t, env, "", tc.args...)
		for _, want := range tc.want {
			if !strings.Contains(out, want) {
				t.Errorf("tok %s offers no %q:\n%s", strings.Join(tc.args, " "), want, out)
			}
		}
	}
}
