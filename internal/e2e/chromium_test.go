//go:build unix

package e2e

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tok-cli/tok/internal/testkit/chromium"
	"github.com/tok-cli/tok/internal/testkit/oidcprovider"
)

// The tests in this file sign in through a real headless Chromium: tok
// runs as built, hands its browser opener ($BROWSER, a script that only
// writes down its argument) the start address, and Chromium takes it from
// there through oidc-provider's own login and consent pages back to tok.

// startAddressLine is the whole argument tok may give a browser opener.
var startAddressLine = regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+/start/[A-Z2-7]{26}$`)

// recordingBrowser returns a $BROWSER that writes its arguments to a file
// and exits 0, and a function that waits for them.
func recordingBrowser(t *testing.T) (string, func() []string) {
	t.Helper()
	dir := t.TempDir()
	args := filepath.Join(dir, "args")
	script := filepath.Join(dir, "browser")
	body := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > " + args + ".tmp && mv " + args + ".tmp " + args + "\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, func() []string {
		t.Helper()
		deadline := time.Now().Add(DefaultTimeout)
		for time.Now().Before(deadline) {
			if b, err := os.ReadFile(args); err == nil {
				return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal("tok never ran the browser opener")
		return nil
	}
}

// chromiumLogin starts `tok login` for a browser profile of p with the
// recording opener and returns the running tok and the start address it
// handed the opener, checked to be nothing more than that.
func chromiumLogin(t *testing.T, p *oidcprovider.Provider, name string) (*Watched, Env, string) {
	t.Helper()
	browser, opened := recordingBrowser(t)
	env := FileKeyEnv(t).With("BROWSER=" + browser + " --new-window %s")
	RunOK(t, env, "", "profile", "add", name, "--issuer", p.Issuer, "--client-id", clientID, "--flow", "browser")
	w := StartWatched(t, env, "login", "-p", name, "--timeout", "60s")
	args := opened()
	if len(args) != 2 || args[0] != "--new-window" || !startAddressLine.MatchString(args[1]) {
		t.Fatalf("the opener got %q, want --new-window and only tok's start address (the %%s form of $BROWSER)", args)
	}
	return w, env, args[1]
}

// signInAtProvider fills in oidc-provider's login and consent pages until
// the browser is back on tok's listener.
func signInAtProvider(t *testing.T, ctx context.Context, start, account string) {
	t.Helper()
	tok, err := url.Parse(start)
	if err != nil {
		t.Fatal(err)
	}
	for range 8 {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatalf("reading the address: %v", err)
		}
		if u, err := url.Parse(loc); err == nil && u.Host == tok.Host && u.Path != tok.Path {
			return // back on tok's listener
		}
		hasLogin, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('input[name="login"]') !== null`))
		if err != nil {
			t.Fatalf("reading the page at %s: %v", loc, err)
		}
		if hasLogin {
			err = chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.CSS(`input[name="login"]`), account),
				chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "any password"),
				chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
			)
		} else {
			err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
		}
		if err != nil {
			t.Fatalf("at %s: %v", loc, err)
		}
		waitLeft(t, ctx, loc)
	}
	t.Fatal("the provider's pages did not lead back to tok")
}

// waitLeft waits until the browser's address is no longer from.
func waitLeft(t *testing.T, ctx context.Context, from string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil && loc != from {
			ready, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState`))
			if ready == "complete" {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the browser stayed at %s", from)
}

// resultPage reads what the browser shows: address, title, heading, text.
type resultPage struct{ URL, Title, Heading, Text string }

func readPage(t *testing.T, ctx context.Context) resultPage {
	t.Helper()
	var p resultPage
	var err error
	if p.URL, err = chromedp.Run(ctx, chromedp.Location()); err != nil {
		t.Fatal(err)
	}
	if p.Title, err = chromedp.Run(ctx, chromedp.Title()); err != nil {
		t.Fatal(err)
	}
	if p.Heading, err = chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('h1')||{}).textContent||''`)); err != nil {
		t.Fatal(err)
	}
	if p.Text, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`)); err != nil {
		t.Fatal(err)
	}
	return p
}

// styled reports whether the page's style sheet applied (the CSP lets the
// inline style in by its hash): the card has a border radius.
func styled(t *testing.T, ctx context.Context) bool {
	t.Helper()
	r, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('main')).borderTopLeftRadius`))
	if err != nil {
		t.Fatal(err)
	}
	return r == "12px"
}

func TestChromiumBrowserLogin(t *testing.T) {
	t.Parallel()
	p := oidcprovider.Start(t, oidcprovider.Options{})
	ctx := chromium.New(t, 2*time.Minute)
	w, _, start := chromiumLogin(t, p, "web")

	if err := chromedp.Do(ctx, chromedp.Navigate(start)); err != nil {
		t.Fatalf("navigating to the start address: %v", err)
	}
	signInAtProvider(t, ctx, start, "alice")
	pg := readPage(t, ctx)
	chromium.Screenshot(t, ctx, "login-success")
	if !strings.Contains(pg.URL, "/result/") || strings.ContainsAny(pg.URL, "?#") {
		t.Errorf("the browser ended on %s, want a clean /result/ address without code or state", pg.URL)
	}
	if !strings.HasPrefix(pg.Title, "Signed in") || pg.Heading != "Signed in" {
		t.Errorf("title %q, heading %q; want the outcome in both", pg.Title, pg.Heading)
	}
	for _, want := range []string{"web", "alice", "You can close this tab"} {
		if !strings.Contains(pg.Text, want) {
			t.Errorf("the success page does not show %q: %q", want, pg.Text)
		}
	}
	if !styled(t, ctx) {
		t.Error("the page's style did not apply; the CSP hash does not match the style")
	}

	// A reload shortly after shows the result again, not an error.
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if again := readPage(t, ctx); again.Title != pg.Title || again.URL != pg.URL {
		t.Errorf("after a reload the browser shows %q at %s, want the same result page", again.Title, again.URL)
	}

	r := w.Wait(t)
	WantCode(t, r, 0)
	WantStderr(t, r, `Logged in to profile "web" as alice,`)
	if strings.Contains(r.Stderr, "Could not open") {
		t.Errorf("tok said the browser did not open: %s", r)
	}
	if hist, err := chromedp.Run(ctx, chromedp.Evaluate[string](`performance.getEntriesByType('navigation').map(e => e.name).join(' ')`)); err == nil && strings.Contains(hist, "code=") {
		t.Errorf("the page's own address holds the code: %s", hist)
	}
}

func TestChromiumStartAddressOpenedTwice(t *testing.T) {
	t.Parallel()
	p := oidcprovider.Start(t, oidcprovider.Options{})
	ctx := chromium.New(t, 2*time.Minute)
	w, env, start := chromiumLogin(t, p, "web")

	// Another local user read the start address from the opener's command
	// line and got there first.
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(start)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "state=") {
		t.Fatalf("the first request of the start address answered %s, want the redirect to the provider", resp.Status)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(start)); err != nil {
		t.Fatalf("navigating to the start address: %v; tok: %s", err, w.stderr.String())
	}
	pg := readPage(t, ctx)
	chromium.Screenshot(t, ctx, "login-start-reused")
	if !strings.HasPrefix(pg.Title, "Sign-in stopped") || pg.Heading != "Sign-in stopped" {
		t.Errorf("title %q, heading %q; want the stopped sign-in", pg.Title, pg.Heading)
	}
	for _, want := range []string{"opened a second time", "tok login -p web", "You can close this tab"} {
		if !strings.Contains(pg.Text, want) {
			t.Errorf("the page does not say %q: %q", want, pg.Text)
		}
	}
	if !styled(t, ctx) {
		t.Error("the page's style did not apply")
	}
	r := w.Wait(t)
	WantCode(t, r, 1)
	WantStderr(t, r, "opened twice")
	if st := StatusOf(t, env, "web"); st.Status != "login required" {
		t.Errorf("status after the stopped login = %q, want login required", st.Status)
	}
}

func TestChromiumLoginDenied(t *testing.T) {
	t.Parallel()
	p := oidcprovider.Start(t, oidcprovider.Options{})
	ctx := chromium.New(t, 2*time.Minute)
	w, _, start := chromiumLogin(t, p, "web")

	if err := chromedp.Do(ctx, chromedp.Navigate(start), chromedp.WaitVisible(chromedp.CSS(`a[href$="/abort"]`))); err != nil {
		t.Fatalf("loading the provider's login page: %v", err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href$="/abort"]`))); err != nil {
		t.Fatal(err)
	}
	waitLeft(t, ctx, loc)
	pg := readPage(t, ctx)
	chromium.Screenshot(t, ctx, "login-denied")
	if !strings.HasPrefix(pg.Title, "Sign-in failed") || pg.Heading != "Sign-in failed" {
		t.Errorf("title %q, heading %q; want the failure in both", pg.Title, pg.Heading)
	}
	for _, want := range []string{"cancelled", "tok login -p web", "You can close this tab"} {
		if !strings.Contains(pg.Text, want) {
			t.Errorf("the failure page does not say %q: %q", want, pg.Text)
		}
	}
	if strings.Contains(pg.Text, "access_denied") {
		t.Errorf("the failure page shows the raw error code: %q", pg.Text)
	}
	r := w.Wait(t)
	WantCode(t, r, 1)
	WantStderr(t, r, "access_denied")
}
