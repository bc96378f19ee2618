//go:build linux

package e2e

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// privateBusConfig is a session bus with no service directories, so nothing
// is started on demand: only what a test starts is on it.
const privateBusConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
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

// privateKeyring is a D-Bus session of its own with gnome-keyring's Secret
// Service, so a test can lock its login collection without touching the
// keyring every other test shares.
type privateKeyring struct {
	addr     string
	password string
	env      []string // the daemon's environment: its HOME and keyring files
}

func startPrivateKeyring(t *testing.T) *privateKeyring {
	t.Helper()
	daemon := RequireCommand(t, "dbus-daemon")
	keyringDaemon := RequireCommand(t, "gnome-keyring-daemon")
	dir := t.TempDir()
	socket := filepath.Join(dir, "bus")
	config := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(config, []byte(strings.Replace(privateBusConfig, "SOCKET", socket, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	bus := exec.Command(daemon, "--config-file="+config, "--nofork", "--print-address=1")
	out, err := bus.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	startOwned(t, bus)
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		t.Fatalf("dbus-daemon did not print its address: %v", err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	k := &privateKeyring{addr: "unix:path=" + socket, password: "throwaway-" + hex.EncodeToString(b)}
	k.env = append(os.Environ(),
		"DBUS_SESSION_BUS_ADDRESS="+k.addr,
		"HOME="+dir,
		"XDG_DATA_HOME="+filepath.Join(dir, "data"),
		"XDG_RUNTIME_DIR="+dir,
	)
	k.startDaemon(t, keyringDaemon)
	return k
}

// startDaemon starts gnome-keyring-daemon in the foreground, replacing a
// running one, with the login collection unlocked by k.password.
func (k *privateKeyring) startDaemon(t *testing.T, path string, extra ...string) {
	t.Helper()
	cmd := exec.Command(path, append([]string{"--foreground", "--unlock", "--components=secrets"}, extra...)...)
	cmd.Env = k.env
	cmd.Stdin = strings.NewReader(k.password)
	startOwned(t, cmd)
	conn := k.connect(t)
	deadline := time.Now().Add(5 * time.Second)
	for {
		var has bool
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.secrets").Store(&has)
		if err == nil && has && !k.locked(t, conn) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for an unlocked Secret Service on the private bus")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const loginCollection = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")

func (k *privateKeyring) connect(t *testing.T) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(k.addr)
	if err != nil {
		t.Fatalf("connecting to the private bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// locked reports whether the login collection is locked (or not there yet).
func (k *privateKeyring) locked(t *testing.T, conn *dbus.Conn) bool {
	v, err := conn.Object("org.freedesktop.secrets", loginCollection).GetProperty("org.freedesktop.Secret.Collection.Locked")
	if err != nil {
		return true
	}
	l, _ := v.Value().(bool)
	return l
}

// lock locks the login collection, as a screen locker would.
func (k *privateKeyring) lock(t *testing.T) {
	t.Helper()
	conn := k.connect(t)
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	service := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	if err := service.Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{loginCollection}).Store(&locked, &prompt); err != nil {
		t.Fatalf("locking the login collection: %v", err)
	}
	if !k.locked(t, conn) {
		t.Fatal("the login collection is not locked after Lock")
	}
}

// startOwned starts cmd in its own process group and kills the group when
// the test ends.
func startOwned(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
}

// TestLockedKeyringSaysUnlock: a Secret Service whose login collection is
// locked is not a missing keyring. tok says how to unlock it before it
// names another key source, offers no other source at a terminal, never
// falls back; and the unlock it names works.
func TestLockedKeyringSaysUnlock(t *testing.T) {
	t.Parallel()
	k := startPrivateKeyring(t)
	env := NewEnv(t).With("DBUS_SESSION_BUS_ADDRESS=" + k.addr)
	secret := NewSecret(t)
	RunOK(t, env, "", "profile", "add", "api", "--type", "static")
	k.lock(t)

	r := Run(t, env, secret+"\n", "login", "-p", "api", "--with-token")
	WantCode(t, r, 1)
	WantStderr(t, r, "locked", "unlock it first", "gnome-keyring-daemon --replace --unlock")
	unlock, other := strings.Index(r.Stderr, "unlock it first"), strings.Index(r.Stderr, "tok config set key-source passphrase")
	if other >= 0 && other < unlock {
		t.Errorf("the message offers another key source before the unlock: %s", r.Stderr)
	}
	if strings.Contains(r.Stderr, "no OS keyring here") {
		t.Errorf("a locked keyring was reported as a missing one: %s", r.Stderr)
	}

	// At a terminal: the same advice, and no offer of another source.
	term := StartTerminal(t, env, TerminalOptions{}, "login", "-p", "api")
	term.WaitScreen(t, `Token for profile "api": `)
	term.Type(t, secret+"\r")
	r = term.Wait(t)
	WantCode(t, r, 1)
	WantStderr(t, r, "unlock it first")
	if strings.Contains(r.Stderr, "Key source [passphrase/file/cancel]") {
		t.Errorf("a locked keyring offered another key source instead of the unlock:\n%s", r.Stderr)
	}
	if got := strings.TrimSpace(RunOK(t, env, "", "config", "get", "key-source")); got != "keyring" {
		t.Errorf("key source after the refusals: %q", got)
	}
	if _, err := os.Stat(filepath.Join(env.Home(), "key")); err == nil {
		t.Errorf("tok fell back to a key file")
	}

	// The unlock the message names: a daemon that replaces the running
	// one, unlocked with the keyring password from stdin.
	k.startDaemon(t, RequireCommand(t, "gnome-keyring-daemon"), "--replace")
	RunOK(t, env, secret+"\n", "login", "-p", "api", "--with-token")
	if got := RunOK(t, env, "", "token", "-p", "api"); got != secret+"\n" {
		t.Fatalf("token after unlocking the keyring: %q", got)
	}
}
