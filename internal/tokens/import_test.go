package tokens

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/store"
)

func oauthProfile(name, issuer, clientID string, scopes ...string) Profile {
	return Profile{Profile: record.Profile{Name: name, Type: record.OAuth}, OAuth: &OAuthConfig{OAuthSettings: record.OAuthSettings{Flow: record.FlowAuto}, Issuer: issuer, ClientID: clientID, Scopes: scopes}}
}

// putState gives a profile token state; its bytes are never unsealed here.
func putState(t *testing.T, s *Service, name string) {
	t.Helper()
	if err := s.Store.Update(func(tx *store.Tx) error {
		return tx.Put(store.States, name, record.State{Gen: 1, Access: []byte("sealed access"), Refresh: []byte("sealed refresh")})
	}); err != nil {
		t.Fatal(err)
	}
}

func hasState(t *testing.T, s *Service, name string) bool {
	t.Helper()
	var has bool
	if err := s.Store.View(func(tx *store.Tx) error {
		has = tx.Has(store.States, name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return has
}

func TestImportIntoEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	s := newEnv(t).service()
	got, err := s.ImportProfiles(ctx, []ImportItem{
		{Profile: Profile{Profile: record.Profile{Name: "gh", Type: record.Static, Env: []string{"GH_TOKEN"}}}},
		{Profile: oauthProfile("ci", "https://id.example.com", "svc"), ClientSecret: "s3cret", SecretRequired: true},
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []ImportOutcome{{Name: "gh", Default: true}, {Name: "ci"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("outcomes: got %+v, want %+v", got, want)
	}
	if def, _ := s.DefaultProfile(); def != "gh" {
		t.Errorf("default profile %q, want gh", def)
	}
	ci, err := s.Profile("ci")
	if err != nil {
		t.Fatal(err)
	}
	if len(ci.OAuth.ClientSecret) == 0 || string(ci.OAuth.ClientSecret) == "s3cret" || ci.Created.IsZero() {
		t.Errorf("ci: want a sealed secret and a creation time, got %+v", ci.OAuth)
	}
}

// TestImportIsAllOrNothing: a conflict or a missing secret anywhere leaves
// the database as it was.
func TestImportIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s := newEnv(t).service()
	if err := s.AddProfile(ctx, oauthProfile("api", "https://id.example.com", "tok"), ""); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Profile("api")

	_, err := s.ImportProfiles(ctx, []ImportItem{
		{Profile: Profile{Profile: record.Profile{Name: "new", Type: record.Static}}},
		{Profile: oauthProfile("api", "https://other.example.com", "tok")},
	}, false)
	var conflict *ImportConflictError
	if !errors.As(err, &conflict) || !errors.Is(err, store.ErrExists) || !reflect.DeepEqual(conflict.Names, []string{"api"}) {
		t.Fatalf("want a conflict on api, got %v", err)
	}

	_, err = s.ImportProfiles(ctx, []ImportItem{
		{Profile: Profile{Profile: record.Profile{Name: "new", Type: record.Static}}},
		{Profile: oauthProfile("api", "https://other.example.com", "tok"), SecretRequired: true},
	}, true)
	var missing *MissingSecretError
	if !errors.As(err, &missing) || !reflect.DeepEqual(missing.Names, []string{"api"}) {
		t.Fatalf("want a missing secret for api, got %v", err)
	}

	names, _ := s.ProfileNames()
	after, _ := s.Profile("api")
	if !reflect.DeepEqual(names, []string{"api"}) || !reflect.DeepEqual(before, after) {
		t.Fatalf("a failed import changed the database: names %v, api %+v", names, after.OAuth)
	}
}

func TestImportReplaceKeepsOrDropsTokens(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		replace    Profile
		keepTokens bool
		keepSecret bool
	}{
		{"same client and scopes, other settings", func() Profile {
			p := oauthProfile("api", "https://id.example.com", "tok", "openid")
			p.Description, p.OAuth.Flow, p.OAuth.K8sToken = "changed", record.FlowDevice, record.K8sIDToken
			return p
		}(), true, true},
		{"other scopes", oauthProfile("api", "https://id.example.com", "tok", "openid", "email"), false, true},
		{"other client", oauthProfile("api", "https://id.example.com", "other", "openid"), false, false},
		{"other issuer", oauthProfile("api", "https://evil.example.com", "tok", "openid"), false, false},
		{"now static", Profile{Profile: record.Profile{Name: "api", Type: record.Static}}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newEnv(t).service()
			if err := s.AddProfile(ctx, oauthProfile("api", "https://id.example.com", "tok", "openid"), "s3cret"); err != nil {
				t.Fatal(err)
			}
			old, _ := s.Profile("api")
			putState(t, s, "api")
			got, err := s.ImportProfiles(ctx, []ImportItem{{Profile: tt.replace}}, true)
			if err != nil {
				t.Fatal(err)
			}
			want := ImportOutcome{Name: "api", Replaced: true, KeptTokens: tt.keepTokens, DroppedTokens: !tt.keepTokens, KeptSecret: tt.keepSecret}
			if !reflect.DeepEqual(got, []ImportOutcome{want}) {
				t.Fatalf("outcome: got %+v, want %+v", got, want)
			}
			if hasState(t, s, "api") != tt.keepTokens {
				t.Errorf("token state present = %v, want %v", !tt.keepTokens, tt.keepTokens)
			}
			p, _ := s.Profile("api")
			if p.Description != tt.replace.Description || !p.Created.Equal(old.Created) {
				t.Errorf("replaced profile: %+v (created %v, was %v)", p, p.Created, old.Created)
			}
			if kept := p.OAuth != nil && reflect.DeepEqual(p.OAuth.ClientSecret, old.OAuth.ClientSecret); kept != tt.keepSecret {
				t.Errorf("client secret kept = %v, want %v", kept, tt.keepSecret)
			}
			if def, _ := s.DefaultProfile(); def != "api" {
				t.Errorf("default profile %q, want api (unchanged)", def)
			}
		})
	}
}
