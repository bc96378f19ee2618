//go:build unix

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// fakeJWT builds a compact JWT with the given claims and a dummy
// signature: inspect decodes, it does not verify.
func fakeJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	part := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return part(map[string]any{"alg": "RS256", "typ": "JWT", "kid": "e2e"}) + "." + part(claims) + "." +
		base64.RawURLEncoding.EncodeToString([]byte("not a real signature"))
}

func TestInspect(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	iat := time.Now().Add(-time.Minute).Truncate(time.Second)
	jwt := fakeJWT(t, map[string]any{"sub": "alice", "iss": "https://id.example.com", "exp": exp.Unix(), "iat": iat.Unix()})
	opaque := NewSecret(t)
	addStatic(t, env, "jwt", jwt)
	addStatic(t, env, "opaque", opaque)

	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
	}{
		{"from stdin", jwt + "\n", []string{"inspect", "-"}},
		{"from a profile", "", []string{"inspect", "-p", "jwt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Run(t, env, tc.stdin, tc.args...)
			WantCode(t, r, 0)
			for _, want := range []string{"Header:", `alg: "RS256"`, "Claims:", `sub: "alice"`, `iss: "https://id.example.com"`,
				"exp: " + exp.UTC().Format(time.RFC3339), "(expires ", " (in 59m)", "iat: " + iat.UTC().Format(time.RFC3339), "ago"} {
				if !strings.Contains(r.Stdout, want) {
					t.Errorf("inspect output lacks %q: %s", want, r)
				}
			}
			WantStderr(t, r, "not verified")
		})
	}

	t.Run("json", func(t *testing.T) {
		out := RunOK(t, env, jwt, "inspect", "-", "--json")
		var got struct {
			Header   map[string]any `json:"header"`
			Claims   map[string]any `json:"claims"`
			Verified bool           `json:"verified"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("inspect --json printed %q: %v", out, err)
		}
		if got.Verified || got.Claims["sub"] != "alice" || got.Header["kid"] != "e2e" {
			t.Errorf("inspect --json = %+v", got)
		}
	})

	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
	}{
		{"opaque from stdin", opaque + "\n", []string{"inspect", "-"}},
		{"opaque from a profile", "", []string{"inspect", "-p", "opaque"}},
		{"three parts that are not JSON", "abc.def.ghi\n", []string{"inspect", "-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Run(t, env, tc.stdin, tc.args...)
			WantCode(t, r, 1)
			WantStderr(t, r, "not a JWT", "opaque")
			if strings.Contains(r.Stderr+r.Stdout, opaque) {
				t.Errorf("inspect echoed the token: %s", r)
			}
		})
	}

	t.Run("empty stdin", func(t *testing.T) {
		r := Run(t, env, "", "inspect", "-")
		WantCode(t, r, 1)
		WantStderr(t, r, "stdin")
	})

	t.Run("the profile as the argument", func(t *testing.T) {
		r := Run(t, env, "", "inspect", "jwt")
		WantCode(t, r, 0)
		if want := RunOK(t, env, "", "inspect", "-p", "jwt"); r.Stdout != want {
			t.Errorf("tok inspect jwt differs from tok inspect -p jwt:\n%s\n%s", r.Stdout, want)
		}
		r = Run(t, env, "", "inspect", "jwt", "other")
		WantCode(t, r, 2)
		WantStderr(t, r, "takes at most one profile name")
	})
}
