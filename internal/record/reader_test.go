package record_test

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/tokens"
)

// fixture is a real bbolt database with a file key, filled through
// tokens.Service as tok-full fills it.
type fixture struct {
	t      *testing.T
	home   string
	svc    *tokens.Service
	reader *record.Reader
	sealer *seal.Sealer
	key    seal.Key
	now    time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	home := filepath.Join(t.TempDir(), "tok")
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	keys := &keysource.Resolver{Home: home, Getenv: func(string) string { return "" }}
	st := store.New(home)
	f := &fixture{
		t:    t,
		home: home,
		svc: &tokens.Service{Store: st, Keys: keys, KeySource: string(keysource.File),
			Now: func() time.Time { return now }, HTTPTimeout: time.Second, LockTimeout: time.Second},
		reader: &record.Reader{Store: st, Keys: keys, KeySource: string(keysource.File), Now: func() time.Time { return now }},
		now:    now,
	}
	// A static token sets up the data key; its profile is the default.
	f.add(tokens.Profile{Profile: record.Profile{Name: "first", Type: record.Static, Env: []string{"FIRST_TOKEN"}}})
	if err := f.svc.SetStaticToken(context.Background(), "first", "first-token", time.Time{}); err != nil {
		t.Fatal(err)
	}
	var meta store.Meta
	if err := st.View(func(tx *store.Tx) error { meta = tx.Meta(); return nil }); err != nil {
		t.Fatal(err)
	}
	key, err := keys.Get(context.Background(), keysource.File, meta.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	sl, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	f.sealer, f.key = sl, key
	return f
}

func (f *fixture) add(p tokens.Profile) {
	f.t.Helper()
	if err := f.svc.AddProfile(context.Background(), p, ""); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) seal(profile, field, value string) []byte {
	f.t.Helper()
	if value == "" {
		return nil
	}
	b, err := f.sealer.Seal([]byte(value), seal.AD(profile, field))
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// putState stores a token state as tokens.Service would after a login.
func (f *fixture) putState(name, access, refresh, id string, st record.State) {
	f.t.Helper()
	st.Access, st.Refresh, st.ID = f.seal(name, "access", access), f.seal(name, "refresh", refresh), f.seal(name, "id", id)
	if err := f.svc.Store.Update(func(tx *store.Tx) error { return tx.Put(store.States, name, st) }); err != nil {
		f.t.Fatal(err)
	}
}

// requests is every request srv received, of any kind.
func requests(srv *authserver.Server) int {
	c := srv.Counts()
	return c.TokenRequests() + c.Authorize + c.Revocation + c.Introspection + c.Discovery + c.JWKS
}

func oauthProfileAt(eps oauth.Endpoints, name string, flow record.Flow, margin, maxAge time.Duration, k8s record.K8sToken) tokens.Profile {
	return tokens.Profile{
		Profile: record.Profile{Name: name, Type: record.OAuth, Env: []string{"GH_TOKEN", "X_TOKEN"}},
		OAuth: &tokens.OAuthConfig{
			OAuthSettings: record.OAuthSettings{Flow: flow, RefreshMargin: record.Duration(margin), MaxAge: record.Duration(maxAge), K8sToken: k8s},
			Endpoints:     eps, ClientID: "c", Scopes: []string{"openid"},
			AuthParams: map[string]string{"prompt": "login"}, Resources: []string{"https://api"}}}
}

// TestLookupAgreesWithService checks the contract of the read path: for
// every kind of profile and token state, Lookup serves exactly the
// credential tokens.Service.Token hands out without a refresh, and
// declines whenever the Service would need a refresh, a login or a person.
//
// The profiles point at a real authorization server that counts every
// request and answers token requests with 503, so the Service falls back
// to the current token without changing the stored state: a case Lookup
// serves must cost the Service no request at all (a refresh attempt that
// fell back would otherwise hand out the same token and pass), and a case
// Lookup declines must make the Service fail or ask the server.
func TestLookupAgreesWithService(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	srv := authserver.New(t, authserver.Options{})
	srv.FailTokenRequests(http.StatusServiceUnavailable)
	eps := oauth.Endpoints{AuthURL: srv.AuthURL(), TokenURL: srv.TokenURL(), RevocationURL: srv.RevocationURL()}
	oauthProfile := func(name string, flow record.Flow, margin, maxAge time.Duration, k8s record.K8sToken) tokens.Profile {
		return oauthProfileAt(eps, name, flow, margin, maxAge, k8s)
	}
	hour, min := f.now.Add(time.Hour), f.now.Add(30*time.Second)

	f.add(oauthProfile("valid", record.FlowBrowser, 0, 0, ""))
	f.putState("valid", "a-valid", "r", "", record.State{Gen: 1, TokenType: "Bearer", Expiry: hour})
	f.add(oauthProfile("stale", record.FlowBrowser, 0, 0, ""))
	f.putState("stale", "a-stale", "r", "", record.State{Gen: 1, Expiry: min})
	f.add(oauthProfile("short-margin", record.FlowBrowser, 10*time.Second, 0, ""))
	f.putState("short-margin", "a-short", "r", "", record.State{Gen: 1, Expiry: min})
	f.add(oauthProfile("old-no-expiry", record.FlowDevice, 0, 0, ""))
	f.putState("old-no-expiry", "a-old", "r", "", record.State{Gen: 1, Obtained: f.now.Add(-2 * time.Hour)})
	f.add(oauthProfile("young-no-expiry", record.FlowDevice, 0, 3*time.Hour, ""))
	f.putState("young-no-expiry", "a-young", "r", "", record.State{Gen: 1, Obtained: f.now.Add(-2 * time.Hour)})
	f.add(oauthProfile("cc-expired", record.FlowClientCredentials, 0, 0, ""))
	f.putState("cc-expired", "a-cc", "", "", record.State{Gen: 1, Expiry: f.now.Add(-time.Minute)})
	f.add(oauthProfile("no-refresh-in-margin", record.FlowBrowser, 0, 0, ""))
	f.putState("no-refresh-in-margin", "a-nr", "", "", record.State{Gen: 1, Expiry: min})
	f.add(oauthProfile("k8s-id", record.FlowBrowser, 0, 0, record.K8sIDToken))
	f.putState("k8s-id", "a-k8s", "r", "id-k8s", record.State{Gen: 1, Expiry: hour, IDExpiry: hour.Add(-10 * time.Minute)})
	f.add(oauthProfile("k8s-id-missing", record.FlowBrowser, 0, 0, record.K8sIDToken))
	f.putState("k8s-id-missing", "a-k8s2", "", "", record.State{Gen: 1, Expiry: hour})
	f.add(oauthProfile("never-logged-in", record.FlowBrowser, 0, 0, ""))
	f.add(oauthProfile("dead-grant", record.FlowBrowser, 0, 0, ""))
	f.putState("dead-grant", "a-dead", "", "", record.State{Gen: 2, Expiry: hour, RefreshRefused: f.now.Add(-time.Minute), RefusalReason: "invalid_grant"})
	f.add(oauthProfile("short-lived", record.FlowBrowser, 0, 0, ""))
	f.putState("short-lived", "a-short-lived", "r", "", record.State{Gen: 1, Obtained: f.now.Add(-5 * time.Second), Expiry: f.now.Add(15 * time.Second)})
	f.add(tokens.Profile{Profile: record.Profile{Name: "static-expired", Type: record.Static}})
	if err := f.svc.SetStaticToken(ctx, "static-expired", "s-old", f.now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	f.add(tokens.Profile{Profile: record.Profile{Name: "static-empty", Type: record.Static}})

	for _, tc := range []struct {
		name  string
		opts  record.Options
		serve bool
	}{
		{"", record.Options{}, true}, // the default profile
		{"first", record.Options{}, true},
		{"valid", record.Options{}, true},
		{"valid", record.Options{Kubernetes: true}, true},
		{"stale", record.Options{}, false},
		{"short-margin", record.Options{}, true},
		{"old-no-expiry", record.Options{}, false},
		{"young-no-expiry", record.Options{}, true},
		{"cc-expired", record.Options{}, false},
		{"no-refresh-in-margin", record.Options{}, true},
		{"k8s-id", record.Options{Kubernetes: true}, true},
		{"k8s-id", record.Options{}, true},
		{"k8s-id", record.Options{Use: record.K8sIDToken}, true},
		{"k8s-id-missing", record.Options{Kubernetes: true}, false},
		{"never-logged-in", record.Options{}, false},
		{"dead-grant", record.Options{}, false},
		{"dead-grant", record.Options{Kubernetes: true}, false},
		{"short-lived", record.Options{}, true},
		{"static-expired", record.Options{}, false},
		{"static-expired", record.Options{AllowExpired: true}, true},
		{"static-empty", record.Options{}, false},
	} {
		res, err := f.reader.Lookup(ctx, tc.name, tc.opts)
		if err != nil {
			t.Errorf("Lookup(%q, %+v): %v", tc.name, tc.opts, err)
			continue
		}
		if res.Served != tc.serve {
			t.Errorf("Lookup(%q, %+v): served=%v (status %s), want %v", tc.name, tc.opts, res.Served, res.Status, tc.serve)
			continue
		}
		topts := record.Options{Use: tc.opts.Use, Kubernetes: tc.opts.Kubernetes, AllowExpired: tc.opts.AllowExpired}
		srv.ResetCounts()
		var warnings []string
		f.svc.Warn = func(msg string) { warnings = append(warnings, msg) }
		got, err := f.svc.Token(ctx, tc.name, topts)
		asked := requests(srv)
		if !res.Served {
			// The Service cannot hand this out as it is either: it fails,
			// or it asks the server (which fails, so it falls back).
			if err == nil && asked == 0 {
				t.Errorf("Lookup(%q, %+v) declined (status %s) but Service.Token handed out a token without asking the server", tc.name, tc.opts, res.Status)
			}
			continue
		}
		if asked != 0 || len(warnings) != 0 {
			t.Errorf("Lookup(%q, %+v) served (status %s) but Service.Token sent %d requests to the server (warnings %q)", tc.name, tc.opts, res.Status, asked, warnings)
		}
		if err != nil {
			t.Errorf("Service.Token(%q): %v", tc.name, err)
			continue
		}
		if want := res.Credential; got.Profile != want.Profile || got.Token != want.Token || got.TokenType != want.TokenType ||
			!got.Expiry.Equal(want.Expiry) || got.Margin != want.Margin || len(got.Env) != len(want.Env) {
			t.Errorf("%q %+v: Lookup gave %+v, Service.Token %+v", tc.name, tc.opts, want, got)
		}
	}
}

func TestLookupErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.reader.Lookup(ctx, "missing", record.Options{}); err == nil {
		t.Error("Lookup of a missing profile: want an error")
	}
	r := *f.reader
	r.KeySource = "nonsense"
	if _, err := r.Lookup(ctx, "first", record.Options{}); err == nil {
		t.Error("Lookup with an unknown TOK_KEY_SOURCE: want an error")
	}
	r.KeySource = string(keysource.Env) // TOK_KEY unset
	if _, err := r.Lookup(ctx, "first", record.Options{}); err == nil {
		t.Error("Lookup with key source env and no TOK_KEY: want an error")
	}
	wrong, err := seal.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	r.KeySource = string(keysource.Env)
	r.Keys = &keysource.Resolver{Home: f.home, Getenv: func(k string) string {
		if k == keysource.EnvKey {
			return wrong.String()
		}
		return ""
	}}
	if res, err := r.Lookup(ctx, "first", record.Options{}); err == nil || res.Served {
		t.Errorf("Lookup with a wrong data key: want an error, got served=%v", res.Served)
	}
	empty := &record.Reader{Store: store.New(t.TempDir()), Keys: f.reader.Keys}
	if _, err := empty.Lookup(ctx, "", record.Options{}); err == nil {
		t.Error("Lookup in a home without a database: want an error")
	}
}
