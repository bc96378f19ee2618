package tokens

import (
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/record"
)

func TestEvaluate(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	static := &Profile{Profile: record.Profile{Name: "s", Type: record.Static}}
	oauthP := &Profile{Profile: record.Profile{Name: "o", Type: record.OAuth}, OAuth: &OAuthConfig{OAuthSettings: record.OAuthSettings{RefreshMargin: record.Duration(time.Minute)}}}
	ccP := &Profile{Profile: record.Profile{Name: "c", Type: record.OAuth}, OAuth: &OAuthConfig{OAuthSettings: record.OAuthSettings{Flow: record.FlowClientCredentials}}}
	tok := []byte("sealed")
	for _, tc := range []struct {
		name string
		p    *Profile
		s    record.State
		use  record.K8sToken
		want record.Status
	}{
		{"static without token", static, record.State{}, "", record.StatusNoToken},
		{"static without expiry", static, record.State{Access: tok}, "", record.StatusValid},
		{"static near expiry stays valid", static, record.State{Access: tok, Expiry: now.Add(10 * time.Second)}, "", record.StatusValid},
		{"static expired", static, record.State{Access: tok, Expiry: now.Add(-time.Second)}, "", record.StatusExpired},
		{"oauth never logged in", oauthP, record.State{}, "", record.StatusLoginRequired},
		{"oauth fresh", oauthP, record.State{Access: tok, Refresh: tok, Expiry: now.Add(time.Hour)}, "", record.StatusValid},
		{"oauth inside margin", oauthP, record.State{Access: tok, Refresh: tok, Expiry: now.Add(30 * time.Second)}, "", record.StatusStale},
		{"oauth at expiry", oauthP, record.State{Access: tok, Refresh: tok, Expiry: now}, "", record.StatusExpired},
		{"oauth expired without refresh token", oauthP, record.State{Access: tok, Expiry: now.Add(-time.Minute)}, "", record.StatusLoginRequired},
		{"oauth inside margin without refresh token", oauthP, record.State{Access: tok, Expiry: now.Add(30 * time.Second)}, "", record.StatusValid},
		{"client credentials expired renews", ccP, record.State{Access: tok, Expiry: now.Add(-time.Minute)}, "", record.StatusExpired},
		{"id token used, its own expiry drives", oauthP, record.State{Access: tok, Refresh: tok, ID: tok, Expiry: now.Add(time.Hour), IDExpiry: now.Add(10 * time.Second)}, record.K8sIDToken, record.StatusStale},
		{"oauth without expiry, young", oauthP, record.State{Access: tok, Refresh: tok, Obtained: now.Add(-59 * time.Minute)}, "", record.StatusValid},
		{"oauth without expiry, past max age", oauthP, record.State{Access: tok, Refresh: tok, Obtained: now.Add(-time.Hour)}, "", record.StatusStale},
		{"oauth without expiry, custom max age", &Profile{Profile: record.Profile{Type: record.OAuth}, OAuth: &OAuthConfig{OAuthSettings: record.OAuthSettings{MaxAge: record.Duration(5 * time.Minute)}}}, record.State{Access: tok, Refresh: tok, Obtained: now.Add(-6 * time.Minute)}, "", record.StatusStale},
		{"oauth without expiry or refresh token stays valid", oauthP, record.State{Access: tok, Obtained: now.Add(-48 * time.Hour)}, "", record.StatusValid},
		{"static without expiry is never aged", static, record.State{Access: tok, Obtained: now.Add(-48 * time.Hour)}, "", record.StatusValid},
		{"id token wanted but absent", oauthP, record.State{Access: tok, Refresh: tok, Expiry: now.Add(time.Hour)}, record.K8sIDToken, record.StatusExpired},
		// Tokens that live no longer than the margin: the margin is capped
		// at half the lifetime (20 s → 10 s), so a fresh token is valid.
		{"20 s token just obtained, default margin", ccP, record.State{Access: tok, Obtained: now, Expiry: now.Add(20 * time.Second)}, "", record.StatusValid},
		{"20 s token at 9 s", ccP, record.State{Access: tok, Obtained: now.Add(-9 * time.Second), Expiry: now.Add(11 * time.Second)}, "", record.StatusValid},
		{"20 s token at 10 s", ccP, record.State{Access: tok, Obtained: now.Add(-10 * time.Second), Expiry: now.Add(10 * time.Second)}, "", record.StatusStale},
		{"hour token keeps the full margin", oauthP, record.State{Access: tok, Refresh: tok, Obtained: now.Add(-59 * time.Minute), Expiry: now.Add(59 * time.Second)}, "", record.StatusStale},
		{"id token lifetime caps its own margin", oauthP, record.State{Access: tok, Refresh: tok, ID: tok, Obtained: now, Expiry: now.Add(time.Hour), IDExpiry: now.Add(30 * time.Second)}, record.K8sIDToken, record.StatusValid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := record.Evaluate(tc.p.Policy(), &tc.s, tc.use, now); got != tc.want {
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
		if got := record.CapMargin(tc.margin, tc.lifetime); got != tc.want {
			t.Errorf("CapMargin(%s, %s) = %s, want %s", tc.margin, tc.lifetime, got, tc.want)
		}
	}
}
