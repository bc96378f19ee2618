package kubeconfig_test

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/tok-cli/tok/internal/testkit/need"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/kubeconfig"
)

// TestKubectlReadsResult checks with the real kubectl that the file
// SetCredentials writes loads, including values YAML 1.1 would misread, and
// that the entries it did not touch are still there.
func TestKubectlReadsResult(t *testing.T) {
	kubectl := need.Command(t, "kubectl", "run: .ci/setup")
	path := filepath.Join(t.TempDir(), "config")
	writeFile(t, path, existing, 0o600)
	execUser := kubeconfig.ExecUser{
		Command:            "/usr/local/bin/tok",
		Args:               []string{"kube", "-p", "yes", "1:20", "it's prod"},
		Env:                map[string]string{"TOK_DEBUG": "on", "TOK_HOME": "/home/a b"},
		ProvideClusterInfo: true,
	}
	if err := kubeconfig.SetCredentials(path, "tok", execUser, "beta"); err != nil {
		t.Fatal(err)
	}

	view, out := kubectlView(t, kubectl, path)

	var clusters, users []string
	for _, c := range view.Clusters {
		clusters = append(clusters, c.Name)
	}
	for _, u := range view.Users {
		users = append(users, u.Name)
	}
	if want := []string{"alpha", "beta"}; !slices.Equal(clusters, want) {
		t.Errorf("kubectl sees clusters %v, want %v", clusters, want)
	}
	if want := []string{"alice", "bob", "tok"}; !slices.Equal(users, want) {
		t.Fatalf("kubectl sees users %v, want %v", users, want)
	}
	for _, c := range view.Contexts {
		want := map[string]string{"alpha": "alice", "beta": "tok"}[c.Name]
		if c.Context.User != want {
			t.Errorf("context %q has user %q, want %q", c.Name, c.Context.User, want)
		}
	}

	got := view.Users[2].User.Exec
	if got == nil {
		t.Fatalf("kubectl sees no exec stanza for user tok:\n%s", out)
	}
	if got.APIVersion != "client.authentication.k8s.io/v1" || got.Command != execUser.Command ||
		got.InteractiveMode != "IfAvailable" || !got.ProvideClusterInfo {
		t.Errorf("kubectl sees exec %+v", *got)
	}
	if !slices.Equal(got.Args, execUser.Args) {
		t.Errorf("kubectl sees args %q, want %q", got.Args, execUser.Args)
	}
	gotEnv := map[string]string{}
	for _, e := range got.Env {
		gotEnv[e.Name] = e.Value
	}
	if len(gotEnv) != len(execUser.Env) || gotEnv["TOK_DEBUG"] != "on" || gotEnv["TOK_HOME"] != "/home/a b" {
		t.Errorf("kubectl sees env %v, want %v", gotEnv, execUser.Env)
	}
}

// TestKubectlReadsResultOfJSONKubeconfig covers kubeconfigs written as JSON
// (valid YAML): the result mixes JSON and YAML flow style, which kubectl
// must still load.
func TestKubectlReadsResultOfJSONKubeconfig(t *testing.T) {
	kubectl := need.Command(t, "kubectl", "run: .ci/setup")
	path := filepath.Join(t.TempDir(), "config")
	writeFile(t, path, `{"apiVersion":"v1","kind":"Config","clusters":[{"name":"k","cluster":{"server":"https://k:6443"}}],`+
		`"contexts":[{"name":"c","context":{"cluster":"k","user":"a"}}],"users":[{"name":"a","user":{"token":"x"}}]}`, 0o600)
	if err := kubeconfig.SetCredentials(path, "tok", tokExec, "c"); err != nil {
		t.Fatal(err)
	}
	view, out := kubectlView(t, kubectl, path)
	if len(view.Users) != 2 || view.Users[1].Name != "tok" || view.Users[1].User.Exec == nil ||
		view.Users[1].User.Exec.Command != tokExec.Command || !slices.Equal(view.Users[1].User.Exec.Args, tokExec.Args) {
		t.Errorf("kubectl does not see tok's users entry after the existing one:\n%s", out)
	}
	if len(view.Contexts) != 1 || view.Contexts[0].Context.User != "tok" {
		t.Errorf("kubectl does not see context c pointing at tok:\n%s", out)
	}
}

// kubeconfigView is the part of `kubectl config view -o json` the tests read.
type kubeconfigView struct {
	Clusters []struct {
		Name string `json:"name"`
	} `json:"clusters"`
	Contexts []struct {
		Name    string `json:"name"`
		Context struct {
			User string `json:"user"`
		} `json:"context"`
	} `json:"contexts"`
	Users []struct {
		Name string `json:"name"`
		User struct {
			Exec *struct {
				APIVersion string   `json:"apiVersion"`
				Command    string   `json:"command"`
				Args       []string `json:"args"`
				Env        []struct {
					Name  string `json:"name"`
					Value string `json:"value"`
				} `json:"env"`
				InteractiveMode    string `json:"interactiveMode"`
				ProvideClusterInfo bool   `json:"provideClusterInfo"`
			} `json:"exec"`
		} `json:"user"`
	} `json:"users"`
}

// kubectlView runs `kubectl config view -o json` on path with a private HOME.
func kubectlView(t *testing.T, kubectl, path string) (kubeconfigView, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectl, "config", "view", "-o", "json", "--kubeconfig", path)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "KUBECONFIG=")
	out, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			t.Fatalf("kubectl config view failed: %v\n%s", err, exitErr.Stderr)
		}
		t.Fatalf("kubectl config view failed: %v", err)
	}
	var view kubeconfigView
	if err := json.Unmarshal(out, &view); err != nil {
		t.Fatalf("could not parse kubectl's output: %v\n%s", err, out)
	}
	return view, out
}
