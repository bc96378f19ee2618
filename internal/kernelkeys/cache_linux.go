package kernelkeys

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Cache keeps short-lived copies of small secrets in the Linux kernel
// keyring, as keys of type "user" with a timeout, so that a process can
// skip the Secret Service's D-Bus round trip (about 7 ms) when another tok
// process of the same session read the secret moments ago. The zero value
// is ready to use.
//
// Which keyring: the caller's session keyring, looked up without creating
// one. That is the keyring pam_keyinit (or a container runtime) made for the
// login session; a process that has none uses its user-session keyring
// (_uid_ses.UID), shared by the user's processes that have no session
// keyring. The keyring is never
// created here: a fresh anonymous session keyring would belong to this one
// process and the cache would silently never hit. The per-user keyring
// (_uid.UID) is not used because it also spans other login sessions, and,
// for root in containers that share the host's user namespace, other
// containers; the session keyring is the narrower choice and behaves the
// same under dbus-run-session and in CI, which inherit it.
//
// A session keyring can be shared with another user: su without
// pam_keyinit leaves the new user's shell in the caller's session keyring,
// so possessing a key says nothing about who asks. Keys are therefore
// user-only: all permissions for the owning user, none for possessors,
// group or others, so only processes of the same user (the reach of the
// Secret Service, which answers any process of the user that can connect
// to the session bus) can find or read them. And Get trusts a key only
// when its owner is the caller and its permissions are exactly these:
// another user who shares the keyring could otherwise plant a key of the
// same name and have tok seal new secrets under a key they know.
//
// Each key is built, permissioned and given its timeout in a thread
// keyring first and only then linked into the session keyring, so no
// reader ever sees a key without its expiry, even if tok is killed
// half-way through a Put.
type Cache struct{}

const (
	keyType = "user"

	// keyPermUserAll is KEY_USR_VIEW|READ|WRITE|SEARCH|LINK|SETATTR, and
	// nothing for possessors, group or others.
	keyPermUserAll = 0x003f0000

	// maxUserKeyPayload is the kernel's limit for a "user" key's payload.
	maxUserKeyPayload = 32767
)

// Get returns the value cached under desc, if there is one and it has not
// expired. Any failure of the kernel keyring counts as a miss.
func (Cache) Get(desc string) ([]byte, bool) {
	ring, err := sessionKeyring()
	if err != nil || desc == "" {
		return nil, false
	}
	id, err := unix.KeyctlSearch(ring, keyType, desc, 0)
	if err != nil || !ownKey(id) {
		return nil, false
	}
	// A data key is 32 bytes; a bigger buffer is taken only when needed.
	buf := make([]byte, 128)
	for {
		n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
		if err != nil {
			return nil, false
		}
		if n <= len(buf) {
			return buf[:n], true
		}
		buf = make([]byte, n)
	}
}

// Put caches value under desc for ttl, replacing an earlier value. The
// kernel counts timeouts in whole seconds from the current second, so the
// key lives between ttl (rounded up to a second) minus one second and ttl.
// A failed Put leaves the cache as it was; callers can carry on without it.
func (Cache) Put(desc string, value []byte, ttl time.Duration) error {
	switch {
	case desc == "":
		return errors.New("kernel keyring cache: empty description")
	case ttl <= 0:
		return fmt.Errorf("kernel keyring cache: ttl must be positive, got %s", ttl)
	case len(value) == 0 || len(value) > maxUserKeyPayload:
		return fmt.Errorf("kernel keyring cache: value of %d bytes is outside 1..%d", len(value), maxUserKeyPayload)
	}
	seconds := int(math.Ceil(ttl.Seconds()))

	ring, err := sessionKeyring()
	if err != nil {
		return err
	}

	// The thread keyring belongs to the OS thread, so the goroutine must
	// stay on one thread from add_key to unlink.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	id, err := unix.AddKey(keyType, desc, value, unix.KEY_SPEC_THREAD_KEYRING)
	if err != nil {
		return fmt.Errorf("kernel keyring cache: could not add key: %w", err)
	}
	// However this ends, the key must not stay in the thread keyring.
	defer func() {
		_, _ = unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_THREAD_KEYRING, 0, 0)
	}()
	if err := unix.KeyctlSetperm(id, keyPermUserAll); err != nil {
		return fmt.Errorf("kernel keyring cache: could not restrict key permissions: %w", err)
	}
	if _, err := unix.KeyctlInt(unix.KEYCTL_SET_TIMEOUT, id, seconds, 0, 0); err != nil {
		return fmt.Errorf("kernel keyring cache: could not set key timeout: %w", err)
	}
	// Linking replaces a key of the same type and description atomically.
	if _, err := unix.KeyctlInt(unix.KEYCTL_LINK, id, ring, 0, 0); err != nil {
		return fmt.Errorf("kernel keyring cache: could not link key into the session keyring: %w", err)
	}
	return nil
}

// Delete removes the value cached under desc, if any. Call it when the
// secret changes or is deleted, so no stale copy outlives it.
func (Cache) Delete(desc string) error {
	ring, err := sessionKeyring()
	if err != nil {
		return err
	}
	// The search is recursive, so copies in linked keyrings are found one
	// after another; the bound only guards against a kernel that keeps
	// returning an invalidated key.
	for range 16 {
		id, err := unix.KeyctlSearch(ring, keyType, desc, 0)
		if errors.Is(err, unix.ENOKEY) || errors.Is(err, unix.EKEYEXPIRED) || errors.Is(err, unix.EKEYREVOKED) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("kernel keyring cache: could not search for %q: %w", desc, err)
		}
		// Invalidation removes the key from every keyring at once.
		if _, err := unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0); err != nil {
			return fmt.Errorf("kernel keyring cache: could not invalidate %q: %w", desc, err)
		}
	}
	return fmt.Errorf("kernel keyring cache: %q is still present after invalidation", desc)
}

// Remaining says how long the value cached under desc has left, as the
// kernel reports it in /proc/keys: rounded down to the unit it shows (58s,
// 59m, 7h, 6d, 3w), so the true time left is at least Remaining and less
// than one more unit. ok is false when there is no such value, or the
// kernel does not say (no /proc/keys, or a key without a timeout).
func (Cache) Remaining(desc string) (left time.Duration, ok bool) {
	ring, err := sessionKeyring()
	if err != nil || desc == "" {
		return 0, false
	}
	id, err := unix.KeyctlSearch(ring, keyType, desc, 0)
	if err != nil || !ownKey(id) {
		return 0, false
	}
	procKeys, err := os.ReadFile("/proc/keys")
	if err != nil {
		return 0, false
	}
	return procKeysTimeout(string(procKeys), id)
}

// procKeysTimeout finds key id in the text of /proc/keys ("ID FLAGS USAGE
// TIMEOUT PERM UID GID TYPE DESCRIPTION", the ID in hex) and parses its
// timeout column.
func procKeysTimeout(procKeys string, id int) (time.Duration, bool) {
	want := fmt.Sprintf("%08x", id)
	for line := range strings.Lines(procKeys) {
		fields := strings.Fields(line)
		if len(fields) < 4 || fields[0] != want {
			continue
		}
		return parseKeyTimeout(fields[3])
	}
	return 0, false
}

// keyTimeoutUnits are the units of /proc/keys' timeout column.
var keyTimeoutUnits = map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}

func parseKeyTimeout(s string) (time.Duration, bool) {
	if len(s) < 2 {
		return 0, false
	}
	unit, ok := keyTimeoutUnits[s[len(s)-1]]
	if !ok { // "perm", "expd"
		return 0, false
	}
	n, err := strconv.ParseUint(s[:len(s)-1], 10, 32)
	if err != nil {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// ownKey reports whether key id belongs to this process's user and has
// exactly the permissions Put gives (see Cache).
func ownKey(id int) bool {
	// "type;uid;gid;perm;description"
	info, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
	if err != nil {
		return false
	}
	fields := strings.SplitN(info, ";", 5)
	if len(fields) != 5 {
		return false
	}
	uid, err := strconv.Atoi(fields[1])
	if err != nil || uid != unix.Geteuid() {
		return false
	}
	perm, err := strconv.ParseUint(fields[3], 16, 32)
	return err == nil && perm == keyPermUserAll
}

// sessionKeyring returns the serial of the caller's session keyring,
// resolving KEY_SPEC_SESSION_KEYRING without asking the kernel to create
// one (see Cache).
func sessionKeyring() (int, error) {
	id, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
	if err != nil {
		return 0, fmt.Errorf("kernel keyring cache: no session keyring: %w", err)
	}
	return id, nil
}
