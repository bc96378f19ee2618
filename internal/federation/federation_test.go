package federation_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/federation"
	"github.com/tok-cli/tok/internal/testkit/fedserver"
)

func envOf(kvs ...string) func(string) string {
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func TestSubjectToken(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name    string
		src     federation.Source
		env     []string
		want    string
		wantErr string
	}{
		{"file", federation.Source{File: file}, nil, "from-file", ""},
		{"missing file", federation.Source{File: filepath.Join(dir, "nope")}, nil, "", "no such file"},
		{"command", federation.Source{Command: "echo from-command; echo note >&2"}, nil, "from-command", ""},
		{"failing command", federation.Source{Command: "exit 3"}, nil, "", "exit status 3"},
		{"command printing nothing", federation.Source{Command: "true"}, nil, "", "is empty"},
		{"env", federation.Source{Env: "GITLAB_OIDC_TOKEN"}, []string{"GITLAB_OIDC_TOKEN=from-env"}, "from-env", ""},
		{"unset env", federation.Source{Env: "GITLAB_OIDC_TOKEN"}, nil, "", "id_tokens"},
		{"no source", federation.Source{}, nil, "", "no subject token source"},
		{"two sources", federation.Source{File: file, Env: "X"}, nil, "", "more than one"},
		{"GitHub without its variables", federation.Source{GitHubAudience: "sts"}, nil, "", "id-token: write"},
		{"GitHub over plain http elsewhere", federation.Source{GitHubAudience: "sts"},
			[]string{"ACTIONS_ID_TOKEN_REQUEST_URL=http://example.com/x?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN=t"}, "", "not an https URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			f := federation.Fetcher{Getenv: envOf(tc.env...), Stderr: &stderr}
			got, err := f.SubjectToken(ctx, tc.src)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want an error with %q, got %q, %v", tc.wantErr, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestCommandTimeout(t *testing.T) {
	t.Parallel()
	f := federation.Fetcher{CommandTimeout: 100 * time.Millisecond}
	start := time.Now()
	_, err := f.SubjectToken(context.Background(), federation.Source{Command: "sleep 10"})
	if err == nil || !strings.Contains(err.Error(), "did not finish") || time.Since(start) > 5*time.Second {
		t.Fatalf("got %v after %s", err, time.Since(start))
	}
}

// TestGitHubActions asks a local stand-in of the GitHub Actions OIDC token
// endpoint, with the request URL and bearer token a job would have.
func TestGitHubActions(t *testing.T) {
	t.Parallel()
	platform := fedserver.NewPlatform(t, "repo:o/r:ref:refs/heads/main")
	f := federation.Fetcher{Getenv: envOf(platform.GitHubEnv()...)}
	tok, err := f.SubjectToken(context.Background(), federation.Source{GitHubAudience: "https://sts.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(tok, ".") != 2 {
		t.Fatalf("not a JWT: %q", tok)
	}
	reqs := platform.GitHubRequests()
	if len(reqs) != 1 || reqs[0].Audience != "https://sts.example.com" || !reqs[0].Authorized {
		t.Fatalf("the endpoint saw %+v", reqs)
	}

	bad := federation.Fetcher{Getenv: envOf(platform.GitHubEnv()[0], "ACTIONS_ID_TOKEN_REQUEST_TOKEN=wrong")}
	_, err = bad.SubjectToken(context.Background(), federation.Source{GitHubAudience: "sts"})
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("with a bad request token: %v", err)
	}
}
