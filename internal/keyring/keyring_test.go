package keyring_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/keyring"
	"github.com/tok-cli/tok/internal/testkit/fixture"
	"github.com/tok-cli/tok/internal/testkit/secretservice"
)

func TestRoundTrip(t *testing.T) {
	k := requireSecretService(t)
	tests := []struct {
		name   string
		secret string
	}{
		{"base64 data key", "q83vEjRWeJC6yd7wEjRWeJC6yd7wEjRWeJC6yd7wEjQ="},
		{"unicode and spaces", "pässwörd with spaces ✓"},
		{"100 KB value", strings.Repeat("0123456789abcdef", 100*1024/16)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user := "user-" + fixture.Hex(t, 4)
			t.Cleanup(func() { _ = k.Delete(user) })

			if err := k.Set(user, "first value"); err != nil {
				t.Fatalf("Set: %v", err)
			}
			if err := k.Set(user, tt.secret); err != nil {
				t.Fatalf("Set replacing a value: %v", err)
			}
			got, err := k.Get(user)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if got != tt.secret {
				t.Fatalf("Get returned %d bytes, want the %d bytes set", len(got), len(tt.secret))
			}
			if err := k.Delete(user); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if _, err := k.Get(user); !errors.Is(err, keyring.ErrNotFound) {
				t.Fatalf("Get after Delete: got %v, want ErrNotFound", err)
			}
		})
	}
}

func TestServicesAreSeparate(t *testing.T) {
	k := requireSecretService(t)
	other := keyring.Keyring{Service: k.Service + "-other"}
	t.Cleanup(func() { _ = k.Delete("shared-user") })

	if err := k.Set("shared-user", "secret of the first service"); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if _, err := other.Get("shared-user"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("Get under another service: got %v, want ErrNotFound", err)
	}
}

func TestNotFound(t *testing.T) {
	k := requireSecretService(t)
	_, err := k.Get("absent")
	if !errors.Is(err, keyring.ErrNotFound) || errors.Is(err, keyring.ErrUnavailable) {
		t.Fatalf("Get of an absent item: got %v, want only ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), `"absent"`) || !strings.Contains(err.Error(), k.Service) {
		t.Errorf("error %q does not name the item and service", err)
	}
	if err := k.Delete("absent"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("Delete of an absent item: got %v, want ErrNotFound", err)
	}
}

func TestZeroValueUsesTokService(t *testing.T) {
	requireSecretService(t)
	user := "zero-value-test-" + fixture.Hex(t, 4)
	t.Cleanup(func() { _ = keyring.Keyring{}.Delete(user) })

	if err := (keyring.Keyring{}).Set(user, "v"); err != nil {
		t.Fatalf("Set: %v", err)
	}
	got, err := keyring.Keyring{Service: "tok"}.Get(user)
	if err != nil || got != "v" {
		t.Fatalf(`Get under service "tok": got %q, %v; want "v"`, got, err)
	}
}

// TestUnavailable runs Get in a fresh process against session buses that
// cannot serve it, and checks it fails with ErrUnavailable, a message that
// says why, and within the timeout.
func TestUnavailable(t *testing.T) {
	const timeout = 500 * time.Millisecond
	dir := t.TempDir()

	tests := []struct {
		name   string
		env    func(t *testing.T) map[string]string
		unset  []string
		want   string
		locked bool // the error must match ErrLocked (and only then)
	}{
		{
			name: "bus socket does not exist",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=" + filepath.Join(dir, "no-such-socket")}
			},
			want: "cannot connect to the D-Bus session bus",
		},
		{
			name: "no bus address",
			env: func(t *testing.T) map[string]string {
				if _, err := os.Stat(filepath.Join("/run/user", strconv.Itoa(os.Getuid()), "bus")); err == nil {
					t.Skip("this user has a systemd user bus, which is found without an address")
				}
				return nil
			},
			unset: []string{"DBUS_SESSION_BUS_ADDRESS"},
			want:  "DBUS_SESSION_BUS_ADDRESS is not set",
		},
		{
			name: "bus never answers",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=" + silentSocket(t, dir)}
			},
			want: "timed out after 500ms",
		},
		{
			name: "bus without a Secret Service",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"DBUS_SESSION_BUS_ADDRESS": secretservice.StartBus(t).Addr}
			},
			want: "no Secret Service on the session bus",
		},
		{
			name: "login collection locked",
			env: func(t *testing.T) map[string]string {
				k := secretservice.Start(t)
				k.Lock(t)
				return map[string]string{"DBUS_SESSION_BUS_ADDRESS": k.Addr}
			},
			want:   "locked",
			locked: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env(t)
			if env == nil {
				env = map[string]string{}
			}
			env["HELPER_TIMEOUT"] = timeout.String()
			env["HELPER_USER"] = "data-key"
			env["HELPER_SERVICE"] = "tok-test"
			secret := "s3cr3t-" + fixture.Hex(t, 8)
			env["HELPER_SECRET"] = secret

			for _, op := range []string{"get", "set"} {
				env["HELPER_OP"] = op
				r := runHelper(t, "keyring", env, tt.unset...)
				if !r.Unavailable || r.NotFound {
					t.Fatalf("%s: got error %q (unavailable=%v, not found=%v), want ErrUnavailable", op, r.Err, r.Unavailable, r.NotFound)
				}
				if r.Locked != tt.locked {
					t.Errorf("%s: error %q matches ErrLocked: %v, want %v", op, r.Err, r.Locked, tt.locked)
				}
				if !strings.Contains(r.Err, "OS keyring unavailable") || !strings.Contains(r.Err, tt.want) {
					t.Errorf("%s: error %q does not say %q", op, r.Err, tt.want)
				}
				t.Logf("%s: %s", op, r.Err)
				if strings.Contains(r.Err, secret) {
					t.Errorf("%s: error %q contains the secret", op, r.Err)
				}
				// The bound catches a hang; the slack is for a loaded CI
				// machine and the race detector, which slow the helper's
				// own start and D-Bus handshake, not the timeout.
				if limit := timeout + time.Second; r.Elapsed > limit {
					t.Errorf("%s took %s, more than the %s timeout allows", op, r.Elapsed, timeout)
				}
			}
		})
	}
}

// silentSocket listens on a Unix socket that accepts connections and never
// says a word, like a hung bus daemon.
func silentSocket(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "silent-"+fixture.Hex(t, 4))
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return path
}

// BenchmarkKeyringGet measures one Secret Service read over an open D-Bus
// connection, the cost kernelkeys.Cache saves (plus the connection set-up of a
// fresh process).
func BenchmarkKeyringGet(b *testing.B) {
	k := requireSecretService(b)
	b.Cleanup(func() { _ = k.Delete("bench") })
	if err := k.Set("bench", "q83vEjRWeJC6yd7wEjRWeJC6yd7wEjRWeJC6yd7wEjQ="); err != nil {
		b.Fatalf("Set: %v", err)
	}
	for b.Loop() {
		if _, err := k.Get("bench"); err != nil {
			b.Fatalf("Get: %v", err)
		}
	}
}
