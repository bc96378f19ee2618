package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestNewCmdKube(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	got := parsed(t, d, newCmdKube, "-p", "k8s")
	if got == nil || got.Profile != "k8s" {
		t.Errorf("parsed %+v", got)
	}
	if err := parseCmd(d, newCmdKube(d, func(*kubeOptions) error { return nil }), "k8s"); err == nil || exitCode(err) != ExitUsage {
		t.Errorf("an argument: %v, want a usage error", err)
	}
}

// TestKubeRun: -p, else the cluster's exec extension, else TOK_PROFILE
// names the profile whose token goes into the ExecCredential.
func TestKubeRun(t *testing.T) {
	srv := svcServer(t)
	vars := map[string]string{}
	d, _, _, out, _ := testDeps(t, vars)
	addClientCredentials(t, d, srv, "a")
	addClientCredentials(t, d, srv, "b")
	addClientCredentials(t, d, srv, "c")
	tokenOf := func(profile string) string {
		t.Helper()
		out.Reset()
		if err := d.runToken(t.Context(), &tokenOptions{Profile: profile, Output: "raw"}); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out.String())
	}
	want := map[string]string{"a": tokenOf("a"), "b": tokenOf("b"), "c": tokenOf("c")}

	vars["KUBERNETES_EXEC_INFO"] = `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"server":"https://k8s.example:6443","config":{"tok":{"profile":"b"}}},"interactive":false}}`
	vars["TOK_PROFILE"] = "c"
	for _, tc := range []struct{ flag, want string }{{"a", "a"}, {"", "b"}} {
		out.Reset()
		if err := d.runKube(t.Context(), &kubeOptions{Profile: tc.flag}); err != nil {
			t.Fatal(err)
		}
		var ec struct {
			APIVersion string
			Kind       string
			Status     struct {
				Token               string
				ExpirationTimestamp string
			}
		}
		if err := json.Unmarshal(out.Bytes(), &ec); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if ec.Kind != "ExecCredential" || ec.APIVersion != "client.authentication.k8s.io/v1" || ec.Status.Token != want[tc.want] || ec.Status.ExpirationTimestamp == "" {
			t.Errorf("-p %q: got %s, want the token of %s", tc.flag, out, tc.want)
		}
	}
	delete(vars, "KUBERNETES_EXEC_INFO")
	out.Reset()
	if err := d.runKube(t.Context(), &kubeOptions{}); err != nil || !strings.Contains(out.String(), want["c"]) {
		t.Errorf("TOK_PROFILE without a cluster: %v %s", err, out)
	}
	// tok token -o exec-credential is the same writer.
	out.Reset()
	if err := d.runToken(t.Context(), &tokenOptions{Profile: "a", Output: "exec-credential"}); err != nil || !strings.Contains(out.String(), want["a"]) {
		t.Errorf("token -o exec-credential: %v %s", err, out)
	}
}
