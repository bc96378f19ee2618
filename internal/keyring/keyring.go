// Package keyring is tok's door to the operating system's secret stores.
//
// Keyring adapts github.com/zalando/go-keyring (Secret Service on Linux,
// Keychain on macOS, Credential Manager on Windows): every call is bounded
// by a timeout, and failures come back as one of two sentinel errors that a
// caller can act on, ErrNotFound and ErrUnavailable, with a message that
// says plainly what went wrong.
//
// The short-lived copy of the data key in the Linux kernel keyring, which
// lets hot paths skip the D-Bus round trip, is internal/kernelkeys: the
// small tok front links that and not this package, which links godbus.
package keyring

import (
	"errors"
	"fmt"
	"strings"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

// DefaultService is the service name tok's items are stored under.
const DefaultService = "tok"

// DefaultTimeout bounds each keyring call when Keyring.Timeout is zero.
const DefaultTimeout = 3 * time.Second

var (
	// ErrNotFound means the keyring works but holds no such item.
	ErrNotFound = errors.New("no such item in the OS keyring")

	// ErrUnavailable means the keyring could not be used at all: no
	// Secret Service or session bus, a locked collection, or no answer
	// within the timeout. The wrapping error says which.
	ErrUnavailable = errors.New("OS keyring unavailable")

	// ErrLocked means the keyring is there but its collection is locked
	// and could not be unlocked without a prompt. Errors matching it also
	// match ErrUnavailable; a caller that tells the two apart can say how
	// to unlock instead of offering another place for the secret.
	ErrLocked = errors.New("OS keyring locked")
)

// Keyring stores secrets in the OS keyring under one service name.
// The zero value uses service "tok" and a 3-second timeout.
type Keyring struct {
	Service string
	Timeout time.Duration
}

// Get returns the secret stored for user.
func (k Keyring) Get(user string) (string, error) {
	var secret string
	err := k.call(func() error {
		var err error
		secret, err = gokeyring.Get(k.service(), user)
		return err
	})
	if err != nil {
		return "", k.explain("read", user, err, "")
	}
	return secret, nil
}

// Set stores secret for user, replacing any earlier one.
//
// If Set times out, the write may still complete later in the background:
// the item's state is unknown until the next successful call.
func (k Keyring) Set(user, secret string) error {
	err := k.call(func() error {
		return gokeyring.Set(k.service(), user, secret)
	})
	if err != nil {
		return k.explain("write", user, err, secret)
	}
	return nil
}

// Delete removes the secret stored for user. Deleting an absent item
// returns an error that matches ErrNotFound.
func (k Keyring) Delete(user string) error {
	err := k.call(func() error {
		return gokeyring.Delete(k.service(), user)
	})
	if err != nil {
		return k.explain("delete", user, err, "")
	}
	return nil
}

func (k Keyring) service() string {
	if k.Service == "" {
		return DefaultService
	}
	return k.Service
}

func (k Keyring) timeout() time.Duration {
	if k.Timeout <= 0 {
		return DefaultTimeout
	}
	return k.Timeout
}

var (
	// errTimeout marks a call that did not return within the timeout.
	errTimeout = errors.New("timed out")
	// errNoSessionBus marks a call refused because no D-Bus session bus
	// can be found (see preflight).
	errNoSessionBus = errors.New("no D-Bus session bus")
)

// call runs op with the timeout. go-keyring's calls cannot be cancelled
// (a D-Bus call waiting on a prompt blocks for good), so op runs in its own
// goroutine and is abandoned when time runs out; for a short-lived CLI
// process that is cheaper than hanging.
func (k Keyring) call(op func() error) error {
	if err := preflight(); err != nil {
		return err
	}
	done := make(chan error, 1) // buffered: an abandoned op must not block
	go func() { done <- op() }()
	timer := time.NewTimer(k.timeout())
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return errTimeout
	}
}

// explain turns an error from go-keyring or the platform into one that
// matches ErrNotFound or ErrUnavailable where it can, says what happened,
// and never contains the secret being written.
func (k Keyring) explain(verb, user string, err error, secret string) error {
	item := fmt.Sprintf("%s item %q (service %q)", verb, user, k.service())
	switch {
	case errors.Is(err, gokeyring.ErrNotFound):
		return fmt.Errorf("could not %s: %w", item, ErrNotFound)
	case errors.Is(err, errTimeout):
		return fmt.Errorf("could not %s: %w (timed out after %s; the keyring may be hung or waiting for an unlock prompt)",
			item, ErrUnavailable, k.timeout())
	case errors.Is(err, errNoSessionBus):
		return fmt.Errorf("could not %s: %w (no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set)", item, ErrUnavailable)
	case errors.Is(err, gokeyring.ErrSetDataTooBig):
		return fmt.Errorf("could not %s: the secret (%d bytes) is too large for this OS keyring", item, len(secret))
	}
	err = redact(err, secret)
	if reason, ok := unavailableReason(err); ok {
		if isLocked(err) {
			return fmt.Errorf("could not %s: %w (%s): %w", item, lockedError{}, reason, err)
		}
		return fmt.Errorf("could not %s: %w (%s): %w", item, ErrUnavailable, reason, err)
	}
	// Anything else is still a keyring that cannot serve us: a caller's
	// remedy (fix the keyring or pick another key source) is the same.
	return fmt.Errorf("could not %s: %w (unexpected error from the keyring): %w", item, ErrUnavailable, err)
}

// lockedError matches both ErrLocked and ErrUnavailable.
type lockedError struct{}

func (lockedError) Error() string { return ErrUnavailable.Error() }

func (lockedError) Is(target error) bool { return target == ErrLocked || target == ErrUnavailable }

// redact drops the secret from an error's text. Error texts come from the
// platform and are not known to be free of the value they were given.
func redact(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, "[redacted]"))
}
