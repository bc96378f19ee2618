package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/execcred"
	"github.com/tok-cli/tok/internal/record"
)

var formatNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// TestWriteFormats: every format of `tok token -o`, byte for byte, for a
// token with an expiry, one without, and one whose value needs quoting.
func TestWriteFormats(t *testing.T) {
	expiring := record.Credential{Profile: "api", Token: "eyJ.abc-_~+/=", TokenType: "bearer",
		Expiry: time.Date(2026, 11, 29, 13, 0, 30, 500_000_000, time.FixedZone("CET", 3600)), Env: []string{"API_TOKEN"}, Margin: time.Minute}
	forever := record.Credential{Profile: "gh", Token: "ghp_123", TokenType: "token"}
	quoted := record.Credential{Profile: "o'brien", Token: "it's a key", Env: []string{"A", "B"}}
	for _, tc := range []struct {
		name   string
		cred   record.Credential
		format string
		want   string
	}{
		{"raw", expiring, Raw, "eyJ.abc-_~+/=\n"},
		{"raw, any characters", quoted, Raw, "it's a key\n"},
		{"header, bearer normalised", expiring, Header, "Authorization: Bearer eyJ.abc-_~+/=\n"},
		{"header, other scheme kept", forever, Header, "Authorization: token ghp_123\n"},
		{"json with expiry", expiring, JSON, `{
  "profile": "api",
  "token": "eyJ.abc-_~+/=",
  "token_type": "Bearer",
  "expires_at": "2026-11-29T12:00:30.5Z",
  "expires_in": 30
}
`},
		{"json without expiry", forever, JSON, `{
  "profile": "gh",
  "token": "ghp_123",
  "token_type": "token",
  "expires_at": null,
  "expires_in": null
}
`},
		{"env", expiring, Env, "TOK_TOKEN='eyJ.abc-_~+/='\nAPI_TOKEN='eyJ.abc-_~+/='\nTOK_PROFILE='api'\n"},
		{"env, quotes", quoted, Env, `TOK_TOKEN='it'\''s a key'` + "\n" + `A='it'\''s a key'` + "\n" + `B='it'\''s a key'` + "\n" + `TOK_PROFILE='o'\''brien'` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := Write(&out, tc.cred, tc.format, formatNow); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("Write(-o %s) =\n%s\nwant\n%s", tc.format, out.String(), tc.want)
			}
		})
	}
}

// TestJSONRoundTrip: what -o json prints reads back into JSONCredential
// (as tok exec's front reads tok-full's answer) with the same values.
func TestJSONRoundTrip(t *testing.T) {
	cred := record.Credential{Profile: "api", Token: "tok-1", TokenType: "DPoP", Expiry: formatNow.Add(90 * time.Second)}
	var out bytes.Buffer
	if err := Write(&out, cred, JSON, formatNow); err != nil {
		t.Fatal(err)
	}
	var got JSONCredential
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Profile != "api" || got.Token != "tok-1" || got.TokenType != "DPoP" || got.ExpiresAt == nil ||
		!got.ExpiresAt.Equal(cred.Expiry) || got.ExpiresIn == nil || *got.ExpiresIn != 90 {
		t.Errorf("read back %+v (expires_in %v)", got, got.ExpiresIn)
	}
}

// TestWriteRejects: an unknown format, and exec-credential, which needs
// kubectl's request (WriteExecCredential), are errors that write nothing.
func TestWriteRejects(t *testing.T) {
	for _, format := range []string{"yaml", "", ExecCredential} {
		var out bytes.Buffer
		err := Write(&out, record.Credential{Profile: "api", Token: "t"}, format, formatNow)
		if err == nil || !strings.Contains(err.Error(), "unknown output format") || out.Len() != 0 {
			t.Errorf("Write(-o %q) = %v, wrote %q; want an unknown-format error", format, err, out.String())
		}
	}
}

// TestWriteExecCredential: the ExecCredential kubectl reads, byte for
// byte, in the API version kubectl asked for; the expiry is one margin
// before the token's, in whole UTC seconds; none when the token never
// expires.
func TestWriteExecCredential(t *testing.T) {
	cred := record.Credential{Profile: "api", Token: "k8s-token", Expiry: formatNow.Add(time.Hour + 900*time.Millisecond), Margin: time.Minute}
	for _, tc := range []struct {
		name string
		info execcred.Info
		cred record.Credential
		want string
	}{
		{"v1", execcred.Info{APIVersion: execcred.APIVersionV1, Provided: true}, cred,
			`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"expirationTimestamp":"2026-11-29T12:59:00Z","token":"k8s-token"}}` + "\n"},
		{"v1beta1", execcred.Info{APIVersion: execcred.APIVersionV1beta1}, cred,
			`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"expirationTimestamp":"2026-11-29T12:59:00Z","token":"k8s-token"}}` + "\n"},
		{"no version: v1beta1", execcred.Info{}, cred,
			`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"expirationTimestamp":"2026-11-29T12:59:00Z","token":"k8s-token"}}` + "\n"},
		{"no expiry", execcred.Info{APIVersion: execcred.APIVersionV1}, record.Credential{Profile: "sa", Token: "static"},
			`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"static"}}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := WriteExecCredential(&out, tc.info, tc.cred, formatNow); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("WriteExecCredential =\n%s\nwant\n%s", out.String(), tc.want)
			}
		})
	}
	var out bytes.Buffer
	if err := WriteExecCredential(&out, execcred.Info{APIVersion: execcred.APIVersionV1}, record.Credential{Profile: "api"}, formatNow); err == nil || out.Len() != 0 {
		t.Errorf("WriteExecCredential of an empty token = %v, wrote %q; want an error and nothing written", err, out.String())
	}
}

func TestValid(t *testing.T) {
	for _, f := range []string{"raw", "header", "json", "env", "exec-credential"} {
		if !Valid(f) {
			t.Errorf("Valid(%q) = false", f)
		}
	}
	for _, f := range []string{"", "JSON", "yaml", "raw "} {
		if Valid(f) {
			t.Errorf("Valid(%q) = true", f)
		}
	}
}

func TestHeaderScheme(t *testing.T) {
	for in, want := range map[string]string{"": "Bearer", "bearer": "Bearer", "BEARER": "Bearer", "Bearer": "Bearer", "DPoP": "DPoP", "token": "token"} {
		if got := HeaderScheme(in); got != want {
			t.Errorf("HeaderScheme(%q) = %q, want %q", in, got, want)
		}
	}
}
