package tokens

import (
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/cached"
)

func TestEvaluate(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	static := &Profile{Name: "s", Type: Static}
	oauthP := &Profile{Name: "o", Type: OAuth, OAuth: &OAuthConfig{RefreshMargin: Duration(time.Minute)}}
	ccP := &Profile{Name: "c", Type: OAuth, OAuth: &OAuthConfig{Flow: FlowClientCredentials}}
	tok := []byte("sealed")
	for _, tc := range []struct {
		name string
		p    *Profile
		s    State
		use  K8sToken
		want Status
	}{
		{"static without token", static, State{}, "", StatusNoToken},
		{"static without expiry", static, State{Access: tok}, "", StatusValid},
		{"static near expiry stays valid", static, State{Access: tok, Expiry: now.Add(10 * time.Second)}, "", StatusValid},
		{"static expired", static, State{Access: tok, Expiry: now.Add(-time.Second)}, "", StatusExpired},
		{"oauth never logged in", oauthP, State{}, "", StatusLoginRequired},
		{"oauth fresh", oauthP, State{Access: tok, Refresh: tok, Expiry: now.Add(time.Hour)}, "", StatusValid},
		{"oauth inside margin", oauthP, State{Access: tok, Refresh: tok, Expiry: now.Add(30 * time.Second)}, "", StatusStale},
		{"oauth at expiry", oauthP, State{Access: tok, Refresh: tok, Expiry: now}, "", StatusExpired},
		{"oauth expired without refresh token", oauthP, State{Access: tok, Expiry: now.Add(-time.Minute)}, "", StatusLoginRequired},
		{"oauth inside margin without refresh token", oauthP, State{Access: tok, Expiry: now.Add(30 * time.Second)}, "", StatusValid},
		{"client credentials expired renews", ccP, State{Access: tok, Expiry: now.Add(-time.Minute)}, "", StatusExpired},
		{"id token used, its own expiry drives", oauthP, State{Access: tok, Refresh: tok, ID: tok, Expiry: now.Add(time.Hour), IDExpiry: now.Add(10 * time.Second)}, K8sIDToken, StatusStale},
		{"oauth without expiry, young", oauthP, State{Access: tok, Refresh: tok, Obtained: now.Add(-59 * time.Minute)}, "", StatusValid},
		{"oauth without expiry, past max age", oauthP, State{Access: tok, Refresh: tok, Obtained: now.Add(-time.Hour)}, "", StatusStale},
		{"oauth without expiry, custom max age", &Profile{Type: OAuth, OAuth: &OAuthConfig{MaxAge: Duration(5 * time.Minute)}}, State{Access: tok, Refresh: tok, Obtained: now.Add(-6 * time.Minute)}, "", StatusStale},
		{"oauth without expiry or refresh token stays valid", oauthP, State{Access: tok, Obtained: now.Add(-48 * time.Hour)}, "", StatusValid},
		{"static without expiry is never aged", static, State{Access: tok, Obtained: now.Add(-48 * time.Hour)}, "", StatusValid},
		{"id token wanted but absent", oauthP, State{Access: tok, Refresh: tok, Expiry: now.Add(time.Hour)}, K8sIDToken, StatusExpired},
		// Tokens that live no longer than the margin: the margin is capped
		// at half the lifetime (20 s → 10 s), so a fresh token is valid.
		{"20 s token just obtained, default margin", ccP, State{Access: tok, Obtained: now, Expiry: now.Add(20 * time.Second)}, "", StatusValid},
		{"20 s token at 9 s", ccP, State{Access: tok, Obtained: now.Add(-9 * time.Second), Expiry: now.Add(11 * time.Second)}, "", StatusValid},
		{"20 s token at 10 s", ccP, State{Access: tok, Obtained: now.Add(-10 * time.Second), Expiry: now.Add(10 * time.Second)}, "", StatusStale},
		{"hour token keeps the full margin", oauthP, State{Access: tok, Refresh: tok, Obtained: now.Add(-59 * time.Minute), Expiry: now.Add(59 * time.Second)}, "", StatusStale},
		{"id token lifetime caps its own margin", oauthP, State{Access: tok, Refresh: tok, ID: tok, Obtained: now, Expiry: now.Add(time.Hour), IDExpiry: now.Add(30 * time.Second)}, K8sIDToken, StatusValid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Evaluate(tc.p, &tc.s, tc.use, now); got != tc.want {
				t.Errorf("Evaluate = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"a", "api", "my-api_2.prod", "A1", string(make64('x'))} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("ValidateName(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "-x", ".x", "_x", "a b", "a/b", "ä", "a\x00", string(make64('x')) + "y", "../etc"} {
		if err := ValidateName(bad); err == nil {
			t.Errorf("ValidateName(%q) = nil, want error", bad)
		}
	}
}

func make64(c byte) []byte {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return b
}

func TestCapMargin(t *testing.T) {
	for _, tc := range []struct{ margin, lifetime, want time.Duration }{
		{time.Minute, 20 * time.Second, 10 * time.Second},
		{time.Minute, time.Hour, time.Minute},
		{time.Minute, 2 * time.Minute, time.Minute},
		{time.Minute, 90 * time.Second, 45 * time.Second},
		{time.Minute, 0, time.Minute}, // unknown lifetime
		{10 * time.Second, 20 * time.Second, 10 * time.Second},
		{time.Second, 20 * time.Second, time.Second},
	} {
		if got := cached.CapMargin(tc.margin, tc.lifetime); got != tc.want {
			t.Errorf("CapMargin(%s, %s) = %s, want %s", tc.margin, tc.lifetime, got, tc.want)
		}
	}
}
