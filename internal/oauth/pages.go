package oauth

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"strings"

	"github.com/tok-cli/tok/internal/termtext"
)

// page is what the loopback listener shows the person in the browser.
type page struct {
	status  int
	outcome string // "ok", "bad" or "info": the colour and mark
	title   string // also the heading
	lead    string
	facts   []fact // shown as a small table, e.g. profile and account
	next    string // the next step, optional
	command string // a command to run, shown as code after next
}

type fact struct{ Name, Value string }

// pageStyle is the only style of the pages. The Content-Security-Policy
// allows exactly this block by its hash, and nothing else: no script, no
// external resource, no form target.
const pageStyle = `:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#f6f8fa;--card:#fff;--line:#d1d9e0;--ok:#1a7f37;--bad:#cf222e;--info:#0969da}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#151b23;--line:#3d444d;--ok:#3fb950;--bad:#f85149;--info:#4493f8}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:24px;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Helvetica,Arial,sans-serif}
main{width:100%;max-width:460px;background:var(--card);border:1px solid var(--line);border-radius:12px;padding:32px;box-shadow:0 1px 3px rgba(31,35,40,.08)}
.mark{width:48px;height:48px;border-radius:50%;display:flex;align-items:center;justify-content:center;color:#fff;font-size:26px;font-weight:700;line-height:1;margin-bottom:16px}
.ok .mark{background:var(--ok)}.bad .mark{background:var(--bad)}.info .mark{background:var(--info)}
h1{font-size:22px;line-height:1.3;margin:0 0 8px}
p{margin:8px 0}
dl{display:grid;grid-template-columns:auto 1fr;gap:4px 16px;margin:16px 0;padding:12px 16px;border-radius:8px;background:var(--bg)}
dt{color:var(--muted)}dd{margin:0;font-weight:600;overflow-wrap:anywhere}
code{font:14px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:2px 6px;overflow-wrap:anywhere}
.close{margin-top:20px;padding-top:16px;border-top:1px solid var(--line);color:var(--muted);font-size:14px}`

// pageCSP allows the inline style block by its SHA-256 hash and nothing
// else.
var pageCSP = func() string {
	sum := sha256.Sum256([]byte(pageStyle))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}()

// render writes the page with headers that keep it out of caches, other
// origins and referrers. Every text is HTML-escaped; the style is the
// constant the CSP hash allows.
func (p page) render(w http.ResponseWriter) {
	mark := map[string]string{"ok": "✓", "bad": "✕", "info": "i"}[p.outcome]
	e := html.EscapeString
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"referrer\" content=\"no-referrer\">\n")
	fmt.Fprintf(&b, "<title>%s · tok</title>\n<style>%s</style>\n</head>\n<body>\n", e(p.title), pageStyle)
	fmt.Fprintf(&b, "<main class=\"%s\">\n<div class=\"mark\" aria-hidden=\"true\">%s</div>\n", e(p.outcome), mark)
	fmt.Fprintf(&b, "<h1>%s</h1>\n<p>%s</p>\n", e(p.title), e(p.lead))
	var facts strings.Builder
	for _, f := range p.facts {
		if f.Value != "" {
			fmt.Fprintf(&facts, "<dt>%s</dt><dd>%s</dd>", e(f.Name), e(termtext.Clean(f.Value)))
		}
	}
	if facts.Len() > 0 {
		fmt.Fprintf(&b, "<dl>%s</dl>\n", facts.String())
	}
	if p.next != "" {
		b.WriteString("<p>" + e(p.next))
		if p.command != "" {
			b.WriteString(" <code>" + e(termtext.Clean(p.command)) + "</code>")
		}
		b.WriteString("</p>\n")
	}
	b.WriteString("<p class=\"close\">You can close this tab.</p>\n</main>\n</body>\n</html>\n")
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(p.status)
	_, _ = io.WriteString(w, b.String())
}

func successPage(profile string, who Identity) page {
	account := ""
	if !who.IsZero() {
		account = who.String()
	}
	lead := "tok has the tokens it needs."
	if profile != "" {
		lead = "tok has the tokens for profile " + profile + "."
	}
	return page{
		status: http.StatusOK, outcome: "ok", title: "Signed in",
		lead:  lead,
		facts: []fact{{"Profile", profile}, {"Signed in as", account}},
		next:  "Return to the terminal to continue.",
	}
}

func failurePage(err error, retry string) page {
	p := page{
		status: http.StatusBadRequest, outcome: "bad", title: "Sign-in failed",
		lead: failureReason(err),
		next: "The terminal shows the details. To try again, run",
	}
	if errors.Is(err, errStartReused) {
		p.title = "Sign-in stopped"
	}
	p.command = retry
	if retry == "" {
		p.next = "The terminal shows the details; start the sign-in again from there."
	}
	return p
}

// failureReason says in plain words why a login failed. It never shows a
// provider's description, which a provider could fill with anything.
func failureReason(err error) string {
	var e *Error
	switch {
	case errors.Is(err, errStartReused):
		return "The sign-in link was opened a second time. Someone else on this computer may have read it, so tok stopped this sign-in to keep your account safe."
	case errors.Is(err, ErrIssuerMismatch):
		return "The answer did not come from the provider this profile uses, so tok refused it."
	case errors.As(err, &e) && e.Code != "":
		switch e.Code {
		case "access_denied":
			return "The sign-in was cancelled, or the provider denied access."
		case "invalid_scope":
			return "The provider did not accept the permissions (scopes) this profile asks for."
		case "unauthorized_client", "unsupported_response_type":
			return "The provider does not let this client sign in with a browser."
		case "login_required", "consent_required", "interaction_required", "account_selection_required":
			return "The provider needs you to sign in or to give consent first."
		case "server_error", "temporarily_unavailable":
			return "The provider had a temporary problem."
		case "invalid_grant":
			return "The provider did not accept the sign-in when tok redeemed it."
		}
		return "The provider refused the sign-in (error " + termtext.Clean(e.Code) + ")."
	case errors.As(err, &e):
		return "tok could not complete the sign-in with the provider."
	}
	return "The provider's answer did not pass tok's checks."
}

var (
	pageNotThisLogin = page{
		status: http.StatusBadRequest, outcome: "info", title: "Not part of this sign-in",
		lead: "This answer does not belong to the sign-in that tok is waiting for, so tok ignored it. The sign-in in the terminal is still waiting.",
		next: "If you did not start a sign-in, close this tab.",
	}
	pageFinished = page{
		status: http.StatusGone, outcome: "info", title: "Sign-in already finished",
		lead: "This sign-in has already finished.",
		next: "Return to the terminal.",
	}
	pageCallbackInfo = page{
		status: http.StatusBadRequest, outcome: "info", title: "Nothing to do here",
		lead: "This address receives the answer of a sign-in that tok started.",
		next: "Start the sign-in from the terminal.",
	}
)
