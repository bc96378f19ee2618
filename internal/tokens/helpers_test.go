package tokens

import (
	"context"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/credmatch"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
)

func gitQuery(host, user string) record.Query {
	return record.Query{Git: &credmatch.Remote{Protocol: "https", Host: host, Username: user}}
}

func TestStoreHelperSecret(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	svc := e.service()
	find := func(q record.Query) *record.Match {
		m, ok, err := svc.FindRemote(q)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return nil
		}
		return &m
	}
	alice := HelperSecret{StoredBy: record.StoredByGit, Host: "git.example.com:8443", GitURL: "https://git.example.com:8443/", Username: "alice", Secret: "pw-a"}
	res, err := svc.StoreHelperSecret(ctx, alice, find(gitQuery(alice.Host, "alice")))
	if err != nil || !res.Stored || res.Profile != "git.example.com-8443" {
		t.Fatalf("first store = %+v, %v", res, err)
	}
	if cred, err := svc.Token(ctx, res.Profile, record.Options{}); err != nil || cred.Token != "pw-a" {
		t.Fatalf("stored token = %+v, %v", cred, err)
	}
	res, err = svc.StoreHelperSecret(ctx, alice, find(gitQuery(alice.Host, "alice")))
	if err != nil || !res.Unchanged {
		t.Errorf("storing the same secret again = %+v, %v; want unchanged", res, err)
	}
	// A second account on the same host gets a profile of its own, and
	// the username in the remote URL picks it.
	carol := alice
	carol.Username, carol.Secret = "carol", "pw-c"
	res, err = svc.StoreHelperSecret(ctx, carol, find(gitQuery(carol.Host, "carol")))
	if err != nil || res.Profile != "git.example.com-8443-carol" {
		t.Fatalf("second account = %+v, %v", res, err)
	}
	if m := find(gitQuery(carol.Host, "carol")); m == nil || m.Profile != "git.example.com-8443-carol" {
		t.Errorf("remote with user carol matched %+v", m)
	}
	if m := find(gitQuery(carol.Host, "alice")); m == nil || m.Profile != "git.example.com-8443" {
		t.Errorf("remote with user alice matched %+v", m)
	}

	// A host an OAuth profile serves: store changes nothing.
	if err := svc.AddProfile(ctx, Profile{Profile: record.Profile{Name: "forge", Type: record.OAuth, Remotes: &record.Remotes{Git: []string{"https://forge.example.com/"}}}, OAuth: &OAuthConfig{ClientID: "c"}}, ""); err != nil {
		t.Fatal(err)
	}
	forge := HelperSecret{StoredBy: record.StoredByGit, Host: "forge.example.com", GitURL: "https://forge.example.com/", Username: "x", Secret: "typed"}
	res, err = svc.StoreHelperSecret(ctx, forge, find(gitQuery("forge.example.com", "")))
	if err != nil || res.Stored || res.Profile != "forge" {
		t.Errorf("store for an OAuth host = %+v, %v; want nothing stored", res, err)
	}
	if names, _ := svc.ProfileNames(); len(names) != 3 {
		t.Errorf("profiles after store for an OAuth host: %v", names)
	}
}

func TestRejectStaticAndOAuth(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	svc := e.service()
	h := HelperSecret{StoredBy: record.StoredByDocker, Host: "reg.example.com", Registry: "reg.example.com", Username: "u", Secret: "pw"}
	res, err := svc.StoreHelperSecret(ctx, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := svc.Reject(ctx, res.Profile, "pw", record.StoredByGit); err != nil || r != RejectIgnored {
		t.Errorf("git's erase of docker's profile = %s, %v; want ignored", r, err)
	}
	if r, err := svc.Reject(ctx, res.Profile, "older", record.StoredByDocker); err != nil || r != RejectIgnored {
		t.Errorf("erase of a secret no longer stored = %s, %v; want ignored", r, err)
	}
	if r, err := svc.Reject(ctx, res.Profile, "pw", record.StoredByDocker); err != nil || r != RejectRemoved {
		t.Fatalf("erase = %s, %v; want removed", r, err)
	}
	if names, _ := svc.ProfileNames(); len(names) != 0 {
		t.Errorf("profiles after erase: %v", names)
	}

	// An OAuth profile keeps its grant; the rejected access token is
	// marked expired, so the next Token refreshes.
	if err := svc.AddProfile(ctx, Profile{Profile: record.Profile{Name: "forge", Type: record.OAuth}, OAuth: &OAuthConfig{ClientID: "c"}}, ""); err != nil {
		t.Fatal(err)
	}
	sl, err := svc.writeSealer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	access, _ := sl.Seal([]byte("at-1"), seal.AD("forge", "access"))
	refresh, _ := sl.Seal([]byte("rt-1"), seal.AD("forge", "refresh"))
	now := e.clock.Now()
	if err := svc.Store.Update(func(tx *store.Tx) error {
		return tx.Put(store.States, "forge", record.State{Gen: 1, Access: access, Refresh: refresh, Expiry: now.Add(time.Hour)})
	}); err != nil {
		t.Fatal(err)
	}
	if r, err := svc.Reject(ctx, "forge", "at-0", record.StoredByGit); err != nil || r != RejectIgnored {
		t.Errorf("erase of an older token = %s, %v; want ignored", r, err)
	}
	if ps, _ := svc.Status("forge"); ps.Status != record.StatusValid {
		t.Errorf("status after ignored erase = %s", ps.Status)
	}
	if r, err := svc.Reject(ctx, "forge", "at-1", record.StoredByGit); err != nil || r != RejectExpired {
		t.Fatalf("erase of the current token = %s, %v; want expired", r, err)
	}
	ps, err := svc.Status("forge")
	if err != nil || ps.Status != record.StatusExpired || !ps.HasRefresh {
		t.Errorf("after erase: status %s, refresh token %v, %v; want expired with the grant kept", ps.Status, ps.HasRefresh, err)
	}
}
