package kubeconfig_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/kubeconfig"
)

var tokExec = kubeconfig.ExecUser{
	Command:            "/usr/local/bin/tok",
	Args:               []string{"kube", "-p", "prod"},
	ProvideClusterInfo: true,
}

// tokUser is the users entry SetCredentials writes for tokExec.
const tokUser = `- name: tok
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /usr/local/bin/tok
      args:
      - kube
      - -p
      - prod
      interactiveMode: IfAvailable
      provideClusterInfo: true
`

// existing is a kubeconfig with several entries, comments, and unknown
// fields at every level.
const existing = `# managed by hand
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
    server: https://10.0.0.1:6443
    x-vendor-field: keep me # inline comment
  name: alpha
- cluster:
    server: https://beta.example.com
  name: beta
contexts:
- context:
    cluster: alpha
    namespace: kube-system
    user: alice
  name: alpha
- context:
    cluster: beta
    user: bob
  name: beta
current-context: alpha
kind: Config
preferences: {}
users:
- name: alice
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
  x-entry-field: 42
- name: bob
  user:
    token: static-token
x-top-level:
  nested: [1, 2, 3]
`

func TestSetCredentials(t *testing.T) {
	tests := []struct {
		name    string
		initial *string // nil: no file
		user    string
		exec    kubeconfig.ExecUser
		context string
		want    string
	}{
		{
			name: "missing file",
			user: "tok",
			exec: tokExec,
			want: `apiVersion: v1
kind: Config
clusters: []
contexts: []
current-context: ""
preferences: {}
users:
` + tokUser,
		},
		{
			name:    "empty file",
			initial: ptr(""),
			user:    "tok",
			exec:    tokExec,
			want: `apiVersion: v1
kind: Config
clusters: []
contexts: []
current-context: ""
preferences: {}
users:
` + tokUser,
		},
		{
			name:    "new user appended, everything else kept in order",
			initial: ptr(existing),
			user:    "tok",
			exec:    tokExec,
			want:    strings.Replace(existing, "x-top-level:", tokUser+"x-top-level:", 1),
		},
		{
			name:    "existing user updated in place, conflicting token dropped",
			initial: ptr(existing),
			user:    "bob",
			exec:    tokExec,
			want: strings.Replace(existing, `- name: bob
  user:
    token: static-token
`, strings.Replace(tokUser, "- name: tok", "- name: bob", 1), 1),
		},
		{
			name:    "existing user keeps client certificates and unknown fields",
			initial: ptr(existing),
			user:    "alice",
			exec:    kubeconfig.ExecUser{Command: "tok", APIVersion: "client.authentication.k8s.io/v1beta1", InteractiveMode: kubeconfig.InteractiveNever},
			want: strings.Replace(existing, `    client-key-data: S0VZ
`, `    client-key-data: S0VZ
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: tok
      interactiveMode: Never
      provideClusterInfo: false
`, 1),
		},
		{
			name:    "context switched to the user",
			initial: ptr(existing),
			user:    "tok",
			exec:    tokExec,
			context: "beta",
			want: strings.NewReplacer(
				"x-top-level:", tokUser+"x-top-level:",
				"    user: bob\n  name: beta", "    user: tok\n  name: beta",
			).Replace(existing),
		},
		{
			name:    "users null and a stale exec stanza replaced whole",
			initial: ptr("apiVersion: v1\nkind: Config\nusers:\n"),
			user:    "tok",
			exec:    tokExec,
			want:    "apiVersion: v1\nkind: Config\nusers:\n" + tokUser,
		},
		{
			name: "exec stanza replaced whole",
			initial: ptr(`users:
- name: tok
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token]
      installHint: install the AWS CLI
`),
			user: "tok",
			exec: tokExec,
			want: "users:\n" + tokUser,
		},
		{
			name:    "flow-style lists become block lists",
			initial: ptr("apiVersion: v1\nkind: Config\nusers: []\ncontexts: [{name: c, context: {cluster: x, user: old}}]\n"),
			user:    "tok",
			exec:    tokExec,
			context: "c",
			want:    "apiVersion: v1\nkind: Config\nusers:\n" + tokUser + "contexts:\n- {name: c, context: {cluster: x, user: tok}}\n",
		},
		{
			name:    "no users key",
			initial: ptr("apiVersion: v1\nkind: Config\n"),
			user:    "tok",
			exec:    tokExec,
			want:    "apiVersion: v1\nkind: Config\nusers:\n" + tokUser,
		},
		{
			name:    "values YAML 1.1 would misread are quoted, env sorted",
			initial: ptr(""),
			user:    "yes",
			exec: kubeconfig.ExecUser{
				Command: "tok",
				Args:    []string{"no", "1:20", "true", "a b", "it's"},
				Env:     map[string]string{"TOK_Z": "on", "TOK_A": "7"},
			},
			want: `apiVersion: v1
kind: Config
clusters: []
contexts: []
current-context: ""
preferences: {}
users:
- name: "yes"
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: tok
      args:
      - "no"
      - "1:20"
      - "true"
      - a b
      - it's
      env:
      - name: TOK_A
        value: "7"
      - name: TOK_Z
        value: "on"
      interactiveMode: IfAvailable
      provideClusterInfo: false
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kube", "config")
			if tt.initial != nil {
				writeFile(t, path, *tt.initial, 0o600)
			}
			if err := kubeconfig.SetCredentials(path, tt.user, tt.exec, tt.context); err != nil {
				t.Fatalf("SetCredentials: %v", err)
			}
			if got := readFile(t, path); got != tt.want {
				t.Errorf("kubeconfig after SetCredentials:\n%s\nwant:\n%s", got, tt.want)
			}
			if _, err := os.Stat(path + ".lock"); !os.IsNotExist(err) {
				t.Errorf("lock file left behind: %v", err)
			}
			assertNoTempFiles(t, filepath.Dir(path))
		})
	}
}

func TestSetCredentialsIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	writeFile(t, path, existing, 0o600)
	for range 2 {
		if err := kubeconfig.SetCredentials(path, "tok", tokExec, "beta"); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Count(readFile(t, path), "- name: tok\n"); got != 1 {
		t.Errorf("users entry tok appears %d times after two runs, want 1", got)
	}
}

func TestSetCredentialsFileModes(t *testing.T) {
	t.Run("new file and directory are private", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nested", ".kube")
		path := filepath.Join(dir, "config")
		if err := kubeconfig.SetCredentials(path, "tok", tokExec, ""); err != nil {
			t.Fatal(err)
		}
		assertMode(t, path, 0o600)
		assertMode(t, dir, 0o700)
	})
	for _, mode := range []os.FileMode{0o600, 0o640, 0o644} {
		t.Run("existing mode "+mode.String()+" kept", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config")
			writeFile(t, path, existing, mode)
			if err := kubeconfig.SetCredentials(path, "tok", tokExec, ""); err != nil {
				t.Fatal(err)
			}
			assertMode(t, path, mode)
		})
	}
	t.Run("symlink kept, target updated", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "real-config")
		link := filepath.Join(dir, "config")
		writeFile(t, target, existing, 0o640)
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		if err := kubeconfig.SetCredentials(link, "tok", tokExec, ""); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("%s is no longer a symlink (%v)", link, err)
		}
		if !strings.Contains(readFile(t, target), "- name: tok\n") {
			t.Error("symlink target was not updated")
		}
		assertMode(t, target, 0o640)
	})
}

func TestSetCredentialsErrorsLeaveFileUntouched(t *testing.T) {
	tests := []struct {
		name    string
		initial string
		user    string
		exec    kubeconfig.ExecUser
		context string
		locked  bool
		wantErr []string
	}{
		{
			name:    "nonexistent context",
			initial: existing,
			user:    "tok",
			exec:    tokExec,
			context: "gamma",
			wantErr: []string{`context "gamma" does not exist`, "contexts: alpha, beta", "kubectl config set-context gamma"},
		},
		{
			name:    "malformed YAML",
			initial: "apiVersion: v1\nusers:\n- name: a\n  user: [unclosed\n",
			user:    "tok",
			exec:    tokExec,
			wantErr: []string{"could not parse kubeconfig", "line", "was not changed"},
		},
		{
			name:    "top level is a list",
			initial: "- a\n- b\n",
			user:    "tok",
			exec:    tokExec,
			wantErr: []string{"could not parse kubeconfig", "top level is not a mapping"},
		},
		{
			name:    "two documents",
			initial: "apiVersion: v1\n---\napiVersion: v1\n",
			user:    "tok",
			exec:    tokExec,
			wantErr: []string{"more than one YAML document"},
		},
		{
			name:    "users is not a list",
			initial: "users: {tok: {}}\n",
			user:    "tok",
			exec:    tokExec,
			wantErr: []string{"users is not a list"},
		},
		{
			name:    "locked by kubectl",
			initial: existing,
			user:    "tok",
			exec:    tokExec,
			locked:  true,
			wantErr: []string{"is locked", ".lock exists"},
		},
		{
			name:    "no command",
			initial: existing,
			user:    "tok",
			exec:    kubeconfig.ExecUser{},
			wantErr: []string{"exec command is empty"},
		},
		{
			name:    "no user name",
			initial: existing,
			exec:    tokExec,
			wantErr: []string{"user name is empty"},
		},
		{
			name:    "unsupported apiVersion",
			initial: existing,
			user:    "tok",
			exec:    kubeconfig.ExecUser{Command: "tok", APIVersion: "client.authentication.k8s.io/v1alpha1"},
			wantErr: []string{`apiVersion "client.authentication.k8s.io/v1alpha1" is not supported`},
		},
		{
			name:    "bad interactive mode",
			initial: existing,
			user:    "tok",
			exec:    kubeconfig.ExecUser{Command: "tok", InteractiveMode: "Sometimes"},
			wantErr: []string{`interactiveMode "Sometimes" is not valid`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config")
			writeFile(t, path, tt.initial, 0o640)
			if tt.locked {
				writeFile(t, path+".lock", "", 0o600)
			}
			err := kubeconfig.SetCredentials(path, tt.user, tt.exec, tt.context)
			if err == nil {
				t.Fatal("SetCredentials succeeded, want an error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if got := readFile(t, path); got != tt.initial {
				t.Errorf("file changed despite the error:\n%s", got)
			}
			assertMode(t, path, 0o640)
			_, lockErr := os.Stat(path + ".lock")
			if tt.locked != (lockErr == nil) {
				t.Errorf("lock file present = %v, want %v", lockErr == nil, tt.locked)
			}
			assertNoTempFiles(t, filepath.Dir(path))
		})
	}
}

func TestRender(t *testing.T) {
	exec := kubeconfig.ExecUser{
		Command:            "/opt/my tools/tok",
		Args:               []string{"kube", "-p", "it's prod"},
		Env:                map[string]string{"TOK_HOME": "/home/a b", "TOK_DEBUG": "1"},
		ProvideClusterInfo: true,
	}
	stanza, command := kubeconfig.Render("dev-user", exec)
	wantStanza := `- name: dev-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /opt/my tools/tok
      args:
      - kube
      - -p
      - it's prod
      env:
      - name: TOK_DEBUG
        value: "1"
      - name: TOK_HOME
        value: /home/a b
      interactiveMode: IfAvailable
      provideClusterInfo: true
`
	if stanza != wantStanza {
		t.Errorf("stanza:\n%s\nwant:\n%s", stanza, wantStanza)
	}
	wantCommand := `kubectl config set-credentials dev-user --exec-api-version=client.authentication.k8s.io/v1 ` +
		`--exec-command='/opt/my tools/tok' --exec-arg=kube --exec-arg=-p --exec-arg='it'"'"'s prod' ` +
		`--exec-env=TOK_DEBUG=1 --exec-env='TOK_HOME=/home/a b' --exec-interactive-mode=IfAvailable --exec-provide-cluster-info=true`
	if command != wantCommand {
		t.Errorf("command:\n%s\nwant:\n%s", command, wantCommand)
	}

	// The stanza is exactly what SetCredentials adds to a file.
	path := filepath.Join(t.TempDir(), "config")
	writeFile(t, path, "users:\n", 0o600)
	if err := kubeconfig.SetCredentials(path, "dev-user", exec, ""); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "users:\n"+stanza {
		t.Errorf("SetCredentials wrote\n%s\nwhile Render shows\n%s", got, stanza)
	}
}

func TestDefaultPath(t *testing.T) {
	home := t.TempDir()
	dir := t.TempDir()
	existingFile := filepath.Join(dir, "exists")
	writeFile(t, existingFile, "", 0o600)
	missing1 := filepath.Join(dir, "missing1")
	missing2 := filepath.Join(dir, "missing2")
	list := func(paths ...string) string { return strings.Join(paths, string(os.PathListSeparator)) }

	tests := []struct {
		name       string
		kubeconfig string
		want       string
	}{
		{name: "unset", kubeconfig: "", want: filepath.Join(home, ".kube", "config")},
		{name: "single file", kubeconfig: missing1, want: missing1},
		{name: "first existing file", kubeconfig: list(missing1, existingFile, missing2), want: existingFile},
		{name: "none exists: the first", kubeconfig: list(missing1, missing2), want: missing1},
		{name: "empty entries skipped", kubeconfig: list("", missing2, ""), want: missing2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HOME", home)
			t.Setenv("USERPROFILE", home)
			t.Setenv("KUBECONFIG", tt.kubeconfig)
			if got := kubeconfig.DefaultPath(); got != tt.want {
				t.Errorf("DefaultPath() = %q, want %q", got, tt.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	// WriteFile's mode is filtered by the umask; set it exactly.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("mode of %s = %v, want %v", path, got, want)
	}
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}
