//go:build unix

package e2e

// Harness additions for the OAuth and kubectl end-to-end tests: a process
// whose stderr the test reads while it runs (to follow the URL or user code
// a login prints), and read-only access to what tok stored.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/testkit/syncbuf"
)

// Watched is a running tok whose output can be read before it exits, for
// interactive commands such as tok login that print what the person must
// do and then wait.
type Watched struct {
	*running
	stdout syncbuf.Buffer
	stderr syncbuf.Buffer
}

// StartWatched starts tok with args in env (stdin /dev/null) in its own
// process group, which is killed when the test ends if it still runs.
func StartWatched(t testing.TB, env Env, args ...string) *Watched {
	t.Helper()
	cmd := exec.Command(tokPath, args...)
	cmd.Env = env.list()
	w := &Watched{}
	cmd.Stdout, cmd.Stderr = &w.stdout, &w.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	w.running = startRunning(t, cmd, append([]string{"tok"}, args...), func() (string, string) {
		return w.stdout.String(), w.stderr.String()
	}, nil)
	return w
}

// WaitStderr waits until the process's stderr matches re and returns the
// submatches. It fails the test when the process exits first or nothing
// matches within DefaultTimeout.
func (w *Watched) WaitStderr(t testing.TB, re *regexp.Regexp) []string {
	t.Helper()
	return w.waitOutput(t, re, "stderr", w.stderr.String)
}

// authURLLine matches the authorization URL tok login --no-browser prints,
// indented on a line of its own.
var authURLLine = regexp.MustCompile(`\n {4}(https?://\S+)\n`)

// userCodeLine matches the user code tok's device flow prints.
var userCodeLine = regexp.MustCompile(`enter the code: (\S+)\n`)

// LoginBrowser runs tok login -p name --no-browser, hands the URL it prints
// to approve (which plays the person in the browser), and returns login's
// outcome.
func LoginBrowser(t testing.TB, env Env, name string, approve func(authURL string) error) Result {
	t.Helper()
	w := StartWatched(t, env, "login", "-p", name, "--no-browser", "--timeout", "15s")
	authURL := w.WaitStderr(t, authURLLine)[1]
	if err := approve(authURL); err != nil {
		t.Fatalf("approving the login at %s: %v", authURL, err)
	}
	return w.Wait(t)
}

// FollowRedirects returns an approve function for LoginBrowser that
// requests the URL with client, following the authorization server's
// redirect to tok's loopback listener, and wants the listener's page to
// say 200.
func FollowRedirects(client *http.Client) func(string) error {
	return func(authURL string) error {
		resp, err := client.Get(authURL)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("the redirect chain ended at %s with %s", resp.Request.URL.Redacted(), resp.Status)
		}
		if resp.Request.URL.Hostname() != "127.0.0.1" {
			return fmt.Errorf("the redirect chain ended at %s, not at tok's loopback listener", resp.Request.URL.Redacted())
		}
		return nil
	}
}

// StoredTokens are the plaintext tokens of one profile as tok stored them.
type StoredTokens struct {
	Gen                  uint64
	Access, Refresh, ID  string
	Expiry, IDExpiry     time.Time
	Obtained             time.Time
	HasRefresh, HasState bool
}

// ReadStoredTokens opens env's database read-only and unseals a profile's
// token state with the key file. It needs the file key source
// (FileKeyEnv); tests use it to find the refresh token, which tok never
// prints, to revoke or introspect it at the server.
func ReadStoredTokens(t testing.TB, env Env, name string) StoredTokens {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(env.Home(), keysource.KeyFileName))
	if err != nil {
		t.Fatalf("reading tok's key file (is this a FileKeyEnv?): %v", err)
	}
	key, err := seal.ParseKey(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("parsing tok's key file: %v", err)
	}
	sl, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	var st record.State
	var found bool
	err = store.New(env.Home()).View(func(tx *store.Tx) error {
		err := tx.Get(store.States, name, &st)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		found = err == nil
		return err
	})
	if err != nil {
		t.Fatalf("reading the state of profile %q: %v", name, err)
	}
	out := StoredTokens{Gen: st.Gen, Expiry: st.Expiry, IDExpiry: st.IDExpiry, Obtained: st.Obtained, HasState: found && st.HasToken()}
	for _, f := range []struct {
		sealed []byte
		field  string
		dst    *string
	}{{st.Access, "access", &out.Access}, {st.Refresh, "refresh", &out.Refresh}, {st.ID, "id", &out.ID}} {
		if len(f.sealed) == 0 {
			continue
		}
		plain, err := sl.Open(f.sealed, seal.AD(name, f.field))
		if err != nil {
			t.Fatalf("unsealing the %s token of profile %q: %v", f.field, name, err)
		}
		*f.dst = string(plain)
	}
	out.HasRefresh = out.Refresh != ""
	return out
}

// storedState reads the state tok stored for profile name as it is on
// disk, tokens sealed: any home will do, whatever holds its data key.
func storedState(t testing.TB, env Env, name string) record.State {
	t.Helper()
	var st record.State
	err := store.New(env.Home()).View(func(tx *store.Tx) error {
		return tx.Get(store.States, name, &st)
	})
	if err != nil {
		t.Fatalf("reading the state of profile %q: %v", name, err)
	}
	return st
}

// ageStoredTokens moves every instant tok stored for profile name (access
// and ID token expiry, when the tokens were obtained, a refused refresh) d
// into the past, as if d had passed: the next tok process sees tokens that
// much older, and the test need not sleep through their lifetime. Only
// tok's side ages: the authorization server still counts a token aged
// past its expiry as active, so a test that needs the server (or an API
// server asking it) to refuse the old token must wait for the real expiry.
// No tok process may run on the home meanwhile.
func ageStoredTokens(t testing.TB, env Env, name string, d time.Duration) {
	t.Helper()
	if d <= 0 {
		return
	}
	err := store.New(env.Home()).Update(func(tx *store.Tx) error {
		var st record.State
		if err := tx.Get(store.States, name, &st); err != nil {
			return fmt.Errorf("reading its state: %w", err)
		}
		for _, at := range []*time.Time{&st.Expiry, &st.IDExpiry, &st.Obtained, &st.RefreshRefused} {
			if !at.IsZero() {
				*at = at.Add(-d)
			}
		}
		return tx.Put(store.States, name, &st)
	})
	if err != nil {
		t.Fatalf("ageing the tokens of profile %q: %v", name, err)
	}
}

// ProfileStatus is one entry of tok status --json.
type ProfileStatus struct {
	Name      string     `json:"name"`
	Type      string     `json:"type"`
	Issuer    string     `json:"issuer"`
	Flow      string     `json:"flow"`
	Status    string     `json:"status"`
	ExpiresAt *time.Time `json:"expires_at"`
	ExpiresIn *int64     `json:"expires_in"`
	Refresh   bool       `json:"has_refresh_token"`
	IDToken   bool       `json:"has_id_token"`
}

// StatusOf runs tok status -p name --json and returns the profile's entry.
func StatusOf(t testing.TB, env Env, name string) ProfileStatus {
	t.Helper()
	out := RunOK(t, env, "", "status", "-p", name, "--json")
	var list []ProfileStatus
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("tok status --json printed invalid JSON: %v\n%s", err, out)
	}
	if len(list) != 1 || list[0].Name != name {
		t.Fatalf("tok status -p %s --json listed %d entries: %s", name, len(list), out)
	}
	return list[0]
}

// RevokeAtServer revokes token at an RFC 7009 endpoint as the public
// client clientID, behind tok's back.
func RevokeAtServer(t testing.TB, client *http.Client, endpoint, clientID, token string) {
	t.Helper()
	resp, err := client.PostForm(endpoint, url.Values{"token": {token}, "client_id": {clientID}})
	if err != nil {
		t.Fatalf("revoking at %s: %v", endpoint, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoking at %s: %s", endpoint, resp.Status)
	}
}

// SingleLine returns s's only line, failing when s holds more or fewer.
func SingleLine(t testing.TB, what, s string) string {
	t.Helper()
	line, rest, _ := strings.Cut(s, "\n")
	if line == "" || rest != "" {
		t.Fatalf("%s: want one line, got %q", what, s)
	}
	return line
}
