package record_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/credmatch"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// legacyRecord is an OAuth profile record byte for byte as tok wrote it
// before tokens.Profile embedded record.Profile and OAuthConfig embedded
// record.OAuthSettings (field order of the old flat structs). TOKEN_URL is
// replaced with the test server's token endpoint.
const legacyRecord = `{"name":"legacy","type":"oauth","description":"d","env":["LEGACY_TOKEN"],` +
	`"created":"2026-11-01T09:30:00Z","oauth":{"issuer":"","endpoints":{"token_endpoint":"TOKEN_URL"},` +
	`"explicit_endpoints":true,"client_id":"tok","scopes":["openid"],"flow":"client-credentials",` +
	`"refresh_margin":"10s","k8s_token":"id-token","max_age":"2h0m0s","client_auth":"post"},` +
	`"remotes":{"git":["https://git.example.com/org/"],"git_username":"bot","stored_by":"git"}}`

// TestRecordsWrittenBeforeTheSharedType: a database holding a record in
// the old layout is read alike by both binaries. Every read-path setting
// changes the outcome here: without k8s_token kubectl would get the
// expired access token, without refresh_margin the ID token (30 s left)
// would be stale under the default minute, without flow the expired
// access token would need a login instead of a renewal, without env and
// remotes the credential and the git match would differ.
func TestRecordsWrittenBeforeTheSharedType(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	srv := authserver.New(t, authserver.Options{})
	srv.FailTokenRequests(http.StatusServiceUnavailable)
	raw := json.RawMessage(strings.Replace(legacyRecord, "TOKEN_URL", srv.TokenURL(), 1))
	if err := f.svc.Store.UpdateAuth(record.ProfileAuth(f.key, true), func(tx *store.Tx) error {
		return tx.Put(store.Profiles, "legacy", raw)
	}); err != nil {
		t.Fatal(err)
	}
	f.putState("legacy", "a-legacy", "", "id-legacy", record.State{Gen: 1,
		Expiry: f.now.Add(-time.Minute), IDExpiry: f.now.Add(30 * time.Second)})

	// kubectl: the ID token, inside its lifetime and outside the 10 s margin.
	kube := record.Options{Kubernetes: true}
	res, err := f.reader.Lookup(ctx, "legacy", kube)
	if err != nil || !res.Served {
		t.Fatalf("Lookup(legacy, kubernetes): served=%v status=%s err=%v, want the ID token served", res.Served, res.Status, err)
	}
	want := record.Credential{Profile: "legacy", Token: "id-legacy", Expiry: f.now.Add(30 * time.Second), Env: []string{"LEGACY_TOKEN"}, Margin: 10 * time.Second}
	if c := res.Credential; c.Profile != want.Profile || c.Token != want.Token || !c.Expiry.Equal(want.Expiry) || c.Margin != want.Margin || strings.Join(c.Env, ",") != "LEGACY_TOKEN" {
		t.Errorf("Lookup(legacy, kubernetes) = %+v, want %+v", c, want)
	}
	srv.ResetCounts()
	got, err := f.svc.Token(ctx, "legacy", kube)
	if err != nil || got.Token != want.Token || got.Margin != want.Margin || strings.Join(got.Env, ",") != "LEGACY_TOKEN" {
		t.Errorf("Service.Token(legacy, kubernetes) = %+v, %v; want %+v", got, err, want)
	}
	if n := requests(srv); n != 0 {
		t.Errorf("Service.Token(legacy, kubernetes) sent %d requests for a token Lookup served", n)
	}

	// The access token expired; the client-credentials flow renews it
	// without a person, so it is expired, not "login required".
	res, err = f.reader.Lookup(ctx, "legacy", record.Options{})
	if err != nil || res.Served || res.Status != record.StatusExpired {
		t.Errorf("Lookup(legacy): served=%v status=%s err=%v, want not served, %s", res.Served, res.Status, err, record.StatusExpired)
	}

	// The git helper finds the profile by its remotes.
	m, ok, _, err := f.reader.LookupRemote(ctx, record.Query{Git: &credmatch.Remote{Protocol: "https", Host: "git.example.com", Path: "org/repo"}}, kube)
	if err != nil || !ok || m.Profile != "legacy" || m.Remotes.GitUser("") != "bot" {
		t.Errorf("LookupRemote(git.example.com/org/repo) = %+v, %v, %v; want profile legacy, user bot", m, ok, err)
	}

	// tok-full reads every setting of the old record.
	p, err := f.svc.Profile("legacy")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "legacy" || p.Type != record.OAuth || p.Description != "d" || p.OAuth == nil ||
		p.OAuth.Flow != record.FlowClientCredentials || p.OAuth.RefreshMargin != record.Duration(10*time.Second) ||
		p.OAuth.K8sToken != record.K8sIDToken || p.OAuth.MaxAge != record.Duration(2*time.Hour) ||
		p.OAuth.ClientID != "tok" || p.OAuth.ClientAuth != "post" || p.Remotes == nil || p.Remotes.StoredBy != "git" {
		t.Errorf("Service.Profile(legacy) = %+v, oauth %+v", p, p.OAuth)
	}
	if pol := p.Policy(); !pol.ClientCredentials || pol.Margin() != 10*time.Second || pol.MaxAge() != 2*time.Hour {
		t.Errorf("policy of legacy = %+v", pol)
	}
}
