package oidcprovider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// Decision is what the person does at the provider's pages.
type Decision struct {
	// Account is the account id typed at the login page ("alice" when
	// empty); it becomes the sub claim. The dev login page accepts any
	// password.
	Account string
	// Deny cancels at the first page, so the client receives access_denied.
	Deny bool
	// SkipCallback makes Authorize return the redirect URL without
	// requesting it, e.g. for a test that tampers with state first.
	SkipCallback bool
}

const defaultAccount = "alice"

// Approve signs in and consents at the authorization URL a client printed,
// as a person in a browser would, then requests the redirect URL so the
// client's loopback listener receives the code. It returns that URL.
func (p *Provider) Approve(ctx context.Context, authURL string) (string, error) {
	return p.Authorize(ctx, authURL, Decision{})
}

// Deny cancels the login at authURL; the client's loopback listener
// receives error=access_denied. It returns the redirect URL.
func (p *Provider) Deny(ctx context.Context, authURL string) (string, error) {
	return p.Authorize(ctx, authURL, Decision{Deny: true})
}

// ApproveDevice enters userCode at the device verification page, confirms
// it, signs in and consents, as a person on a second device would.
func (p *Provider) ApproveDevice(ctx context.Context, userCode string) error {
	return p.AuthorizeDevice(ctx, userCode, Decision{})
}

// DenyDevice enters userCode and aborts; the polling client then receives
// access_denied.
func (p *Provider) DenyDevice(ctx context.Context, userCode string) error {
	return p.AuthorizeDevice(ctx, userCode, Decision{Deny: true})
}

// Authorize plays the person's part of an authorization code flow: it
// follows authURL through oidc-provider's login and consent pages with a
// fresh cookie jar and stops where the provider redirects back to the
// client. Unless d.SkipCallback, it then requests that redirect URL (or
// submits the form_post form) and ignores the listener's answer. It
// returns the redirect URL.
func (p *Provider) Authorize(ctx context.Context, authURL string, d Decision) (string, error) {
	b, err := p.newBrowser()
	if err != nil {
		return "", err
	}
	pg, err := b.get(ctx, authURL)
	if err != nil {
		return "", err
	}
	for range maxSteps {
		if pg.leftTo != "" {
			return pg.leftTo, b.deliver(ctx, d, http.MethodGet, pg.leftTo, nil)
		}
		// response_mode=form_post: the provider answers with a form that
		// posts the code to the client.
		if f := pg.formOutside(b.issuer); f != nil {
			return f.action, b.deliver(ctx, d, http.MethodPost, f.action, f.values)
		}
		switch {
		case d.Deny:
			abort := pg.abortLink()
			if abort == "" {
				return "", pg.unexpected("no cancel link to deny with")
			}
			pg, err = b.get(ctx, abort)
		case pg.formWithPrompt("login") != nil:
			pg, err = b.login(ctx, pg.formWithPrompt("login"), d)
		case pg.formWithPrompt("consent") != nil:
			pg, err = b.submit(ctx, pg.formWithPrompt("consent"))
		default:
			return "", pg.unexpected("neither a login nor a consent page")
		}
		if err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("the authorization at %s did not redirect back to the client after %d pages", authURL, maxSteps)
}

// AuthorizeDevice plays the person's part of an RFC 8628 device flow at the
// verification page: enter the user code, confirm (or abort when d.Deny),
// sign in and consent.
func (p *Provider) AuthorizeDevice(ctx context.Context, userCode string, d Decision) error {
	b, err := p.newBrowser()
	if err != nil {
		return err
	}
	pg, err := b.get(ctx, p.DeviceVerificationURL())
	if err != nil {
		return err
	}
	input := pg.formByID("op.deviceInputForm")
	if input == nil {
		return pg.unexpected("no user code form")
	}
	input.values.Set("user_code", userCode)
	if pg, err = b.submit(ctx, input); err != nil {
		return err
	}
	confirm := pg.formByID("op.deviceConfirmForm")
	if confirm == nil {
		return pg.unexpected(fmt.Sprintf("user code %q was not accepted", userCode))
	}
	if d.Deny {
		confirm.values.Set("abort", "yes")
		confirm.values.Del("confirm")
		if pg, err = b.submit(ctx, confirm); err != nil {
			return err
		}
		if !strings.Contains(pg.text, "interrupted") {
			return pg.unexpected("aborting the device login was not acknowledged")
		}
		return nil
	}
	if pg, err = b.submit(ctx, confirm); err != nil {
		return err
	}
	for range maxSteps {
		switch {
		case pg.title == "Sign-in Success":
			return nil
		case pg.formWithPrompt("login") != nil:
			pg, err = b.login(ctx, pg.formWithPrompt("login"), d)
		case pg.formWithPrompt("consent") != nil:
			pg, err = b.submit(ctx, pg.formWithPrompt("consent"))
		default:
			return pg.unexpected("the device login did not succeed")
		}
		if err != nil {
			return err
		}
	}
	return fmt.Errorf("the device login for user code %q did not finish after %d pages", userCode, maxSteps)
}

// maxSteps bounds the pages one login may take (login, consent and a
// margin), so a provider that loops fails the test instead of hanging it.
const maxSteps = 8

// browser is an HTTP client with a cookie jar that follows redirects
// within the provider and stops at the first one that leaves it.
type browser struct {
	client   *http.Client
	issuer   *url.URL
	delivery *http.Client
}

func (p *Provider) newBrowser() (*browser, error) {
	issuer, err := url.Parse(p.Issuer)
	if err != nil {
		return nil, fmt.Errorf("could not parse issuer %q: %w", p.Issuer, err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, fmt.Errorf("could not create a cookie jar: %w", err)
	}
	client := &http.Client{
		Transport: p.httpClient.Transport,
		Jar:       jar,
		Timeout:   10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if !sameOrigin(req.URL, issuer) {
				return http.ErrUseLastResponse
			}
			if len(via) >= 20 {
				return errors.New("stopped after 20 redirects")
			}
			return nil
		},
	}
	return &browser{client: client, issuer: issuer, delivery: &http.Client{Timeout: 10 * time.Second}}, nil
}

func sameOrigin(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && a.Host == b.Host
}

func (b *browser) get(ctx context.Context, target string) (*page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("could not build a request for %s: %w", target, err)
	}
	return b.do(req)
}

func (b *browser) submit(ctx context.Context, f *form) (*page, error) {
	req, err := f.request(ctx)
	if err != nil {
		return nil, err
	}
	return b.do(req)
}

func (b *browser) login(ctx context.Context, f *form, d Decision) (*page, error) {
	account := d.Account
	if account == "" {
		account = defaultAccount
	}
	f.values.Set("login", account)
	f.values.Set("password", "any password")
	return b.submit(ctx, f)
}

// do sends req and reads the page it ends on.
func (b *browser) do(req *http.Request) (*page, error) {
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("could not load %s from the provider: %w", req.URL, err)
	}
	defer resp.Body.Close()
	pg := &page{url: resp.Request.URL, status: resp.StatusCode}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		loc, err := resp.Location()
		if err != nil {
			return nil, fmt.Errorf("the provider redirected from %s without a usable Location: %w", resp.Request.URL, err)
		}
		pg.leftTo = loc.String()
		return pg, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("could not read %s from the provider: %w", resp.Request.URL, err)
	}
	if err := pg.parse(body); err != nil {
		return nil, fmt.Errorf("could not parse the page at %s: %w", resp.Request.URL, err)
	}
	return pg, nil
}

// deliver sends the provider's answer to the client's redirect URI, as the
// browser would, unless the decision says to keep it.
func (b *browser) deliver(ctx context.Context, d Decision, method, target string, form url.Values) error {
	if d.SkipCallback {
		return nil
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return fmt.Errorf("could not build the callback request for %s: %w", target, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.delivery.Do(req)
	if err != nil {
		return fmt.Errorf("could not deliver the authorization response to the client at %s: %w", target, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.Body.Close()
}

// page is one HTML page of the provider, or a redirect away from it.
type page struct {
	url    *url.URL
	status int
	leftTo string // set when the provider redirected away from itself
	title  string
	text   string // visible text, whitespace collapsed
	forms  []*form
	links  []string
}

type form struct {
	id     string
	action string
	method string
	values url.Values
}

func (f *form) request(ctx context.Context) (*http.Request, error) {
	method := strings.ToUpper(f.method)
	if method == "" {
		method = http.MethodGet
	}
	if method == http.MethodGet {
		u, err := url.Parse(f.action)
		if err != nil {
			return nil, fmt.Errorf("could not parse form action %q: %w", f.action, err)
		}
		u.RawQuery = f.values.Encode()
		return http.NewRequestWithContext(ctx, method, u.String(), nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, f.action, strings.NewReader(f.values.Encode()))
	if err != nil {
		return nil, fmt.Errorf("could not build the form request for %s: %w", f.action, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

func (pg *page) parse(body []byte) error {
	doc, err := html.Parse(strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	var text strings.Builder
	var walk func(n *html.Node, inForm *form)
	walk = func(n *html.Node, inForm *form) {
		if n.Type == html.TextNode {
			text.WriteString(n.Data)
			text.WriteByte(' ')
		}
		if n.Type == html.ElementNode {
			switch n.Data {
			case "title":
				if n.FirstChild != nil && pg.title == "" {
					pg.title = strings.TrimSpace(n.FirstChild.Data)
				}
			case "style", "script":
				return
			case "form":
				inForm = &form{
					id:     attr(n, "id"),
					action: pg.resolve(attr(n, "action")),
					method: attr(n, "method"),
					values: url.Values{},
				}
				pg.forms = append(pg.forms, inForm)
			case "input":
				if name := attr(n, "name"); name != "" && inForm != nil {
					inForm.values.Add(name, attr(n, "value"))
				}
			case "a":
				if href := attr(n, "href"); href != "" {
					pg.links = append(pg.links, pg.resolve(href))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inForm)
		}
	}
	walk(doc, nil)
	pg.text = strings.Join(strings.Fields(text.String()), " ")
	return nil
}

func (pg *page) resolve(ref string) string {
	u, err := pg.url.Parse(ref)
	if err != nil {
		return ref
	}
	return u.String()
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func (pg *page) formByID(id string) *form {
	for _, f := range pg.forms {
		if f.id == id {
			return f
		}
	}
	return nil
}

// formWithPrompt finds oidc-provider's dev interaction form for a prompt
// ("login" or "consent").
func (pg *page) formWithPrompt(prompt string) *form {
	for _, f := range pg.forms {
		if f.values.Get("prompt") == prompt {
			return f
		}
	}
	return nil
}

// formOutside finds a form that posts away from the provider.
func (pg *page) formOutside(issuer *url.URL) *form {
	for _, f := range pg.forms {
		u, err := url.Parse(f.action)
		if err == nil && u.IsAbs() && !sameOrigin(u, issuer) {
			return f
		}
	}
	return nil
}

// abortLink is the interaction page's "Cancel" link.
func (pg *page) abortLink() string {
	for _, l := range pg.links {
		if strings.HasSuffix(l, "/abort") {
			return l
		}
	}
	return ""
}

// unexpected describes a page the harness cannot continue from, with the
// start of its text so the test log shows what the provider said.
func (pg *page) unexpected(why string) error {
	text := pg.text
	const limit = 400
	if len(text) > limit {
		text = text[:limit] + "…"
	}
	return fmt.Errorf("%s at %s (HTTP %d, %q): %s", why, pg.url, pg.status, pg.title, text)
}
