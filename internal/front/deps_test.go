package front

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFrontStaysSmall guards the reason the front exists: every package a
// Go binary links is initialised at every start, so one import of the TUI,
// YAML, HTTP or OAuth stacks would cost every kubectl call more than the
// whole cached-token budget. It lists the packages cmd/tok links.
func TestFrontStaysSmall(t *testing.T) {
	// git-credential-tok answers git's `get` on every authenticated
	// request, so it is held to the same rule, as is docker-credential-tok.
	for _, cmd := range []string{"cmd/tok", "cmd/git-credential-tok", "cmd/docker-credential-tok"} {
		t.Run(cmd, func(t *testing.T) { checkSmall(t, "github.com/tok-cli/tok/"+cmd) })
	}
}

func checkSmall(t *testing.T, pkg string) {
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 20 {
		t.Fatalf("go list gave %d packages; expected the dependency list of cmd/tok", len(deps))
	}
	forbidden := []string{
		"github.com/tok-cli/tok/internal/cli",
		"github.com/tok-cli/tok/internal/tokens",
		"github.com/tok-cli/tok/internal/oauth",
		"github.com/tok-cli/tok/internal/tui",
		"github.com/tok-cli/tok/internal/kubeconfig",
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
		"regexp",
	}
	for _, dep := range deps {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f) && (strings.HasSuffix(f, "/") || strings.HasPrefix(dep, f+"/")) {
				t.Errorf("%s links %s; keep it out of the front (see the package comment)", pkg, dep)
			}
		}
	}
}
