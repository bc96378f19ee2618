package tokens

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
)

func TestCheckFlow(t *testing.T) {
	hydra := oauth.Endpoints{AuthURL: "https://h/oauth2/auth", TokenURL: "https://h/oauth2/token",
		GrantTypes: []string{"authorization_code", "implicit", "client_credentials", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer"}}
	keycloak := oauth.Endpoints{AuthURL: "https://k/auth", TokenURL: "https://k/token", DeviceAuthURL: "https://k/device",
		GrantTypes: []string{"authorization_code", "refresh_token", "password", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"}}
	silent := oauth.Endpoints{AuthURL: "https://s/auth", TokenURL: "https://s/token"} // no grant_types_supported
	for _, tc := range []struct {
		name         string
		e            oauth.Endpoints
		flow         record.Flow
		refuse, warn string
	}{
		{"device at Hydra (no device endpoint)", hydra, record.FlowDevice, "it supports --flow browser, client-credentials", ""},
		{"browser at Hydra", hydra, record.FlowBrowser, "", ""},
		{"password at Hydra is not listed", hydra, record.FlowPassword, "", "does not list the password grant"},
		{"device at Keycloak", keycloak, record.FlowDevice, "", ""},
		{"auto is never refused", oauth.Endpoints{TokenURL: "https://x/token"}, record.FlowAuto, "", ""},
		{"browser without an authorization endpoint", oauth.Endpoints{TokenURL: "https://x/token"}, record.FlowBrowser, "no authorization endpoint", ""},
		{"unlisted grants are trusted", silent, record.FlowClientCredentials, "", ""},
		{"device without endpoint, grants unlisted", silent, record.FlowDevice, "it supports --flow browser, client-credentials", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			warn, err := CheckFlow(tc.e, tc.flow)
			switch {
			case tc.refuse != "" && (err == nil || !strings.Contains(err.Error(), tc.refuse)):
				t.Errorf("err = %v, want a refusal saying %q", err, tc.refuse)
			case tc.refuse == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.warn != "" && !strings.Contains(warn, tc.warn):
				t.Errorf("warning = %q, want %q", warn, tc.warn)
			case tc.warn == "" && warn != "":
				t.Errorf("unexpected warning %q", warn)
			}
		})
	}
}

func jwtWithIssuer(iss string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(`{"iss":"`+iss+`","sub":"x"}`)) + ".sig"
}

// TestExchangeDefaults: without settings, tok asks for an access token
// explicitly and calls an ID token of the profile's own issuer id_token.
func TestExchangeDefaults(t *testing.T) {
	own := "https://op.example.com"
	for _, tc := range []struct {
		name, subject, issuer string
		fed                   FederationConfig
		wantSubject           string
	}{
		{"ID token of the profile's issuer", jwtWithIssuer(own), own, FederationConfig{}, oauth.TokenTypeIDToken},
		{"trailing slash does not matter", jwtWithIssuer(own + "/"), own, FederationConfig{}, oauth.TokenTypeIDToken},
		{"CI platform token at an STS", jwtWithIssuer("https://token.actions.githubusercontent.com"), own, FederationConfig{}, oauth.TokenTypeJWT},
		{"not a JWT", "opaque-token", own, FederationConfig{}, oauth.TokenTypeJWT},
		{"explicit type wins", jwtWithIssuer(own), own, FederationConfig{SubjectTokenType: oauth.TokenTypeAccessToken, RequestedTokenType: oauth.TokenTypeIDToken}, oauth.TokenTypeAccessToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex := exchangeRequest(tc.subject, &tc.fed, tc.issuer)
			if ex.SubjectTokenType != tc.wantSubject {
				t.Errorf("subject_token_type = %s, want %s", ex.SubjectTokenType, tc.wantSubject)
			}
			wantRequested := tc.fed.RequestedTokenType
			if wantRequested == "" {
				wantRequested = oauth.TokenTypeAccessToken
			}
			if ex.RequestedTokenType != wantRequested {
				t.Errorf("requested_token_type = %q, want %s", ex.RequestedTokenType, wantRequested)
			}
		})
	}
}
