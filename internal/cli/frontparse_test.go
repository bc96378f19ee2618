package cli

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/front"
	"github.com/tok-cli/tok/internal/iostreams"
	"github.com/tok-cli/tok/internal/output"
)

// cobraParse parses args with the real cobra tree and returns what the
// token, kube or exec command would run with, without running it.
func cobraParse(t *testing.T, args []string) (front.Invocation, bool) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	d := newDeps(ios, func(string) string { return "" })
	root := NewRootCmd(d)
	cmd, rest, err := root.Find(args)
	if err != nil || (cmd.Name() != "token" && cmd.Name() != "kube" && cmd.Name() != "exec") {
		return front.Invocation{}, false
	}
	// As cobra's Execute does: -h and --help print help instead.
	cmd.InitDefaultHelpFlag()
	if err := cmd.ParseFlags(rest); err != nil {
		return front.Invocation{}, false
	}
	f := cmd.Flags()
	if help, _ := f.GetBool("help"); help {
		return front.Invocation{}, false
	}
	if cmd.Name() != "exec" {
		// The command's own check of its arguments, which for tok token
		// takes a profile name as -p.
		if err := cmd.ValidateArgs(f.Args()); err != nil {
			return front.Invocation{}, false
		}
	}
	inv := front.Invocation{Command: cmd.Name(), Profile: d.profileFlag, Home: d.homeFlag, Debug: d.debug, Output: output.Raw}
	if cmd.Name() == "token" {
		inv.Profile = d.namedProfile(f.Args())
	}
	switch cmd.Name() {
	case "token":
		inv.Output, _ = f.GetString("output")
		inv.AllowExpired, _ = f.GetBool("allow-expired")
	case "exec":
		if names, _ := f.GetStringArray("env"); len(names) > 0 {
			inv.EnvNames = names
		}
		inv.TokenFile, _ = f.GetString("token-file")
		inv.Mask, _ = f.GetBool("mask")
		inv.Argv = f.Args()
		if len(inv.Argv) == 0 {
			return front.Invocation{}, false
		}
		return inv, true
	}
	return inv, true
}

// The front must understand a command line exactly as tok-full's cobra
// tree does, or the same command would behave differently depending on
// whether the token was record.
func TestFrontParsesLikeCobra(t *testing.T) {
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
		"token gh",
		"token gh -o json",
		"token -o json gh",
		"token gh -p gh",
		"token -p gh gh --debug",
		"kube",
		"kube -p k8s",
		"kube --profile=k8s --home=/x",
		"token -p a -p b",
		"exec -p ci -- make test",
		"exec -p ci make test",
		"exec --env GH_TOKEN --env=VAULT_TOKEN -p ci -- gh repo list",
		"exec --mask --token-file /tmp/t -p ci -- sh -c true",
		"exec -p ci -- -weird-command --flag",
		"exec -p ci -- make -p x",
		"exec -pci --home=/h make",
		// Read once as profile "=api" and output "=json" (issue 13).
		"token -p=api",
		"token -o=json -p=api",
		"kube -p=k8s",
		"exec -p=ci -- make",
	} {
		args := strings.Fields(line)
		got, ok := front.Parse(args)
		if !ok {
			t.Errorf("%q: the front declined a plain invocation", line)
			continue
		}
		want, ok := cobraParse(t, args)
		if !ok {
			t.Errorf("%q: cobra rejected it", line)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: the front parsed %+v, cobra %+v", line, got, want)
		}
	}
}

func TestFrontDeclinesTheUnusual(t *testing.T) {
	for _, line := range []string{
		"", "version", "token --help", "token -h", "token one two", "token -p", "token --profile",
		"token -x", "token --debug=true", "token gh -p work", "token -p work gh", "token gh work", "kube k8s", "kube -o json", "token -p -o", "token --output=", "profile list",
		"__complete token -p", "token --allow-expired=false", "kube --allow-expired",
		"exec", "exec -p ci", "exec -p ci --", "exec --mask=true -- x", "exec --issuer https://id -- x",
		"exec --help", "exec -o json -- x", "token --env X", "token --mask", "exec --env -- x",
	} {
		if inv, ok := front.Parse(strings.Fields(line)); ok {
			t.Errorf("%q: the front took it as %+v; it should hand it to tok-full", line, inv)
		}
	}
}
