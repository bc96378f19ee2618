package kernelkeys_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tok-cli/tok/internal/kernelkeys"
	"github.com/tok-cli/tok/internal/testkit/fixture"
)

// cacheDesc returns a description no other test or tok process uses, and
// removes whatever the test cached under it when the test ends.
func cacheDesc(t testing.TB) string {
	t.Helper()
	desc := "tok-test:" + t.Name() + ":" + fixture.Hex(t, 8)
	t.Cleanup(func() {
		if err := (kernelkeys.Cache{}).Delete(desc); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return desc
}

func TestKernelCachePutGetDelete(t *testing.T) {
	var c kernelkeys.Cache
	desc := cacheDesc(t)

	if v, ok := c.Get(desc); ok {
		t.Fatalf("Get before Put: got %x, want a miss", v)
	}
	first := bytes.Repeat([]byte{0xA5}, 32)
	if err := c.Put(desc, first, time.Minute); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if v, ok := c.Get(desc); !ok || !bytes.Equal(v, first) {
		t.Fatalf("Get after Put: got %x, %v; want %x", v, ok, first)
	}

	second := []byte(strings.Repeat("x", 4000)) // bigger than Get's first buffer
	if err := c.Put(desc, second, time.Minute); err != nil {
		t.Fatalf("Put replacing the value: %v", err)
	}
	if v, ok := c.Get(desc); !ok || !bytes.Equal(v, second) {
		t.Fatalf("Get after replacing: got %d bytes, %v; want the %d bytes put", len(v), ok, len(second))
	}

	if err := c.Delete(desc); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if v, ok := c.Get(desc); ok {
		t.Fatalf("Get after Delete: got %x, want a miss", v)
	}
	if err := c.Delete(desc); err != nil {
		t.Fatalf("Delete of an absent key: %v", err)
	}
}

func TestKernelCacheExpires(t *testing.T) {
	var c kernelkeys.Cache
	desc := cacheDesc(t)

	// The kernel counts a timeout in whole seconds from the current wall
	// clock second, so a 1-second key dies at the next second boundary.
	// Starting just after a boundary leaves almost a second to see it live.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
	put := time.Now()
	if err := c.Put(desc, []byte("short-lived"), time.Second); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if _, ok := c.Get(desc); !ok {
		t.Fatalf("Get right after Put with a 1s ttl: miss")
	}

	deadline := put.Add(3 * time.Second)
	for {
		if _, ok := c.Get(desc); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("key with a 1s ttl still readable after %s", time.Since(put))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if lived := time.Since(put); lived > 1500*time.Millisecond {
		t.Errorf("key with a 1s ttl lived %s", lived)
	}
}

// TestKernelCacheSharedWithOtherProcesses checks the point of the cache: a
// later process of the same session reads what an earlier one put.
func TestKernelCacheSharedWithOtherProcesses(t *testing.T) {
	desc := cacheDesc(t)
	value := "data key " + fixture.Hex(t, 16)
	if err := (kernelkeys.Cache{}).Put(desc, []byte(value), time.Minute); err != nil {
		t.Fatalf("Put: %v", err)
	}
	r := runHelper(t, "cache-get", map[string]string{"HELPER_DESC": desc})
	if !r.Found || r.Value != value {
		t.Fatalf("Get in another process: got %q, found=%v; want %q", r.Value, r.Found, value)
	}
}

// TestKernelCacheKeyIsPrivate checks the permissions and placement of a
// cached key: readable by its owner only (not by possessors: another user
// may share the session keyring), linked into the session keyring and
// nowhere else, with a timeout.
func TestKernelCacheKeyIsPrivate(t *testing.T) {
	desc := cacheDesc(t)
	if err := (kernelkeys.Cache{}).Put(desc, []byte("v"), time.Hour); err != nil {
		t.Fatalf("Put: %v", err)
	}
	session, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
	if err != nil {
		t.Fatal(err)
	}
	id, err := unix.KeyctlSearch(session, "user", desc, 0)
	if err != nil {
		t.Fatalf("searching the session keyring: %v", err)
	}
	// "type;uid;gid;perm;description"
	info, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.SplitN(info, ";", 5)
	if len(fields) != 5 || fields[0] != "user" || fields[1] != fmt.Sprint(os.Geteuid()) || fields[3] != "003f0000" {
		t.Fatalf("key description %q: want type user, our uid and permissions 003f0000 (owner only)", info)
	}
	if _, err := unix.KeyctlSearch(unix.KEY_SPEC_THREAD_KEYRING, "user", desc, 0); err == nil {
		t.Errorf("the key is still linked in a thread keyring")
	}
	if got := keyTimeout(t, id); got <= 0 || got > time.Hour {
		t.Errorf("key timeout %s, want within (0, 1h]", got)
	}
}

func TestKernelCacheRejectsBadInput(t *testing.T) {
	var c kernelkeys.Cache
	tests := []struct {
		name  string
		desc  string
		value []byte
		ttl   time.Duration
		want  string
	}{
		{"empty description", "", []byte("v"), time.Minute, "empty description"},
		{"zero ttl", "tok-test:zero-ttl", []byte("v"), 0, "ttl must be positive"},
		{"empty value", "tok-test:empty", nil, time.Minute, "outside 1..32767"},
		{"oversized value", "tok-test:big", make([]byte, 32768), time.Minute, "outside 1..32767"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Put(tt.desc, tt.value, tt.ttl)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Put: got %v, want an error saying %q", err, tt.want)
			}
			if tt.desc != "" {
				if _, ok := c.Get(tt.desc); ok {
					t.Fatalf("rejected Put left a value behind")
				}
			}
		})
	}
}

// keyTimeout reads a key's remaining life from /proc/keys, where the
// expiry column reads like "59m", "3599s" or "perm".
func keyTimeout(t *testing.T, id int) time.Duration {
	t.Helper()
	data, err := os.ReadFile("/proc/keys")
	if err != nil {
		t.Fatal(err)
	}
	serial := fmt.Sprintf("%08x", id)
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != serial {
			continue
		}
		if f[3] == "perm" {
			return 0
		}
		d, err := time.ParseDuration(f[3])
		if err != nil {
			t.Fatalf("unexpected expiry %q in /proc/keys", f[3])
		}
		return d
	}
	t.Fatalf("key %x not in /proc/keys", id)
	return 0
}

func BenchmarkKernelCacheGet(b *testing.B) {
	var c kernelkeys.Cache
	desc := cacheDesc(b)
	if err := c.Put(desc, bytes.Repeat([]byte{1}, 32), time.Minute); err != nil {
		b.Fatalf("Put: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.Get(desc); !ok {
			b.Fatal("miss")
		}
	}
}

func BenchmarkKernelCachePut(b *testing.B) {
	var c kernelkeys.Cache
	desc := cacheDesc(b)
	value := bytes.Repeat([]byte{1}, 32)
	for b.Loop() {
		if err := c.Put(desc, value, time.Minute); err != nil {
			b.Fatalf("Put: %v", err)
		}
	}
}

// TestKernelCacheRefusesForeignKeys: Get ignores a key of the right name
// that tok did not put there with owner-only permissions (a key cached by
// an older tok, or planted by another user who shares the session
// keyring), and a process of another user that shares the keyring cannot
// read tok's key. The other-user half needs root, which CI runs as.
func TestKernelCacheRefusesForeignKeys(t *testing.T) {
	c := kernelkeys.Cache{}
	desc := cacheDesc(t)
	id, err := unix.AddKey("user", desc, []byte("planted"), unix.KEY_SPEC_SESSION_KEYRING)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.KeyctlSetperm(id, 0x3f3f0000); err != nil {
		t.Fatal(err)
	}
	if v, ok := c.Get(desc); ok {
		t.Errorf("Get returned a key with possessor permissions: %q", v)
	}

	if os.Geteuid() != 0 {
		t.Log("not root: the other-user half of this test needs root")
		return
	}
	if err := c.Put(desc, []byte("ours"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if r := runHelper(t, "cache-get-as-other", map[string]string{"HELPER_DESC": desc}); r.Err != "" || r.Found {
		t.Errorf("another user sharing the session keyring read the cached key: %+v", r)
	}

	planted := cacheDesc(t)
	if r := runHelper(t, "cache-plant-as-other", map[string]string{"HELPER_DESC": planted, "HELPER_VALUE": "attacker"}); r.Err != "" || !r.Found {
		t.Fatalf("planting a key as another user: %+v", r)
	}
	if v, ok := c.Get(planted); ok {
		t.Errorf("Get returned a key another user planted: %q", v)
	}
}

// TestKernelCacheRemaining: the time a cached value has left is read back
// from the kernel, rounded down to the unit /proc/keys shows.
func TestKernelCacheRemaining(t *testing.T) {
	var c kernelkeys.Cache
	desc := cacheDesc(t)
	if _, ok := c.Remaining(desc); ok {
		t.Fatal("Remaining of a value never cached: ok")
	}
	for _, tc := range []struct {
		ttl      time.Duration
		min, max time.Duration
	}{
		{8 * time.Hour, 7 * time.Hour, 8 * time.Hour},
		{90 * time.Minute, time.Hour, time.Hour},
		{30 * time.Minute, 29 * time.Minute, 30 * time.Minute},
		{45 * time.Second, 43 * time.Second, 45 * time.Second},
	} {
		if err := c.Put(desc, []byte("v"), tc.ttl); err != nil {
			t.Fatalf("Put: %v", err)
		}
		left, ok := c.Remaining(desc)
		if !ok || left < tc.min || left > tc.max {
			t.Errorf("Remaining after Put for %s = %s, %v; want %s..%s", tc.ttl, left, ok, tc.min, tc.max)
		}
	}
	if err := c.Delete(desc); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Remaining(desc); ok {
		t.Error("Remaining after Delete: ok")
	}
}
