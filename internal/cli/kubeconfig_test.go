package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

func TestNewCmdKubeconfig(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	var got *setCredentialsOptions
	cmd := newCmdKubeconfig(d, func(o *setCredentialsOptions) error { got = o; return nil })
	if err := parseCmd(d, cmd, "set-credentials", "oidc", "-p", "k8s", "--context", "prod", "--print", "--kubeconfig", "/tmp/kc"); err != nil {
		t.Fatal(err)
	}
	want := setCredentialsOptions{User: "oidc", Profile: "k8s", Context: "prod", Print: true, Kubeconfig: "/tmp/kc"}
	if got == nil || *got != want {
		t.Errorf("parsed %+v, want %+v", got, want)
	}
}

func TestSetCredentialsRun(t *testing.T) {
	d, _, _, out, errOut := testDeps(t, nil)
	svc, err := d.service()
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AddProfile(t.Context(), tokens.Profile{Profile: record.Profile{Name: "k8s", Type: record.Static}}, ""); err != nil {
		t.Fatal(err)
	}
	if err := d.runSetCredentials(&setCredentialsOptions{User: "oidc"}); exitCode(err) != ExitUsage {
		t.Errorf("no profile, no --from-cluster: %v", err)
	}
	if err := d.runSetCredentials(&setCredentialsOptions{User: "oidc", Profile: "nope"}); err == nil {
		t.Error("an unknown profile was accepted")
	}
	if err := d.runSetCredentials(&setCredentialsOptions{User: "oidc", Profile: "k8s", Print: true}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "- kube\n") || !strings.Contains(got, "- k8s\n") || !strings.Contains(got, "kubectl config set-credentials oidc") {
		t.Errorf("--print:\n%s", got)
	}
	path := filepath.Join(t.TempDir(), "config")
	if err := d.runSetCredentials(&setCredentialsOptions{User: "oidc", Profile: "k8s", Kubeconfig: path}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), "name: oidc") || !strings.Contains(string(b), "TOK_HOME") {
		t.Errorf("kubeconfig: %s (%v)", b, err)
	}
	if !strings.Contains(errOut.String(), `Set user "oidc" in `+path) {
		t.Errorf("stderr %q", errOut)
	}
}
