package oauth

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPagesEscapeProviderTextAndAllowOnlyTheirStyle(t *testing.T) {
	t.Parallel()
	who := Identity{Subject: "s1", Email: `<img src=x onerror=alert(1)>` + "\x1b[2J"}
	rec := httptest.NewRecorder()
	successPage("work</title><script>", who).render(rec)
	body := rec.Body.String()
	if strings.Contains(body, "<img") || strings.Contains(body, "<script>") || strings.Contains(body, "\x1b") {
		t.Errorf("the page holds unescaped markup or control characters: %s", body)
	}
	if !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Errorf("the account is missing from the page: %s", body)
	}
	start, end := strings.Index(body, "<style>"), strings.Index(body, "</style>")
	if start < 0 || end < start {
		t.Fatalf("no style block: %s", body)
	}
	sum := sha256.Sum256([]byte(body[start+len("<style>") : end]))
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") || !strings.HasPrefix(csp, "default-src 'none'") {
		t.Errorf("CSP %q does not allow exactly the page's style by its hash", csp)
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q allows more than the style", csp)
	}
	if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Error("the page may be cached or send a referrer")
	}
}
