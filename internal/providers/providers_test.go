package providers

import (
	"strings"
	"testing"
)

func TestPresets(t *testing.T) {
	want := []string{"github", "gitlab", "google", "entra", "auth0", "okta", "keycloak", "dex"}
	if got := strings.Join(Names(), ","); got != strings.Join(want, ",") {
		t.Fatalf("presets = %s, want %s", got, strings.Join(want, ","))
	}
	for _, name := range want {
		p, err := Lookup(strings.ToUpper(name))
		if err != nil {
			t.Fatal(err)
		}
		if p.Title == "" || p.Flow == "" {
			t.Errorf("%s: no title or flow", name)
		}
		if p.Endpoints == nil && p.Issuer == "" && p.IssuerHint == "" {
			t.Errorf("%s: neither endpoints, an issuer nor a hint for one", name)
		}
		// Changing what Lookup returned leaves the table alone.
		p.Scopes = append(p.Scopes[:0], "changed")
		if p.Endpoints != nil {
			p.Endpoints.TokenURL = "changed"
		}
		for k := range p.AuthParams {
			p.AuthParams[k] = "changed"
		}
		again, _ := Lookup(name)
		if strings.Contains(strings.Join(again.Scopes, " "), "changed") || (again.Endpoints != nil && again.Endpoints.TokenURL == "changed") ||
			again.AuthParams["prompt"] == "changed" {
			t.Errorf("%s: Lookup hands out the table itself", name)
		}
	}
	if _, err := Lookup("hydra"); err == nil || !strings.Contains(err.Error(), "github, gitlab") {
		t.Errorf("unknown provider: err = %v, want the list of presets", err)
	}
}

func TestGoogleAsksForOfflineAccessItsOwnWay(t *testing.T) {
	p, _ := Lookup("google")
	if p.AuthParams["access_type"] != "offline" || p.AuthParams["prompt"] != "consent" {
		t.Errorf("google auth params = %v, want access_type=offline and prompt=consent", p.AuthParams)
	}
	for _, s := range p.Scopes {
		if s == "offline_access" {
			t.Error("google scopes include offline_access, which Google refuses")
		}
	}
	if !p.NeedsSecret {
		t.Error("google: installed-app clients need their secret")
	}
}

func TestIssuerFor(t *testing.T) {
	entra, _ := Lookup("entra")
	if iss, err := entra.IssuerFor("contoso.onmicrosoft.com"); err != nil || iss != "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0" {
		t.Errorf("entra issuer = %q, %v", iss, err)
	}
	for _, bad := range []string{"", "../x", "a/b", "x?y"} {
		if _, err := entra.IssuerFor(bad); err == nil {
			t.Errorf("entra tenant %q accepted", bad)
		}
	}
	kc, _ := Lookup("keycloak")
	if _, err := kc.IssuerFor(""); err == nil || !strings.Contains(err.Error(), "realms/REALM") {
		t.Errorf("keycloak without issuer: err = %v, want the issuer form", err)
	}
	gl, _ := Lookup("gitlab")
	if iss, err := gl.IssuerFor(""); err != nil || iss != "https://gitlab.com" {
		t.Errorf("gitlab issuer = %q, %v", iss, err)
	}
	if _, err := gl.IssuerFor("contoso"); err == nil {
		t.Error("gitlab accepted --tenant")
	}
}

func TestExplainAADSTS(t *testing.T) {
	got := Explain("AADSTS700082: The refresh token has expired due to inactivity. Trace ID: x")
	if !strings.Contains(got, "AADSTS700082") || !strings.Contains(got, "90 days without use") {
		t.Errorf("Explain = %q", got)
	}
	if Explain("AADSTS7000218: The request body must contain client_secret") == "" {
		t.Error("AADSTS7000218 not explained")
	}
	for _, none := range []string{"", "invalid refresh token", "AADSTS1: unknown"} {
		if got := Explain(none); got != "" {
			t.Errorf("Explain(%q) = %q, want nothing", none, got)
		}
	}
}

func TestOktaNotesNameTheOrgServer(t *testing.T) {
	okta, _ := Lookup("okta")
	for issuer, org := range map[string]bool{
		"https://acme.okta.com":                   true,
		"https://acme.okta.com/":                  true,
		"https://acme.okta.com/oauth2/default":    false,
		"https://acme.okta.com/oauth2/aus1a2b3c4": false,
	} {
		notes := strings.Join(okta.NotesFor(issuer), "\n")
		if got := strings.Contains(notes, "org authorization server"); got != org {
			t.Errorf("okta notes for %s = %q; want the org-server note: %v", issuer, notes, org)
		}
		if org && !strings.Contains(notes, "--issuer https://acme.okta.com/oauth2/default") {
			t.Errorf("okta org-server note for %s does not name the custom issuer: %q", issuer, notes)
		}
	}
	kc, _ := Lookup("keycloak")
	if got := kc.NotesFor("https://kc.example.com"); len(got) != len(kc.Notes) {
		t.Errorf("keycloak notes = %q, want only the preset's", got)
	}
}
