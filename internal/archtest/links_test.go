package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The binaries built from internal/front: kubectl, scripts, git (before
// every authenticated request) and docker run them on every call.
var frontBinaries = []string{"cmd/tok", "cmd/git-credential-tok", "cmd/docker-credential-tok"}

// A linkRule names packages some binaries must not link, directly or
// through any dependency, when built for some GOOS. A forbidden entry
// ending in "/" matches a whole path prefix; any other entry matches that
// package and the packages below it.
type linkRule struct {
	why       string
	binaries  []string
	goos      []string
	forbidden []string
}

var linkRules = []linkRule{
	{
		why: "the front stays small: a Go binary initialises every package it links at every start, " +
			"and these stacks cost more than the whole cached-token budget (docs/performance.md)",
		binaries: frontBinaries,
		goos:     []string{"linux", "windows", "darwin"},
		forbidden: []string{
			module + "internal/cli",
			module + "internal/tokens",
			module + "internal/oauth",
			module + "internal/tui",
			module + "internal/kubeconfig",
			"github.com/spf13/cobra",
			"github.com/charmbracelet/",
			"golang.org/x/oauth2",
			"github.com/coreos/go-oidc",
			"gopkg.in/yaml",
			"go.yaml.in/yaml",
			"sigs.k8s.io/yaml",
			"net/http",
			"crypto/tls",
			"log/slog",
		},
	},
	{
		// On macOS the front reads the Keychain through go-keyring, whose
		// darwin backend quotes the arguments of /usr/bin/security with
		// regexp (its internal/shellescape).
		why:       "the front compiles no regular expressions on the hot path",
		binaries:  frontBinaries,
		goos:      []string{"linux", "windows"},
		forbidden: []string{"regexp"},
	},
	{
		why: "the Linux front links no D-Bus: it reads the data key from the kernel-keyring cache " +
			"(internal/kernelkeys) and leaves the Secret Service to tok-full",
		binaries: frontBinaries,
		goos:     []string{"linux"},
		forbidden: []string{
			"github.com/godbus/dbus",
			"github.com/zalando/go-keyring",
			module + "internal/keyring",
		},
	},
}

// TestFrontStaysSmall guards the reason the front exists (see linkRules):
// for each GOOS it lists every package the front binaries link and fails
// on any a rule forbids.
func TestFrontStaysSmall(t *testing.T) {
	for _, goos := range []string{"linux", "windows", "darwin"} {
		t.Run(goos, func(t *testing.T) {
			deps := linkedPackages(t, goos, frontBinaries)
			for _, rule := range linkRules {
				if !slices.Contains(rule.goos, goos) {
					continue
				}
				for _, bin := range rule.binaries {
					for _, dep := range deps[bin] {
						for _, f := range rule.forbidden {
							if matches(dep, f) {
								t.Errorf("GOOS=%s: %s links %s; keep it out: %s", goos, bin, dep, rule.why)
							}
						}
					}
				}
			}
		})
	}
}

// linkedPackages is, for each of bins (module-relative), every package the
// binary links when built for goos.
func linkedPackages(t *testing.T, goos string, bins []string) map[string][]string {
	t.Helper()
	args := []string{"list", "-json=ImportPath,Deps"}
	for _, b := range bins {
		args = append(args, module+b)
	}
	cmd := exec.Command("go", args...)
	cmd.Env = append(cmd.Environ(), "GOOS="+goos, "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list (GOOS=%s): %v", goos, err)
	}
	deps := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		deps[strings.TrimPrefix(p.ImportPath, module)] = p.Deps
	}
	for _, b := range bins {
		// A binary's list holds the runtime and the read path; a short
		// one means go list did not list what this test thinks.
		if len(deps[b]) < 20 {
			t.Fatalf("go list (GOOS=%s) gave %d packages for %s; expected its whole dependency list", goos, len(deps[b]), b)
		}
	}
	return deps
}

// matches reports whether package dep is forbidden entry f (see linkRule).
func matches(dep, f string) bool {
	if strings.HasSuffix(f, "/") {
		return strings.HasPrefix(dep, f)
	}
	return dep == f || strings.HasPrefix(dep, f+"/")
}
