package sharedcache_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/sharedcache"
	"github.com/tok-cli/tok/internal/testkit/redisserver"
)

// TestAgainstRealRedis runs the same contract against a plain server, a
// TLS server with an ACL user and a custom CA, and a three-master Redis
// Cluster.
func TestAgainstRealRedis(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		start func(testing.TB) *redisserver.Server
	}{
		{"plain", redisserver.Start},
		{"tls-acl", redisserver.StartTLS},
		{"cluster", redisserver.StartCluster},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := tc.start(t)
			c, err := sharedcache.Open(sharedcache.Config{URL: srv.URL, Password: srv.Password, CAFile: srv.CAFile})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			testContract(t, c)
		})
	}
}

func testContract(t *testing.T, c *sharedcache.Client) {
	ctx := context.Background()
	// Several namespaces, so on a cluster they land on different nodes.
	for _, ns := range []string{"alpha", "bravo", "charlie", "delta"} {
		gen, val, _, err := c.Get(ctx, ns)
		if err != nil || gen != 0 || val != nil {
			t.Fatalf("%s: empty namespace: gen %d value %q err %v", ns, gen, val, err)
		}
		ok, err := c.CompareAndSwap(ctx, ns, 0, []byte("v1"), []byte("check"), time.Minute)
		if err != nil || !ok {
			t.Fatalf("%s: first write: ok %v err %v", ns, ok, err)
		}
		// A writer that read the absent state loses to the first.
		if ok, err := c.CompareAndSwap(ctx, ns, 0, []byte("late"), []byte("check"), time.Minute); err != nil || ok {
			t.Fatalf("%s: a late writer replaced a newer value: ok %v err %v", ns, ok, err)
		}
		if ok, err := c.CompareAndSwap(ctx, ns, 1, []byte("v2"), []byte("check2"), time.Minute); err != nil || !ok {
			t.Fatalf("%s: write on gen 1: ok %v err %v", ns, ok, err)
		}
		gen, val, check, err := c.Get(ctx, ns)
		if err != nil || gen != 2 || string(val) != "v2" || string(check) != "check2" {
			t.Fatalf("%s: after two writes: gen %d value %q check %q err %v", ns, gen, val, check, err)
		}

		unlock, err := c.TryLock(ctx, ns, time.Second)
		if err != nil || unlock == nil {
			t.Fatalf("%s: free lock not taken: %v", ns, err)
		}
		if other, err := c.TryLock(ctx, ns, time.Second); err != nil || other != nil {
			t.Fatalf("%s: a held lock was taken twice (err %v)", ns, err)
		}
		unlock()
		next, err := c.TryLock(ctx, ns, time.Second)
		if err != nil || next == nil {
			t.Fatalf("%s: lock not free after unlock: %v", ns, err)
		}
		next()
	}

	// Renewal keeps the lock past its lease while the holder lives. Once,
	// with a lease long enough that a renewal delayed by a loaded machine
	// (or the race detector) still lands in time.
	unlock, err := c.TryLock(ctx, "renewed", 2*time.Second)
	if err != nil || unlock == nil {
		t.Fatalf("free lock not taken: %v", err)
	}
	time.Sleep(3 * time.Second)
	if other, err := c.TryLock(ctx, "renewed", time.Second); err != nil || other != nil {
		t.Fatalf("the lock expired although its holder renews it (err %v)", err)
	}
	unlock()

	if err := c.Delete(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	if gen, _, _, err := c.Get(ctx, "alpha"); err != nil || gen != 0 {
		t.Fatalf("after Delete: gen %d err %v", gen, err)
	}

	// A value's time to live follows the token's (the server asked, not
	// waited out: expiring keys is Redis's part).
	if ok, err := c.CompareAndSwap(ctx, "short", 0, []byte("v"), []byte("c"), time.Second); err != nil || !ok {
		t.Fatalf("short write: %v %v", ok, err)
	}
	if ms, err := c.TTL(ctx, "short"); err != nil || ms <= 0 || ms > 1000 {
		t.Fatalf("a value written with a 1 s time to live has PTTL %d ms (%v)", ms, err)
	}
}

// TestLeaseExpiresWhenHolderStopsRenewing: an owner-only release cannot
// free a lock someone else took after the first lease ran out.
func TestLeaseOwnership(t *testing.T) {
	t.Parallel()
	srv := redisserver.Start(t)
	ctx := context.Background()
	a, _ := sharedcache.Open(sharedcache.Config{URL: srv.URL})
	b, _ := sharedcache.Open(sharedcache.Config{URL: srv.URL})
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	unlockA, err := a.TryLock(ctx, "own", 300*time.Millisecond)
	if err != nil || unlockA == nil {
		t.Fatalf("lock: %v", err)
	}
	// A holder that dies stops renewing: simulate it by closing its
	// client, whose renewals then fail.
	_ = a.Close()
	deadline := time.Now().Add(2 * time.Second)
	var unlockB func()
	for unlockB == nil && time.Now().Before(deadline) {
		if unlockB, err = b.TryLock(ctx, "own", 5*time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if unlockB == nil {
		t.Fatal("the lock of a holder that stopped renewing was never free again")
	}
	defer unlockB()
	c, _ := sharedcache.Open(sharedcache.Config{URL: srv.URL})
	t.Cleanup(func() { _ = c.Close() })
	unlockA() // the old owner's release must not free b's lock
	if other, err := c.TryLock(ctx, "own", time.Second); err != nil || other != nil {
		t.Fatalf("the old owner's release freed the new owner's lock (err %v)", err)
	}
}

func TestUnreachableAndBadAuth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redisserver.StartTLS(t)
	for _, tc := range []struct {
		name string
		cfg  sharedcache.Config
		want string
	}{
		{"wrong password", sharedcache.Config{URL: srv.URL, Password: "nope", CAFile: srv.CAFile}, "WRONGPASS"},
		{"untrusted certificate", sharedcache.Config{URL: srv.URL, Password: srv.Password}, "certificate"},
		{"closed port", sharedcache.Config{URL: "redis://127.0.0.1:1/0", Timeout: 200 * time.Millisecond}, "refused"},
	} {
		c, err := sharedcache.Open(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, _, _, err = c.Get(ctx, "x")
		_ = c.Close()
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), srv.Password) {
			t.Errorf("%s: got %v, want an error mentioning %q and no password", tc.name, err, tc.want)
		}
	}
}

func TestParseURL(t *testing.T) {
	for _, bad := range []string{"http://h", "redis://", "redis://h/x", "redis://h/1?cluster=true", "redis://h?foo=1"} {
		if _, err := sharedcache.ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) accepted a bad URL", bad)
		}
	}
	ep, err := sharedcache.ParseURL("rediss://u:secret@h:7000/2")
	if err != nil || !ep.TLS || ep.Username != "u" || ep.Password != "secret" || ep.DB != 2 || ep.Addrs[0] != "h:7000" {
		t.Errorf("ParseURL: %+v %v", ep, err)
	}
	if r := sharedcache.Redacted("redis://u:secret@h:1/0"); strings.Contains(r, "secret") {
		t.Errorf("Redacted kept the password: %s", r)
	}
	ep, err = sharedcache.ParseURL("redis://a:1?addr=b:2")
	if err != nil || !ep.Cluster || len(ep.Addrs) != 2 {
		t.Errorf("seed list: %+v %v", ep, err)
	}
}
