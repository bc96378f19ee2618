package keyring_test

import (
	"bufio"
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

// startBus starts a private dbus-daemon for the test and returns its
// address. The daemon is stopped when the test ends.
func startBus(t *testing.T) string {
	t.Helper()
	daemon := requireCommand(t, "dbus-daemon")
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
	return "unix:path=" + socket
}

// startKeyringDaemon starts gnome-keyring-daemon's Secret Service on the bus
// at addr, with an unlocked login collection in a throwaway directory.
func startKeyringDaemon(t *testing.T, addr string) {
	t.Helper()
	daemon := requireCommand(t, "gnome-keyring-daemon")
	dir := t.TempDir()
	cmd := exec.Command(daemon, "--foreground", "--unlock", "--components=secrets")
	cmd.Env = append(os.Environ(),
		"DBUS_SESSION_BUS_ADDRESS="+addr,
		"HOME="+dir,
		"XDG_DATA_HOME="+filepath.Join(dir, "data"),
		"XDG_RUNTIME_DIR="+dir,
	)
	cmd.Stdin = strings.NewReader("throwaway-" + randomHex(t, 8))
	startProcess(t, cmd)

	conn := connect(t, addr)
	waitFor(t, "the Secret Service to appear on the bus", func() bool {
		var has bool
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.secrets").Store(&has)
		return err == nil && has
	})
}

// lockLoginCollection locks the login collection of the Secret Service on
// the bus at addr, as a screen locker or `secret-tool lock` would.
func lockLoginCollection(t *testing.T, addr string) {
	t.Helper()
	conn := connect(t, addr)
	const login = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	service := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := service.Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{login}).Store(&locked, &prompt); err != nil {
		t.Fatalf("locking the login collection: %v", err)
	}
	v, err := conn.Object("org.freedesktop.secrets", login).GetProperty("org.freedesktop.Secret.Collection.Locked")
	if err != nil {
		t.Fatalf("reading the login collection's Locked property: %v", err)
	}
	if isLocked, _ := v.Value().(bool); !isLocked {
		t.Fatalf("the login collection is not locked after Lock (locked %v, prompt %s)", locked, prompt)
	}
}

func connect(t *testing.T, addr string) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connecting to the test bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// startProcess starts cmd and kills it when the test ends.
func startProcess(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
}

func waitFor(t *testing.T, what string, ready func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ready() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
