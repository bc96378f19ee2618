package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/cli"
)

// unsafeTokenUse are shell forms that put a token into a process's
// arguments, which every local user can read in /proc/PID/cmdline, or
// that do not work at all.
var unsafeTokenUse = []struct {
	why string
	re  *regexp.Regexp
}{
	{"a header built by command substitution is an argument of curl",
		regexp.MustCompile(`(-H|--header)\s+["']?[^"'\s@]*\$\(`)},
	{"a header built from a token variable is an argument of curl",
		regexp.MustCompile(`(-H|--header)\s+"[^"]*(\$\(|\$\{?[A-Za-z_]*(TOKEN|TOK)\b)`)},
	{"the caller's shell expands $TOK_TOKEN before tok exec sets it",
		regexp.MustCompile(`tok exec [^'\n]*-- [^'\n]*\$\{?TOK_TOKEN\b`)},
}

// TestDocsKeepTokensOffArgv greps the README, the user docs, the man
// pages and every command's help for unsafe ways to pass a token on.
func TestDocsKeepTokensOffArgv(t *testing.T) {
	root := filepath.Join("..", "..")
	texts := map[string]string{}
	for _, pattern := range []string{"README.md", "docs/*.md", "docs/*/*.md", "docs/man/*.1"} {
		files, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// groff escapes dashes and backslashes.
			texts[f] = strings.NewReplacer(`\-`, "-", `\(aq`, "'", `\\`, `\`).Replace(string(b))
		}
	}
	if len(texts) < 10 {
		t.Fatalf("found only %d documents below %s", len(texts), root)
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		texts["help of "+c.CommandPath()] = c.Long + "\n" + c.Example
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cli.NewDocsRootCmd())

	for name, text := range texts {
		for i, line := range strings.Split(text, "\n") {
			for _, u := range unsafeTokenUse {
				if u.re.MatchString(line) {
					t.Errorf("%s:%d: %s:\n\t%s", name, i+1, u.why, strings.TrimSpace(line))
				}
			}
		}
	}
}

// TestUnsafeTokenPatterns keeps the patterns above honest: each catches
// the form the security review found, and none flags the safe forms.
func TestUnsafeTokenPatterns(t *testing.T) {
	unsafe := []string{
		`curl -H "$(tok token -o header)" https://api.example.com`,
		`curl -fsS -H "Authorization: Bearer $(tok token)" https://x`,
		`tok exec -p api -- curl -H "Authorization: Bearer $TOK_TOKEN" https://api.example.com`,
		`  curl -H "Authorization: Bearer $(cat "$TOK_TOKEN_FILE")" https://x`,
		`curl -fsS -H "Authorization: Bearer $TOKEN" https://x`,
	}
	safe := []string{
		`tok token -p api -o header | curl -H @- https://api.example.com`,
		`curl -H @<(tok token -p api -o header) https://api.example.com`,
		`tok exec -p api -- sh -c 'printf "Authorization: Bearer %s\n" "$TOK_TOKEN" | curl -H @- https://x'`,
		`TOKEN=$(tok token -p api)`,
		`eval "$(tok token -p gh -o env)"`,
		`curl -H "Accept: application/json" https://x`,
	}
	match := func(line string) bool {
		for _, u := range unsafeTokenUse {
			if u.re.MatchString(line) {
				return true
			}
		}
		return false
	}
	for _, l := range unsafe {
		if !match(l) {
			t.Errorf("not flagged: %s", l)
		}
	}
	for _, l := range safe {
		if match(l) {
			t.Errorf("flagged although safe: %s", l)
		}
	}
}
