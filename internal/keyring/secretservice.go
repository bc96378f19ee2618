//go:build linux || freebsd || openbsd || netbsd || dragonfly

package keyring

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"

	"github.com/godbus/dbus/v5"
)

// On these systems go-keyring talks to the freedesktop Secret Service over
// the D-Bus session bus (github.com/godbus/dbus).

// preflight refuses to call go-keyring when there is no session bus to
// find. Without an address godbus runs dbus-launch (when dbus-x11 is
// installed), which starts a bus and a keyring daemon per call that outlive
// tok; tok must never leave processes behind, so it fails instead.
func preflight() error {
	if addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" {
		return nil
	}
	// The places godbus itself looks before it falls back to dbus-launch.
	dir := fmt.Sprintf("/run/user/%d", os.Getuid())
	for _, name := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(dir + "/" + name); err == nil {
			return nil
		}
	}
	return errNoSessionBus
}

// unavailableReason says in plain words why the Secret Service could not
// be used, when err shows that it could not.
func unavailableReason(err error) (string, bool) {
	var dbusErr dbus.Error
	var dbusErrPtr *dbus.Error
	switch {
	case errors.As(err, &dbusErr):
		return dbusReason(dbusErr.Name)
	case errors.As(err, &dbusErrPtr):
		return dbusReason(dbusErrPtr.Name)
	}
	var opErr *net.OpError
	var execErr *exec.Error
	if errors.As(err, &opErr) || errors.As(err, &execErr) ||
		strings.Contains(err.Error(), "couldn't determine address of session bus") {
		return "cannot connect to the D-Bus session bus", true
	}
	// go-keyring reports a collection that stays locked, for example
	// because no prompt can be shown, only by this message.
	if strings.Contains(err.Error(), "failed to unlock") {
		return "the keyring's login collection is locked and could not be unlocked without a prompt", true
	}
	return "", false
}

// isLocked reports whether err says the Secret Service is there but its
// collection is locked.
func isLocked(err error) bool {
	var dbusErr dbus.Error
	var dbusErrPtr *dbus.Error
	switch {
	case errors.As(err, &dbusErr):
		return dbusErr.Name == "org.freedesktop.Secret.Error.IsLocked"
	case errors.As(err, &dbusErrPtr):
		return dbusErrPtr.Name == "org.freedesktop.Secret.Error.IsLocked"
	}
	return strings.Contains(err.Error(), "failed to unlock")
}

func dbusReason(name string) (string, bool) {
	switch name {
	case "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner":
		return "no Secret Service on the session bus", true
	case "org.freedesktop.DBus.Error.NoReply", "org.freedesktop.DBus.Error.Timeout":
		return "the Secret Service did not answer", true
	case "org.freedesktop.DBus.Error.AccessDenied":
		return "the session bus denied access to the Secret Service", true
	case "org.freedesktop.Secret.Error.IsLocked":
		return "the keyring is locked", true
	case "org.freedesktop.DBus.Error.UnknownObject", "org.freedesktop.Secret.Error.NoSuchObject":
		return "the Secret Service has no login collection", true
	}
	return "Secret Service error " + name, true
}
