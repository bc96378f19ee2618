package cli

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestNewCmdInspect(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	for _, tc := range []struct {
		argv []string
		want inspectOptions
	}{
		{nil, inspectOptions{}},
		{[]string{"api", "--id-token"}, inspectOptions{Profile: "api", IDToken: true}},
		{[]string{"-p", "api", "--json"}, inspectOptions{Profile: "api", JSON: true}},
		{[]string{"-"}, inspectOptions{Stdin: true}},
	} {
		var got *inspectOptions
		if err := parseCmd(d, newCmdInspect(d, func(o *inspectOptions) error { got = o; return nil }), tc.argv...); err != nil || got == nil || *got != tc.want {
			t.Errorf("inspect %q: %+v, %v", tc.argv, got, err)
		}
	}
	if err := parseCmd(d, newCmdInspect(d, nil), "a", "b"); exitCode(err) != ExitUsage {
		t.Errorf("inspect a b: %v", err)
	}
}

// testJWT is an unsigned-looking JWT with the given claims.
func testJWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(claims)) + ".c2ln"
}

func TestInspectRun(t *testing.T) {
	vars := map[string]string{}
	d, now, in, out, errOut := testDeps(t, vars)
	*now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	exp := now.Add(90 * time.Minute).Unix()
	tok := testJWT(fmt.Sprintf(`{"sub":"alice","exp":%d,"aud":["api"]}`, exp))

	// From stdin.
	in.WriteString(tok + "\n")
	if err := d.runInspect(t.Context(), &inspectOptions{Stdin: true}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Header:", "alg", "RS256", "Claims:", "sub", "alice", "exp", "(in 1h30m)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("inspect lacks %q:\n%s", want, out)
		}
	}
	wantLine(t, errOut.String(), "Note: the signature was not verified.")

	// A profile's current token, as JSON; TOK_PROFILE names it.
	if err := profileAdd(t, d, "gh", "--type", "static"); err != nil {
		t.Fatal(err)
	}
	svc, _ := d.service()
	if err := svc.SetStaticToken(t.Context(), "gh", tok, time.Time{}); err != nil {
		t.Fatal(err)
	}
	vars["TOK_PROFILE"] = "gh"
	out.Reset()
	if err := d.runInspect(t.Context(), &inspectOptions{JSON: true}); err != nil {
		t.Fatal(err)
	}
	var j struct {
		Header   map[string]any
		Claims   map[string]any
		Verified bool
	}
	if err := json.Unmarshal(out.Bytes(), &j); err != nil || j.Claims["sub"] != "alice" || j.Header["alg"] != "RS256" || j.Verified {
		t.Errorf("inspect --json: %s (%v)", out, err)
	}

	// An opaque token (the test server's access tokens are not JWTs).
	srv := svcServer(t)
	addClientCredentials(t, d, srv, "ci")
	if err := d.runInspect(t.Context(), &inspectOptions{Profile: "ci"}); err == nil || !strings.HasPrefix(err.Error(), "the token is not a JWT") {
		t.Errorf("inspect of an opaque token: %v", err)
	}
	if err := d.runInspect(t.Context(), &inspectOptions{Profile: "nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("inspect nope: %v", err)
	}
}
