package oauth

import (
	"errors"
	"net/url"
	"testing"
)

func TestCheckAuthResponse(t *testing.T) {
	t.Parallel()
	want := AuthResponseCheck{State: "the-state", Issuer: "https://idp.example", AuthURL: "https://idp.example/authorize"}
	promised := want
	promised.RequireIssuer = true
	tests := []struct {
		name     string
		query    string
		check    AuthResponseCheck
		wantCode string
		wantErr  func(error) bool
	}{
		{name: "code", query: "code=c1&state=the-state", check: want, wantCode: "c1"},
		{name: "code with right iss", query: "code=c1&state=the-state&iss=https%3A%2F%2Fidp.example", check: promised, wantCode: "c1"},
		{name: "wrong state", query: "code=c1&state=other", check: want, wantErr: isErr(ErrWrongState)},
		{name: "no state", query: "code=c1", check: want, wantErr: isErr(ErrWrongState)},
		{name: "wrong state wins over an error response", query: "error=access_denied&state=other", check: want, wantErr: isErr(ErrWrongState)},
		{name: "empty expected state never matches", query: "code=c1&state=", check: AuthResponseCheck{}, wantErr: isErr(ErrWrongState)},
		{name: "missing iss although promised", query: "code=c1&state=the-state", check: promised, wantErr: isErr(ErrIssuerMismatch)},
		{name: "wrong iss", query: "code=c1&state=the-state&iss=https%3A%2F%2Fevil.example", check: want, wantErr: isErr(ErrIssuerMismatch)},
		{name: "iss with trailing slash is another issuer", query: "code=c1&state=the-state&iss=https%3A%2F%2Fidp.example%2F", check: want, wantErr: isErr(ErrIssuerMismatch)},
		{name: "two iss values", query: "code=c1&state=the-state&iss=https%3A%2F%2Fidp.example&iss=https%3A%2F%2Fevil.example", check: want, wantErr: isErr(ErrIssuerMismatch)},
		{name: "iss unchecked without an issuer", query: "code=c1&state=the-state&iss=x", check: AuthResponseCheck{State: "the-state"}, wantCode: "c1"},
		{name: "error response", query: "error=access_denied&error_description=no&state=the-state", check: want, wantErr: func(err error) bool { return ErrorCode(err) == "access_denied" }},
		{name: "neither code nor error", query: "state=the-state", check: want, wantErr: func(err error) bool {
			var e *Error
			return errors.As(err, &e) && e.Code == ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			code, err := CheckAuthResponse(q, tt.check)
			if tt.wantErr == nil {
				if err != nil || code != tt.wantCode {
					t.Fatalf("CheckAuthResponse = %q, %v; want %q", code, err, tt.wantCode)
				}
				return
			}
			if code != "" || !tt.wantErr(err) {
				t.Fatalf("CheckAuthResponse = %q, %v; want no code and the expected error", code, err)
			}
		})
	}
}

func TestCheckRedirectURL(t *testing.T) {
	t.Parallel()
	check := AuthResponseCheck{State: "s1", Issuer: "https://idp.example", RequireIssuer: true}
	const redirect = "http://127.0.0.1:8400/callback"
	code, err := CheckRedirectURL("  http://127.0.0.1:8400/callback?code=c1&state=s1&iss=https%3A%2F%2Fidp.example\n", redirect, check)
	if err != nil || code != "c1" {
		t.Fatalf("CheckRedirectURL = %q, %v; want c1", code, err)
	}
	for _, bad := range []string{
		"http://127.0.0.1:9999/callback?code=c1&state=s1&iss=https%3A%2F%2Fidp.example",
		"http://127.0.0.1:8400/other?code=c1&state=s1&iss=https%3A%2F%2Fidp.example",
		"https://evil.example/callback?code=c1&state=s1&iss=https%3A%2F%2Fidp.example",
	} {
		if code, err := CheckRedirectURL(bad, redirect, check); err == nil || code != "" {
			t.Errorf("CheckRedirectURL(%q) = %q, %v; want a refusal", bad, code, err)
		}
	}
	if _, err := CheckRedirectURL(redirect+"?code=c1&state=s1", redirect, check); !errors.Is(err, ErrIssuerMismatch) {
		t.Errorf("pasted address without the promised iss: %v, want ErrIssuerMismatch", err)
	}
}

func isErr(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}
