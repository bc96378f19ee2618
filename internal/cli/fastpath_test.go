package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/iostreams"
)

// cobraParse parses args with the real cobra tree and returns what the
// token/kube command would run with, without running it.
func cobraParse(t *testing.T, args []string) (fastInvocation, bool) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	a := newApp(ios, func(string) string { return "" })
	root := NewRootCmd(a)
	cmd, rest, err := root.Find(args)
	if err != nil || (cmd.Name() != "token" && cmd.Name() != "kube") {
		return fastInvocation{}, false
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return fastInvocation{}, false
	}
	if len(cmd.Flags().Args()) > 0 {
		return fastInvocation{}, false
	}
	inv := fastInvocation{command: cmd.Name(), profile: a.profileFlag, home: a.homeFlag, debug: a.debug, output: outputRaw}
	if cmd.Name() == "token" {
		inv.output, _ = cmd.Flags().GetString("output")
		inv.allowExpired, _ = cmd.Flags().GetBool("allow-expired")
	}
	return inv, true
}

func TestFastPathParsesLikeCobra(t *testing.T) {
	for _, line := range []string{
		"token",
		"token -p api",
		"token -papi",
		"token --profile api",
		"token --profile=api",
		"token -p api -o json",
		"token -ojson -p api",
		"token --output=header --home /tmp/h --debug",
		"token --allow-expired -p gh",
		"kube",
		"kube -p k8s",
		"kube --profile=k8s --home=/x",
		"token -p a -p b",
	} {
		args := strings.Fields(line)
		fast, ok := parseFast(args)
		if !ok {
			t.Errorf("%q: fast path declined a plain invocation", line)
			continue
		}
		want, ok := cobraParse(t, args)
		if !ok {
			t.Errorf("%q: cobra rejected it", line)
			continue
		}
		if fast != want {
			t.Errorf("%q: fast path parsed %+v, cobra %+v", line, fast, want)
		}
	}
}

func TestFastPathDeclinesTheUnusual(t *testing.T) {
	for _, line := range []string{
		"", "version", "token --help", "token -h", "token extra", "token -p", "token --profile",
		"token -x", "token --debug=true", "kube -o json", "token -p -o", "token --output=", "profile list",
		"__complete token -p", "token --allow-expired=false", "kube --allow-expired",
	} {
		if inv, ok := parseFast(strings.Fields(line)); ok {
			t.Errorf("%q: fast path took it as %+v; it should leave it to cobra", line, inv)
		}
	}
}

// The fast path runs the same code as cobra: an unknown profile gives the
// same error either way.
func TestFastPathRunsTheCommand(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	home := t.TempDir()
	a := newApp(ios, func(k string) string {
		if k == "TOK_HOME" {
			return home
		}
		return ""
	})
	handled, err := a.fastPath(context.Background(), []string{"token", "-p", "nope"})
	if !handled || err == nil || !strings.Contains(err.Error(), `profile not found: "nope"`) || out.Len() != 0 {
		t.Fatalf("handled=%v err=%v out=%q", handled, err, out)
	}
}
