package cli

import (
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

func TestNewCmdRevoke(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	var got *revokeOptions
	cmd := newCmdRevoke(d, func(o *revokeOptions) error { got = o; return nil })
	if err := parseCmd(d, cmd, "ci", "--local"); err != nil {
		t.Fatal(err)
	}
	if got == nil || *got != (revokeOptions{Profile: "ci", Local: true}) {
		t.Errorf("parsed %+v", got)
	}
}

// TestRevokeRun: tok revoke revokes at the provider and forgets here;
// --local only forgets; a static token is only forgotten and the message
// says where to revoke it; without a name the default profile is meant,
// and with no default, off a terminal, revoke fails naming what to pass.
func TestRevokeRun(t *testing.T) {
	srv := svcServer(t)
	d, _, in, out, errOut := testDeps(t, nil)
	addClientCredentials(t, d, srv, "ci")
	token := func(name string) string {
		t.Helper()
		out.Reset()
		if err := d.runToken(t.Context(), &tokenOptions{Profile: name, Output: "raw"}); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out.String())
	}
	revoke := func(opts revokeOptions, want string) {
		t.Helper()
		errOut.Reset()
		if err := d.runRevoke(t.Context(), &opts); err != nil {
			t.Fatalf("revoke %+v: %v", opts, err)
		}
		wantLine(t, errOut.String(), want)
		if state := storedStatus(t, d, opts.Profile); opts.Profile != "" && !state.Obtained.IsZero() {
			t.Errorf("revoke %+v kept the tokens (obtained %s)", opts, state.Obtained)
		}
	}

	tok := token("ci")
	revoke(revokeOptions{Profile: "ci"}, `Revoked the tokens of profile "ci" at the provider and forgot them here.`)
	if srv.Introspect(tok) {
		t.Error("the provider still accepts the revoked token")
	}
	revoke(revokeOptions{Profile: "ci"}, `Profile "ci" holds no tokens; there was nothing to revoke.`)

	tok = token("ci")
	revoke(revokeOptions{Profile: "ci", Local: true}, `Forgot the tokens of profile "ci" on this machine; the provider was not told (--local).`)
	if !srv.Introspect(tok) {
		t.Error("--local revoked the token at the provider")
	}

	if err := profileAdd(t, d, "gh", "--type", "static", "--env", "GH_TOKEN"); err != nil {
		t.Fatal(err)
	}
	in.WriteString("ghp_s3cret\n")
	if err := d.runLogin(t.Context(), &loginOptions{Profile: "gh", WithToken: true}); err != nil {
		t.Fatal(err)
	}
	revoke(revokeOptions{Profile: "gh"}, `Forgot the token of profile "gh" on this machine. tok cannot revoke a static token; it stays valid until you revoke it at GitHub's token settings (https://github.com/settings/tokens).`)

	// No name: the default profile; no default and no terminal: an error.
	if err := d.runUse(t.Context(), &useOptions{Name: "ci"}); err != nil {
		t.Fatal(err)
	}
	token("ci")
	revoke(revokeOptions{}, `Revoked the tokens of profile "ci" at the provider and forgot them here.`)
	if err := d.runUse(t.Context(), &useOptions{Unset: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.runRevoke(t.Context(), &revokeOptions{}); exitCode(err) != ExitUsage ||
		err.Error() != "no profile selected; pass -p NAME or set TOK_PROFILE (or choose a default with: tok use NAME)" {
		t.Errorf("no profile, no default, no terminal: %v (exit %d)", err, exitCode(err))
	}
}

// TestRevokeReport: what tok revoke says for each outcome, the static
// token's revocation page chosen by its --env names.
func TestRevokeReport(t *testing.T) {
	static := func(env ...string) tokens.Profile {
		return tokens.Profile{Profile: record.Profile{Name: "s", Type: record.Static, Env: env}}
	}
	for _, tc := range []struct {
		p    tokens.Profile
		out  tokens.RevokeOutcome
		want string
	}{
		{static("GITLAB_TOKEN"), tokens.RevokeOutcome{HadTokens: true}, `Forgot the token of profile "s" on this machine. tok cannot revoke a static token; it stays valid until you revoke it at GitLab's access token settings (https://gitlab.com/-/user_settings/personal_access_tokens).`},
		{static("API_KEY"), tokens.RevokeOutcome{HadTokens: true}, `Forgot the token of profile "s" on this machine. tok cannot revoke a static token; it stays valid until you revoke it where it was issued.`},
		{tokens.Profile{Profile: record.Profile{Name: "f", Type: record.Federated}}, tokens.RevokeOutcome{HadTokens: true}, `Forgot the token of profile "f" on this machine; the provider was not told, and the token stays valid there until it expires.`},
		{static(), tokens.RevokeOutcome{}, `Profile "s" holds no tokens; there was nothing to revoke.`},
	} {
		if got := revokeReport(tc.p, tc.out); got != tc.want {
			t.Errorf("revokeReport(%s %s, %+v)\n got  %q\n want %q", tc.p.Type, tc.p.Env, tc.out, got, tc.want)
		}
	}
}
