package execcred_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"github.com/tok-cli/tok/internal/testkit/need"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/execcred"
	"github.com/tok-cli/tok/internal/testkit/kubeapi"
)

// TestKubectlAcceptsExecCredential runs the real kubectl with a kubeconfig
// whose exec plugin is a small program built on this package, against a test
// API server that only accepts one token.
func TestKubectlAcceptsExecCredential(t *testing.T) {
	kubectl := need.Command(t, "kubectl", "run: .ci/setup")
	plugin := buildPlugin(t)
	const goodToken = "good-token-1234"
	api := kubeapi.NewAPIServer(t, func(token string) bool { return token == goodToken })

	tests := []struct {
		name               string
		execAPIVersion     string
		token              string
		provideClusterInfo bool
		wantOK             bool
	}{
		{name: "v1", execAPIVersion: execcred.APIVersionV1, token: goodToken, wantOK: true},
		{name: "v1beta1", execAPIVersion: execcred.APIVersionV1beta1, token: goodToken, wantOK: true},
		{name: "v1 with cluster info", execAPIVersion: execcred.APIVersionV1, token: goodToken, provideClusterInfo: true, wantOK: true},
		{name: "v1beta1 with cluster info", execAPIVersion: execcred.APIVersionV1beta1, token: goodToken, provideClusterInfo: true, wantOK: true},
		{name: "unexpected token", execAPIVersion: execcred.APIVersionV1, token: "wrong-token", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			record := filepath.Join(dir, "exec-info.log")
			kubeconfig := writeKubeconfig(t, dir, kubeconfigParams{
				Server:             api.URL,
				CAData:             api.CAData,
				ExecAPIVersion:     tt.execAPIVersion,
				Command:            plugin,
				Args:               []string{"-token", tt.token, "-record", record},
				ProvideClusterInfo: tt.provideClusterInfo,
				ClusterProfile:     "prod-oidc",
			})
			podListsBefore := api.PodLists()

			out, err := runKubectl(t, kubectl, dir, "--kubeconfig", kubeconfig, "get", "pods", "-n", "default")

			if tt.wantOK {
				if err != nil {
					t.Fatalf("kubectl get pods failed: %v\n%s", err, out)
				}
				if !strings.Contains(out, kubeapi.PodName) {
					t.Errorf("kubectl output does not list pod %q:\n%s", kubeapi.PodName, out)
				}
				if got := api.PodLists() - podListsBefore; got < 1 {
					t.Errorf("API server served %d pod lists, want at least 1", got)
				}
			} else {
				if err == nil {
					t.Fatalf("kubectl get pods succeeded with an unexpected token:\n%s", out)
				}
				if got := api.PodLists() - podListsBefore; got != 0 {
					t.Errorf("API server served %d pod lists to an unexpected token, want 0", got)
				}
			}

			infos := readExecInfos(t, record)
			if len(infos) == 0 {
				t.Fatal("kubectl never ran the plugin")
			}
			for _, info := range infos {
				if !info.Provided {
					t.Errorf("kubectl did not set %s", execcred.EnvVar)
				}
				if info.APIVersion != tt.execAPIVersion {
					t.Errorf("kubectl sent apiVersion %q, want %q", info.APIVersion, tt.execAPIVersion)
				}
				if info.Interactive {
					t.Error("kubectl sent interactive=true without a terminal")
				}
				profile, ok := execcred.ClusterProfile(info)
				if tt.provideClusterInfo {
					if info.Cluster == nil || info.Cluster.Server != api.URL {
						t.Errorf("kubectl sent cluster %+v, want server %q", info.Cluster, api.URL)
					} else if !bytes.Equal(info.Cluster.CertificateAuthorityData, api.CAData) {
						t.Error("kubectl sent different certificate-authority-data than the kubeconfig holds")
					}
					if profile != "prod-oidc" || !ok {
						t.Errorf("ClusterProfile = %q, %v; want %q, true (config %s)", profile, ok, "prod-oidc", clusterConfigOf(info))
					}
				} else {
					if info.Cluster != nil {
						t.Errorf("kubectl sent cluster info without provideClusterInfo: %+v", info.Cluster)
					}
					if ok {
						t.Errorf("ClusterProfile = %q, true without provideClusterInfo", profile)
					}
				}
			}
		})
	}
	if api.Unauthorized() == 0 {
		t.Error("the API server never answered 401, so the unexpected-token case proved nothing")
	}
}

func clusterConfigOf(info execcred.Info) string {
	if info.Cluster == nil {
		return "<no cluster>"
	}
	return string(info.Cluster.Config)
}

// buildPlugin builds testdata/execplugin into a temporary directory.
func buildPlugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "execplugin")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/execplugin")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("could not build the test plugin: %v\n%s", err, out)
	}
	return bin
}

type kubeconfigParams struct {
	Server             string
	CAData             []byte
	ExecAPIVersion     string
	Command            string
	Args               []string
	ProvideClusterInfo bool
	ClusterProfile     string
}

// writeKubeconfig writes a one-cluster kubeconfig whose cluster names
// p.ClusterProfile through the exec extension, as the package comment
// describes.
func writeKubeconfig(t *testing.T, dir string, p kubeconfigParams) string {
	t.Helper()
	var args strings.Builder
	for _, a := range p.Args {
		fmt.Fprintf(&args, "      - %q\n", a)
	}
	content := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %q
    certificate-authority-data: %s
    extensions:
    - name: %s
      extension:
        tok:
          profile: %q
contexts:
- name: test
  context:
    cluster: test
    user: tok
current-context: test
users:
- name: tok
  user:
    exec:
      apiVersion: %s
      command: %q
      args:
%s      interactiveMode: IfAvailable
      provideClusterInfo: %t
`, p.Server, base64.StdEncoding.EncodeToString(p.CAData), execcred.ClusterExtensionName, p.ClusterProfile,
		p.ExecAPIVersion, p.Command, args.String(), p.ProvideClusterInfo)
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runKubectl runs kubectl with a private HOME (so its discovery cache stays
// in the test's directory) and no inherited KUBECONFIG.
func runKubectl(t *testing.T, kubectl, home string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectl, append([]string{"--request-timeout=20s"}, args...)...)
	cmd.Env = append(filteredEnv("KUBECONFIG", "HOME"), "HOME="+home)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

func filteredEnv(drop ...string) []string {
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, name := range drop {
			if strings.HasPrefix(kv, name+"=") {
				continue next
			}
		}
		env = append(env, kv)
	}
	return env
}

// readExecInfos parses every KUBERNETES_EXEC_INFO the plugin recorded.
func readExecInfos(t *testing.T, path string) []execcred.Info {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var infos []execcred.Info
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		env, err := strconv.Unquote(sc.Text())
		if err != nil {
			t.Fatalf("could not unquote recorded exec info %s: %v", sc.Text(), err)
		}
		info, err := execcred.ParseInfo(env)
		if err != nil {
			t.Fatalf("kubectl sent an exec info this package rejects: %v\n%s", err, env)
		}
		infos = append(infos, info)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return infos
}
