package oauth

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/tok-cli/tok/internal/testkit/fixture"
)

// hostileDevice answers device authorization with body and every token
// poll with an error whose description holds terminal escapes.
func hostileDevice(t *testing.T, body string) Config {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /device", jsonReply(200, body))
	mux.HandleFunc("POST /token", jsonReply(400, `{"error":"access_denied","error_description":"denied\u001b]0;pwned\u0007\u001b[2J\u009b31m"}`))
	return Config{
		Endpoints:  Endpoints{DeviceAuthURL: "https://idp.example/device", TokenURL: "https://idp.example/token"},
		ClientID:   "tok-cli",
		HTTPClient: &http.Client{Transport: memTransport{mux}},
	}
}

// Issue 14, finding 4.
func TestLoginDeviceRefusesUnusableVerificationURIs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, uri, complete string }{
		{"an option for the opener", "--renderer-cmd-prefix=/tmp/x", ""},
		{"plain http elsewhere", "http://idp.example/device", ""},
		{"a file", "file:///etc/passwd", ""},
		{"javascript", "javascript:alert(1)", ""},
		{"a complete URI that is an option", "https://idp.example/device", "--renderer-cmd-prefix=/tmp/x"},
		{"a complete URI with credentials", "https://idp.example/device", "https://user:pw@idp.example/device"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := fmt.Sprintf(`{"device_code":"dc","user_code":"ABCD","verification_uri":%q,"verification_uri_complete":%q,"expires_in":60}`, tt.uri, tt.complete)
			cfg := hostileDevice(t, body)
			var opened []string
			var out strings.Builder
			_, err := LoginDevice(fixture.Context(t), cfg, UI{Out: &out, OpenBrowser: func(u string) error { opened = append(opened, u); return nil }})
			if err == nil || !strings.Contains(err.Error(), "verification_uri") {
				t.Fatalf("LoginDevice error = %v, want the verification URI refused", err)
			}
			if len(opened) != 0 || strings.Contains(out.String(), "renderer") {
				t.Errorf("the refused address reached the opener %q or the terminal %q", opened, out.String())
			}
		})
	}
}

func TestProviderStringsReachTheTerminalClean(t *testing.T) {
	t.Parallel()
	// The one-second poll interval passes on the bubble's clock.
	synctest.Test(t, func(t *testing.T) {
		cfg := hostileDevice(t, `{"device_code":"dc","user_code":"AB\u001b[2JCD\u009b1m","verification_uri":"https://idp.example/device","expires_in":60,"interval":1}`)
		var out strings.Builder
		ui := UI{Out: &out}
		var shown WaitStatus
		ui.Wait = func(ctx context.Context, s WaitStatus, block func(context.Context) error) error {
			shown = s
			return block(ctx)
		}
		_, err := LoginDevice(t.Context(), cfg, ui)
		if ErrorCode(err) != "access_denied" {
			t.Fatalf("LoginDevice error = %v, want access_denied", err)
		}
		for what, s := range map[string]string{"instructions": out.String(), "error": err.Error(), "user code": shown.UserCode} {
			if strings.ContainsAny(s, "\x1b\x07\u009b") {
				t.Errorf("%s holds terminal control characters: %q", what, s)
			}
		}
		if !strings.Contains(out.String(), "AB[2JCD1m") || !strings.Contains(err.Error(), "denied]0;pwned[2J31m") {
			t.Errorf("the visible text was lost: %q / %q", out.String(), err.Error())
		}
	})
}
