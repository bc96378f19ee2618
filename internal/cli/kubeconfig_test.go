package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

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
	// Written: the user's exec stanza runs this binary's tok kube -p k8s
	// with the test's TOK_HOME; --context points prod at it; other
	// entries stay; --from-cluster leaves the profile to the cluster.
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte("apiVersion: v1\nkind: Config\ncontexts:\n- name: prod\n  context:\n    cluster: prod\n    user: old\nusers:\n- name: old\n  user:\n    token: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if err := d.runSetCredentials(&setCredentialsOptions{User: "oidc", Profile: "k8s", Kubeconfig: path, Context: "prod"}); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), `Set user "oidc" in `+path+` to get its credentials from tok; context "prod" now uses it.`)
	type execStanza struct {
		APIVersion         string              `yaml:"apiVersion"`
		Command            string              `yaml:"command"`
		Args               []string            `yaml:"args"`
		Env                []map[string]string `yaml:"env"`
		InteractiveMode    string              `yaml:"interactiveMode"`
		ProvideClusterInfo bool                `yaml:"provideClusterInfo"`
	}
	read := func() (users map[string]*execStanza, contextUser map[string]string) {
		t.Helper()
		var kc struct {
			Users []struct {
				Name string
				User struct {
					Token string
					Exec  *execStanza
				}
			}
			Contexts []struct {
				Name    string
				Context struct{ User string }
			}
		}
		b, err := os.ReadFile(path)
		if err != nil || yaml.Unmarshal(b, &kc) != nil {
			t.Fatalf("kubeconfig: %s %v", b, err)
		}
		users, contextUser = map[string]*execStanza{}, map[string]string{}
		for _, u := range kc.Users {
			users[u.Name] = u.User.Exec
			if u.Name == "old" && u.User.Token != "x" {
				t.Errorf("the old user lost its token: %s", b)
			}
		}
		for _, c := range kc.Contexts {
			contextUser[c.Name] = c.Context.User
		}
		return users, contextUser
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if resolved, err := filepath.EvalSymlinks(self); err == nil {
		self = resolved
	}
	users, contexts := read()
	want := &execStanza{APIVersion: "client.authentication.k8s.io/v1", Command: self, Args: []string{"kube", "-p", "k8s"},
		Env: []map[string]string{{"name": "TOK_HOME", "value": d.getenv("TOK_HOME")}}, InteractiveMode: "IfAvailable"}
	if _, kept := users["old"]; !kept || !reflect.DeepEqual(users["oidc"], want) || contexts["prod"] != "oidc" {
		t.Errorf("users %v, contexts %v\noidc %+v\nwant %+v", users, contexts, users["oidc"], want)
	}
	if err := d.runSetCredentials(&setCredentialsOptions{User: "tok", FromCluster: true, Kubeconfig: path}); err != nil {
		t.Fatal(err)
	}
	users, _ = read()
	want.Args, want.ProvideClusterInfo = []string{"kube"}, true
	if !reflect.DeepEqual(users["tok"], want) || users["oidc"] == nil {
		t.Errorf("--from-cluster: %+v, want %+v", users["tok"], want)
	}
}
