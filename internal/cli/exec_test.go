//go:build unix

package cli

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/when"
)

func TestNewCmdExec(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want execOptions
	}{
		{[]string{"-p", "api", "--", "curl", "-H", "@-"}, execOptions{Profile: "api", Argv: []string{"curl", "-H", "@-"}}},
		{[]string{"--env", "GH_TOKEN", "--env", "X", "--mask", "--token-file", "/tmp/t", "gh", "-p", "x"},
			execOptions{Argv: []string{"gh", "-p", "x"}, Env: []string{"GH_TOKEN", "X"}, Mask: true, TokenFile: "/tmp/t"}},
	} {
		d, _, _, _, _ := testDeps(t, nil)
		got := parsed(t, d, newCmdExec, tc.argv...)
		if got == nil || got.Profile != tc.want.Profile || !reflect.DeepEqual(got.Argv, tc.want.Argv) || !reflect.DeepEqual(got.Env, tc.want.Env) ||
			got.Mask != tc.want.Mask || got.TokenFile != tc.want.TokenFile {
			t.Errorf("%q: parsed %+v, want %+v", tc.argv, got, tc.want)
		}
	}
	d, _, _, _, _ := testDeps(t, nil)
	if err := parseCmd(d, newCmdExec(d, func(*execOptions) error { return nil }), "-p", "api"); exitCode(err) != ExitUsage {
		t.Errorf("no command: %v, want a usage error", err)
	}
}

// TestExecRun runs a real child with the profile's token in TOK_TOKEN and
// the named variable, and returns the child's exit code.
func TestExecRun(t *testing.T) {
	srv := svcServer(t)
	d, _, _, out, _ := testDeps(t, nil)
	addClientCredentials(t, d, srv, "ci")
	if err := d.runToken(t.Context(), &tokenOptions{Profile: "ci", Output: "raw"}); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())
	out.Reset()
	err := d.runExec(t.Context(), &execOptions{Profile: "ci", Env: []string{"API_TOKEN"},
		Argv: []string{"sh", "-c", `printf '%s %s %s' "$TOK_EXEC" "$API_TOKEN" "$(cat "$TOK_TOKEN_FILE")"; [ "$TOK_TOKEN" = "$API_TOKEN" ] && exit 3`}})
	if exitCode(err) != 3 {
		t.Errorf("exit code %d (%v), want the child's 3", exitCode(err), err)
	}
	if want := "ci " + token + " " + token; out.String() != want {
		t.Errorf("child printed %q, want %q", out, want)
	}
	if n := srv.Counts().TokenRequests(); n != 1 {
		t.Errorf("%d token requests, want the cached token's 1", n)
	}
	// A command that is not there: 127, as in the shell.
	if err := d.runExec(t.Context(), &execOptions{Profile: "ci", Argv: []string{"/nonexistent/tok-test"}}); exitCode(err) != 127 {
		t.Errorf("missing command: exit %d (%v), want 127", exitCode(err), err)
	}

	// The ephemeral profile TOK_ISSUER describes, in memory; the child
	// never sees tok's client secret.
	vars := map[string]string{"TOK_ISSUER": srv.Issuer(), "TOK_CLIENT_ID": "svc", "TOK_CLIENT_SECRET": "s3cret"}
	e, _, _, eout, _ := testDeps(t, vars)
	e.environ = func() []string {
		return []string{"PATH=" + os.Getenv("PATH"), "KEEP=kept", "TOK_CLIENT_SECRET=s3cret"}
	}
	err = e.runExec(t.Context(), &execOptions{Argv: []string{"sh", "-c", `printf '%s %s %s' "$TOK_EXEC" "$KEEP" "${TOK_CLIENT_SECRET:-unset}"; [ -n "$TOK_TOKEN" ]`}})
	if err != nil || eout.String() != "ephemeral kept unset" {
		t.Errorf("ephemeral exec: %v, child printed %q", err, eout)
	}
}

// TestExecFetchReturnsTheCallsWarning: the fetch tok exec's refresher
// calls keeps serving the current token when a refresh inside the margin
// fails, and hands the call's warning back to the refresher instead of
// printing it (the refresher folds a run of them into one line).
func TestExecFetchReturnsTheCallsWarning(t *testing.T) {
	srv := svcServer(t)
	d, now, _, out, errOut := testDeps(t, nil)
	addClientCredentials(t, d, srv, "ci")
	if err := d.runToken(t.Context(), &tokenOptions{Profile: "ci", Output: "raw"}); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())
	svc, err := d.service()
	if err != nil {
		t.Fatal(err)
	}
	fetch := execFetch(svc, "ci")
	cred, warning, err := fetch(t.Context())
	if err != nil || cred.Token != token || warning != "" {
		t.Fatalf("fresh token: %v, same token %v, warning %q", err, cred.Token == token, warning)
	}
	// Inside the refresh margin, with the provider failing.
	expiry := storedStatus(t, d, "ci").Expiry
	*now = expiry.Add(-30 * time.Second)
	srv.FailTokenRequests(500)
	cred, warning, err = fetch(t.Context())
	want := `warning: could not refresh profile "ci" (the provider answered HTTP 500 with server_error: authserver: token requests are set to fail); using the current token, valid until ` + when.Format(expiry, *now)
	if err != nil || cred.Token != token || warning != want || errOut.Len() != 0 {
		t.Errorf("failed refresh: %v, same token %v, stderr %q\nwarning %q\nwant    %q", err, cred.Token == token, errOut, warning, want)
	}
}
