// Package secretservice starts a private D-Bus session for tests, optionally
// with gnome-keyring's Secret Service on it, so a test can break the
// keyring (no service, a locked login collection) without touching the
// session every other test shares. Test support only: tok never imports it.
package secretservice

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"github.com/tok-cli/tok/internal/testkit/need"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// busConfig is a session bus with no service directories, so nothing is
// started on demand: a name is on the bus only if a test put it there.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=SOCKET</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// LoginCollection is the Secret Service collection go-keyring uses.
const LoginCollection = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")

// Session is a private bus, and the environment a keyring daemon on it
// runs with (its own HOME and keyring files).
type Session struct {
	// Addr is the bus address, for DBUS_SESSION_BUS_ADDRESS.
	Addr string
	// Password unlocks the login collection of the daemon StartDaemon starts.
	Password string
	env      []string
}

// StartBus starts a private dbus-daemon with nothing on it. It and every
// daemon started on it are killed when the test ends.
func StartBus(t testing.TB) *Session {
	t.Helper()
	daemon := need.Command(t, "dbus-daemon", "run: .ci/setup")
	dir := t.TempDir()
	socket := filepath.Join(dir, "bus")
	config := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(config, []byte(strings.Replace(busConfig, "SOCKET", socket, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	// dbus-daemon prints its address once it accepts connections.
	cmd := exec.Command(daemon, "--config-file="+config, "--nofork", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	startProcess(t, cmd)
	ready := make(chan error, 1)
	go func() {
		_, err := bufio.NewReader(out).ReadString('\n')
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("dbus-daemon did not print its address: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for dbus-daemon to start")
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	s := &Session{Addr: "unix:path=" + socket, Password: "throwaway-" + hex.EncodeToString(b)}
	s.env = append(os.Environ(),
		"DBUS_SESSION_BUS_ADDRESS="+s.Addr,
		"HOME="+dir,
		"XDG_DATA_HOME="+filepath.Join(dir, "data"),
		"XDG_RUNTIME_DIR="+dir,
	)
	return s
}

// Start is StartBus with gnome-keyring's Secret Service on the bus and an
// unlocked login collection.
func Start(t testing.TB) *Session {
	t.Helper()
	s := StartBus(t)
	s.StartDaemon(t)
	return s
}

// StartDaemon starts gnome-keyring-daemon in the foreground on the bus,
// with the login collection unlocked by s.Password (extra arguments such
// as --replace are passed on), and waits until it serves an unlocked
// collection.
func (s *Session) StartDaemon(t testing.TB, extra ...string) {
	t.Helper()
	path := need.Command(t, "gnome-keyring-daemon", "run: .ci/setup")
	cmd := exec.Command(path, append([]string{"--foreground", "--unlock", "--components=secrets"}, extra...)...)
	cmd.Env = s.env
	cmd.Stdin = strings.NewReader(s.Password)
	startProcess(t, cmd)
	conn := s.Connect(t)
	deadline := time.Now().Add(5 * time.Second)
	for {
		var has bool
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.secrets").Store(&has)
		if err == nil && has && !Locked(conn) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for an unlocked Secret Service on the private bus")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Connect opens a connection to the bus, closed when the test ends.
func (s *Session) Connect(t testing.TB) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(s.Addr)
	if err != nil {
		t.Fatalf("connecting to the private bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// Lock locks the login collection, as a screen locker or `secret-tool
// lock` would.
func (s *Session) Lock(t testing.TB) {
	t.Helper()
	conn := s.Connect(t)
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	service := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	if err := service.Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{LoginCollection}).Store(&locked, &prompt); err != nil {
		t.Fatalf("locking the login collection: %v", err)
	}
	if !Locked(conn) {
		t.Fatalf("the login collection is not locked after Lock (locked %v, prompt %s)", locked, prompt)
	}
}

// Locked reports whether the login collection is locked (or not there yet).
func Locked(conn *dbus.Conn) bool {
	v, err := conn.Object("org.freedesktop.secrets", LoginCollection).GetProperty("org.freedesktop.Secret.Collection.Locked")
	if err != nil {
		return true
	}
	l, _ := v.Value().(bool)
	return l
}

// startProcess starts cmd and kills it when the test ends.
func startProcess(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() {
		killGroup(cmd)
		_ = cmd.Wait()
	})
}
