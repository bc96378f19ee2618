package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/kernelkeys"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/testkit/authserver"
)

// clientID is the public client every profile of the harness uses.
const clientID = "tok"

// profileName is the profile in every TOK_HOME of the harness.
const profileName = "api"

// home is one prepared TOK_HOME with an OAuth profile logged in.
type home struct {
	dir string
	env []string // the complete environment of every tok run on it
	tok string   // path of the tok binary
}

// baseEnv is what every process the harness times gets, floor included,
// so that differences in environment size cannot skew the comparison. The
// session bus address is passed on for the keyring source.
func baseEnv(root string) ([]string, error) {
	userHome := filepath.Join(root, "user-home")
	if err := os.MkdirAll(userHome, 0o700); err != nil {
		return nil, err
	}
	env := []string{"HOME=" + userHome, "PATH=" + os.Getenv("PATH")}
	for _, k := range []string{"DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env, nil
}

// newAuthServer starts an in-process authorization server whose access
// tokens live ttl, with the public client tok registered.
func newAuthServer(tb *harnessTB, ttl time.Duration) *authserver.Server {
	srv := authserver.New(tb, authserver.Options{AccessTokenTTL: ttl})
	srv.AddClient(authserver.Client{ID: clientID})
	return srv
}

// newHome creates a TOK_HOME under root with profile "api" on srv, signed
// in by the password grant (which returns a refresh token with the
// offline_access scope). keySource "file" keeps the data key in a file;
// "keyring" in the OS keyring.
// extra flags go to tok profile add.
func newHome(tokPath, root, name string, base []string, keySource string, srv *authserver.Server, margin time.Duration, extra ...string) (*home, error) {
	h := &home{dir: filepath.Join(root, name, "tok"), tok: tokPath}
	h.env = append(append([]string{}, base...), "TOK_HOME="+h.dir)
	if keySource == "file" {
		h.env = append(h.env, "TOK_KEY_SOURCE=file")
	}
	type step struct {
		stdin string
		args  []string
	}
	steps := []step{
		{"", append([]string{"profile", "add", profileName, "--issuer", srv.Issuer(), "--client-id", clientID,
			"--flow", "password", "--username", authserver.TestUser, "--scopes", "offline_access",
			"--refresh-margin", margin.String(), "--git-url", "https://" + gitHost + "/"}, extra...)},
	}
	if keySource == "passphrase" {
		// The key is created under the passphrase and left unlocked in
		// the kernel keyring, as after tok unlock.
		steps = append(steps, step{benchPassphrase + "\n", []string{"config", "set", "key-source", "passphrase", "--passphrase-stdin"}})
	}
	steps = append(steps, step{authserver.TestPassword + "\n", []string{"login", "-p", profileName, "--password-stdin"}})
	for _, s := range steps {
		if _, err := h.run(s.stdin, s.args...); err != nil {
			return nil, fmt.Errorf("setting up %s: %w", name, err)
		}
	}
	return h, nil
}

// benchPassphrase protects the passphrase home's throwaway key.
const benchPassphrase = "tokbench throwaway passphrase"

// run runs tok on h (untimed) and returns its stdout.
func (h *home) run(stdin string, args ...string) (string, error) {
	return runTool(h.env, stdin, append([]string{h.tok}, args...)...)
}

// token runs tok token on h and returns the token it printed.
func (h *home) token() (string, error) {
	out, err := h.run("", "token", "-p", profileName)
	if err != nil {
		return "", err
	}
	tok, rest, _ := strings.Cut(out, "\n")
	if tok == "" || rest != "" {
		return "", fmt.Errorf("tok token printed %d lines, want one token", strings.Count(out, "\n"))
	}
	return tok, nil
}

// expiry is the stored expiry of h's access token, from tok status (which
// never refreshes).
func (h *home) expiry() (time.Time, error) {
	out, err := h.run("", "status", "-p", profileName, "--json")
	if err != nil {
		return time.Time{}, err
	}
	var list []struct {
		ExpiresAt *time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return time.Time{}, fmt.Errorf("tok status --json: %w", err)
	}
	if len(list) != 1 || list[0].ExpiresAt == nil {
		return time.Time{}, errors.New("tok status --json shows no expiry for the profile")
	}
	return *list[0].ExpiresAt, nil
}

// keyCacheDesc is the kernel-keyring description under which tok caches
// this home's data key (see internal/keysource).
func (h *home) keyCacheDesc() (string, error) {
	var keyID string
	err := store.New(h.dir).View(func(tx *store.Tx) error {
		keyID = tx.Meta().KeyID
		return nil
	})
	if err != nil {
		return "", err
	}
	if keyID == "" {
		return "", errors.New("the database has no key id")
	}
	return "tok:data-key:" + keyID, nil
}

// removeKeyringKey moves h's data key out of the OS keyring into a file
// and drops the kernel-keyring copy, so the run leaves nothing behind in
// the person's keyrings.
func (h *home) removeKeyringKey() error {
	desc, derr := h.keyCacheDesc()
	_, err := h.run("", "config", "set", "key-source", "file")
	if derr == nil {
		if cerr := (kernelkeys.Cache{}).Delete(desc); cerr != nil && err == nil {
			err = cerr
		}
	}
	return errors.Join(err, derr)
}
