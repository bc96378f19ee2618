package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/fedserver"
)

// TestFederatedRenewalTradesAFreshSubjectToken: a stored federated
// profile (the GitHub Actions token traded as an RFC 7523 JWT bearer
// grant), on the injected clock over three token lifetimes: within a
// lifetime tok token asks nobody; each renewal fetches a new platform
// token (with the profile's audience) and trades it once. The end-to-end
// test under tok exec (TestFederationJWTBearerGitHubActions) keeps what
// needs processes: the child reads each renewal from its token file.
func TestFederatedRenewalTradesAFreshSubjectToken(t *testing.T) {
	const subject = "repo:tok-cli/tok:ref:refs/heads/main"
	platform := fedserver.NewPlatform(t, subject)
	srv := fedserver.NewServer(t, platform, fedserver.Options{Subject: subject, AccessTokenTTL: time.Hour})
	vars := map[string]string{}
	for _, kv := range platform.GitHubEnv() {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	d, now, _, out, errOut := testDeps(t, vars)
	if err := parseCmd(d, newCmdProfileAdd(d, nil), "ci", "--issuer", srv.Issuer(), "--grant", "jwt-bearer",
		"--github-actions-audience", srv.TokenURL(), "--scopes", "deploy"); err != nil {
		t.Fatal(err)
	}
	errOut.Reset() // profile add's confirmation
	token := func() string {
		t.Helper()
		out.Reset()
		if err := d.runToken(t.Context(), &tokenOptions{Profile: "ci", Output: "raw"}); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out.String())
	}
	seen := map[string]bool{}
	for lifetime := 1; lifetime <= 3; lifetime++ {
		tok := token()
		if seen[tok] || srv.Subject(tok) != subject {
			t.Fatalf("lifetime %d: the token is a reused one or not active for the CI subject", lifetime)
		}
		seen[tok] = true
		*now = now.Add(30 * time.Minute)
		if again := token(); again != tok {
			t.Errorf("lifetime %d: a valid token was replaced", lifetime)
		}
		if c := srv.Counts(); c.JWTBearer != lifetime || c.TokenExchange+c.Other != 0 {
			t.Errorf("after %d lifetimes: %+v, want one JWT bearer grant each", lifetime, c)
		}
		*now = now.Add(31 * time.Minute) // past the token's expiry
	}
	reqs := platform.GitHubRequests()
	if len(reqs) != 3 {
		t.Errorf("%d GitHub token requests for 3 grants: each grant needs a fresh platform token", len(reqs))
	}
	for _, req := range reqs {
		if !req.Authorized || req.Audience != srv.TokenURL() {
			t.Errorf("GitHub token request %+v", req)
		}
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr: %s", errOut)
	}
}
