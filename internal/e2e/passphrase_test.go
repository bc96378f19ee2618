//go:build linux

package e2e

// The passphrase key source on a machine without a desktop keyring: no
// D-Bus session at all, as on an SSH session, a server or WSL. Linux only:
// elsewhere there is no kernel keyring to keep the key unlocked in.

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"github.com/tok-cli/tok/internal/testkit/need"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/store"
)

// headlessEnv is NewEnv without any D-Bus session: no Secret Service can
// be reached, and the key source was never chosen.
func headlessEnv(t *testing.T) Env {
	t.Helper()
	if _, err := os.Stat(filepath.Join("/run/user", strconv.Itoa(os.Getuid()), "bus")); err == nil {
		need.SecretService(t, "this user has a systemd user bus, which tok finds without DBUS_SESSION_BUS_ADDRESS")
	}
	return NewEnv(t).Without("DBUS_SESSION_BUS_ADDRESS")
}

// passphraseSetup makes a headless database whose key source is
// passphrase, with static profile "api" holding token, and returns its
// environment and passphrase. The key is unlocked (the default time).
func passphraseSetup(t *testing.T, token string) (Env, string) {
	t.Helper()
	env := headlessEnv(t)
	pass := "pass " + NewSecret(t)
	// In the README's order: the key source first, on a fresh machine.
	RunOK(t, env, pass+"\n", "config", "set", "key-source", "passphrase", "--passphrase-stdin")
	RunOK(t, env, "", "profile", "add", "api", "--type", "static")
	RunOK(t, env, token+"\n", "login", "-p", "api", "--with-token")
	return env, pass
}

// wantLocked checks that r is tok refusing a locked key off a terminal.
func wantLocked(t *testing.T, r Result) {
	t.Helper()
	WantCode(t, r, 4)
	WantStderr(t, r, "run: tok unlock")
	if r.Stdout != "" {
		t.Errorf("a locked key printed on stdout: %s", r)
	}
}

// TestHeadlessFirstUseOffersPassphrase: the README's quick start on a
// machine without D-Bus. At a terminal the first command that needs the
// key explains and offers passphrase / file / cancel; choosing passphrase
// stores the key wrapped, and the next process (even the small tok alone)
// is served from the kernel keyring.
func TestHeadlessFirstUseOffersPassphrase(t *testing.T) {
	t.Parallel()
	env := headlessEnv(t)
	token, pass := NewSecret(t), "pass "+NewSecret(t)
	RunOK(t, env, "", "profile", "add", "api", "--type", "static")

	term := StartTerminal(t, env, TerminalOptions{}, "login", "-p", "api")
	term.WaitScreen(t, `Token for profile "api": `)
	term.Type(t, token+"\r")
	term.WaitScreen(t, "There is no OS keyring")
	term.WaitScreen(t, "Key source [passphrase/file/cancel] (passphrase): ")
	term.Type(t, "passphrase\r")
	term.WaitScreen(t, "New passphrase: ")
	term.Type(t, pass+"\r")
	term.WaitScreen(t, "Repeat the new passphrase: ")
	term.Type(t, pass+"\r")
	r := term.Wait(t)
	WantCode(t, r, 0)
	WantStderr(t, r, `Stored the token of profile "api"`)
	if strings.Contains(r.Stderr, pass) || strings.Contains(r.Stderr, token) {
		t.Errorf("the terminal showed the passphrase or the token:\n%s", r.Stderr)
	}
	if got := strings.TrimSpace(RunOK(t, env, "", "config", "get", "key-source")); got != "passphrase" {
		t.Errorf("key source after choosing passphrase: %q", got)
	}

	// A new process, off a terminal, gets the token: the key is unlocked.
	if got := RunOK(t, env, "", "token", "-p", "api"); got != token+"\n" {
		t.Fatalf("tok token after the first use: got %q", got)
	}
	// The small tok by itself, with no tok-full to hand over to, serves
	// it from the kernel-keyring cache: the hot path is the keyring one.
	lone, loneEnv := loneFront(t, env)
	if r := RunProgram(t, loneEnv, "", lone, "token", "-p", "api"); r.Code != 0 || r.Stdout != token+"\n" {
		t.Fatalf("the front alone with an unlocked passphrase key: want the token, got %s", r)
	}

	// Locked: off a terminal tok fails fast naming tok unlock; the front
	// alone cannot serve it either.
	RunOK(t, env, "", "lock")
	wantLocked(t, Run(t, env, "", "token", "-p", "api"))
	if r := RunProgram(t, loneEnv, "", lone, "token", "-p", "api"); r.Code == 0 {
		t.Fatalf("the front served a token after tok lock: %s", r)
	}

	// Locked at a terminal: tok asks once and goes on.
	term = StartTerminal(t, env, TerminalOptions{}, "token", "-p", "api")
	term.WaitScreen(t, "Passphrase for tok's data key: ")
	term.Type(t, pass+"\r")
	r = term.Wait(t)
	WantCode(t, r, 0)
	if r.Stdout != token+"\n" {
		t.Fatalf("tok token at a terminal after typing the passphrase: %s", r)
	}
	// ... and the passphrase typed there unlocked it for later processes.
	if got := RunOK(t, env, "", "token", "-p", "api"); got != token+"\n" {
		t.Fatalf("tok token after unlocking at a prompt: got %q", got)
	}
}

// TestHeadlessFirstUseOffTerminal: without a terminal, the first use
// fails with the fix on the first line and the diagnosis after it, and
// nothing is stored: no silent fallback to a plaintext key.
func TestHeadlessFirstUseOffTerminal(t *testing.T) {
	t.Parallel()
	env := headlessEnv(t)
	RunOK(t, env, "", "profile", "add", "api", "--type", "static")
	r := Run(t, env, NewSecret(t)+"\n", "login", "-p", "api", "--with-token")
	if r.Code == 0 {
		t.Fatalf("first use without a keyring or a terminal succeeded: %s", r)
	}
	first, rest, _ := strings.Cut(r.Stderr, "\n")
	if !strings.HasPrefix(first, "tok: no OS keyring here; run: tok config set key-source passphrase") {
		t.Errorf("first line of the error: %q, want the fix", first)
	}
	if !strings.Contains(rest, "DBUS_SESSION_BUS_ADDRESS") {
		t.Errorf("the diagnosis after the fix does not say why: %q", rest)
	}
	if _, err := os.Stat(filepath.Join(env.Home(), "key")); err == nil {
		t.Errorf("a key file was written without being chosen")
	}
	if got := strings.TrimSpace(RunOK(t, env, "", "config", "get", "key-source")); got != "keyring" {
		t.Errorf("key source after the refused first use: %q", got)
	}
}

// TestHeadlessFirstUseFile: choosing file at the offer keeps the key in a
// 0600 file and records the choice; no passphrase is asked.
func TestHeadlessFirstUseFile(t *testing.T) {
	t.Parallel()
	env := headlessEnv(t)
	token := NewSecret(t)
	RunOK(t, env, "", "profile", "add", "api", "--type", "static")
	term := StartTerminal(t, env, TerminalOptions{}, "login", "-p", "api")
	term.WaitScreen(t, `Token for profile "api": `)
	term.Type(t, token+"\r")
	term.WaitScreen(t, "Key source [passphrase/file/cancel] (passphrase): ")
	term.Type(t, "file\r")
	r := term.Wait(t)
	WantCode(t, r, 0)
	if strings.Contains(r.Stderr, "passphrase:") {
		t.Errorf("choosing file asked for a passphrase:\n%s", r.Stderr)
	}
	info, err := os.Stat(filepath.Join(env.Home(), "key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file after choosing file: %v, %v", info, err)
	}
	if got := strings.TrimSpace(RunOK(t, env, "", "config", "get", "key-source")); got != "file" {
		t.Errorf("key source after choosing file: %q", got)
	}
	if got := RunOK(t, env, "", "token", "-p", "api"); got != token+"\n" {
		t.Fatalf("tok token after choosing file: %q", got)
	}
}

// TestHeadlessFirstUseCancel: cancel at the offer stores nothing.
func TestHeadlessFirstUseCancel(t *testing.T) {
	t.Parallel()
	env := headlessEnv(t)
	RunOK(t, env, "", "profile", "add", "api", "--type", "static")
	term := StartTerminal(t, env, TerminalOptions{}, "login", "-p", "api")
	term.WaitScreen(t, `Token for profile "api": `)
	term.Type(t, NewSecret(t)+"\r")
	term.WaitScreen(t, "Key source [passphrase/file/cancel] (passphrase): ")
	term.Type(t, "cancel\r")
	r := term.Wait(t)
	WantCode(t, r, 130)
	if st := StatusOf(t, env, "api"); st.Status != "no token" {
		t.Errorf("status after cancelling: %q, want no token", st.Status)
	}
}

// TestPassphraseWrongAndChange: a wrong passphrase is refused with a clear
// error and changes nothing; changing the passphrase re-wraps the same key.
func TestPassphraseWrongAndChange(t *testing.T) {
	t.Parallel()
	token := NewSecret(t)
	env, pass := passphraseSetup(t, token)
	RunOK(t, env, "", "lock")
	before, err := os.ReadFile(env.DB())
	if err != nil {
		t.Fatal(err)
	}

	r := Run(t, env, "not the passphrase\n", "unlock", "--passphrase-stdin")
	WantCode(t, r, 1)
	WantStderr(t, r, "wrong passphrase")
	after, err := os.ReadFile(env.DB())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("a wrong passphrase changed the database")
	}
	wantLocked(t, Run(t, env, "", "token", "-p", "api"))

	// A new passphrase shorter than the minimum is refused.
	r = Run(t, env, pass+"\nshort\n", "config", "passphrase", "change", "--passphrase-stdin")
	WantCode(t, r, 1)
	WantStderr(t, r, "at least 8")

	newPass := "new " + NewSecret(t)
	RunOK(t, env, pass+"\n"+newPass+"\n", "config", "passphrase", "change", "--passphrase-stdin")
	RunOK(t, env, "", "lock")
	WantStderr(t, Run(t, env, pass+"\n", "unlock", "--passphrase-stdin"), "wrong passphrase")
	RunOK(t, env, newPass+"\n", "unlock", "--passphrase-stdin")
	if got := RunOK(t, env, "", "token", "-p", "api"); got != token+"\n" {
		t.Fatalf("token after changing the passphrase: %q", got)
	}
}

// TestPassphraseUnlockExpires: tok unlock --for 2s lasts two seconds. The
// kernel keyring counts its timeout in wall-clock seconds, so this test
// watches it run out (at most a few seconds).
func TestPassphraseUnlockExpires(t *testing.T) {
	t.Parallel()
	token := NewSecret(t)
	env, pass := passphraseSetup(t, token)
	lone, loneEnv := loneFront(t, env)
	RunOK(t, env, pass+"\n", "unlock", "--for", "2s", "--passphrase-stdin")
	unlocked := time.Now()
	if r := RunProgram(t, loneEnv, "", lone, "token", "-p", "api"); r.Code != 0 || r.Stdout != token+"\n" {
		t.Fatalf("the front right after tok unlock --for 2s: %s", r)
	}
	for {
		r := Run(t, env, "", "token", "-p", "api")
		if r.Code == 4 {
			wantLocked(t, r)
			break
		}
		if r.Code != 0 {
			t.Fatalf("tok token while the unlock runs out: %s", r)
		}
		// Generous: on a loaded machine one tok run can take a second.
		if time.Since(unlocked) > 8*time.Second {
			t.Fatalf("still unlocked %s after tok unlock --for 2s", time.Since(unlocked))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if d := time.Since(unlocked); d < time.Second {
		t.Errorf("the unlock ran out after %s, before its second", d)
	}
}

// TestPassphraseNeverOnDisk scans every byte under TOK_HOME: the data key
// and the passphrase appear in no form but the wrapped one.
func TestPassphraseNeverOnDisk(t *testing.T) {
	t.Parallel()
	token := NewSecret(t)
	env, pass := passphraseSetup(t, token)
	key := exportKey(t, env)
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	needles := map[string][]byte{
		"the data key":            raw,
		"the data key in base64":  []byte(key),
		"the data key in hex":     []byte(hex.EncodeToString(raw)),
		"the data key in HEX":     []byte(strings.ToUpper(hex.EncodeToString(raw))),
		"the passphrase":          []byte(pass),
		"the token":               []byte(token),
		"the base64 of the token": []byte(base64.StdEncoding.EncodeToString([]byte(token))),
	}
	files := 0
	err = filepath.WalkDir(env.Home(), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for what, needle := range needles {
			if bytes.Contains(b, needle) {
				t.Errorf("%s contains %s", path, what)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("TOK_HOME holds no files to scan")
	}
	if _, err := os.Stat(filepath.Join(env.Home(), "key")); err == nil {
		t.Error("a key file exists beside the database")
	}

	// The wrapped key is stored with the Argon2id parameters the docs
	// state (docs/storage-and-security.md), and it opens with the
	// passphrase to the key tok exported.
	var blob []byte
	if err := store.New(env.Home()).View(func(tx *store.Tx) error {
		blob = tx.WrappedKey()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var stored struct {
		KDF    string `json:"kdf"`
		Params struct {
			T uint32 `json:"t"`
			M uint32 `json:"m"`
			P uint8  `json:"p"`
		} `json:"params"`
		Salt []byte `json:"salt"`
	}
	if err := json.Unmarshal(blob, &stored); err != nil {
		t.Fatalf("the wrapped key is not the documented JSON: %v", err)
	}
	if stored.KDF != "argon2id" || stored.Params.T != 3 || stored.Params.M != 64*1024 || stored.Params.P != 4 || len(stored.Salt) != 16 {
		t.Errorf("wrapped key parameters %+v (salt %d bytes), want argon2id t=3 m=65536 KiB p=4 and a 16-byte salt", stored, len(stored.Salt))
	}
	var meta store.Meta
	_ = store.New(env.Home()).View(func(tx *store.Tx) error { meta = tx.Meta(); return nil })
	k, err := keysource.Unwrap(blob, meta.KeyID, []byte(pass))
	if err != nil || !bytes.Equal(k[:], raw) {
		t.Errorf("the stored wrapped key does not open to the exported key with the passphrase (%v)", err)
	}
}

// TestPassphraseMoves: the key moves from passphrase to file and back; the
// tokens stay readable and the old copy goes away.
func TestPassphraseMoves(t *testing.T) {
	t.Parallel()
	token := NewSecret(t)
	env, pass := passphraseSetup(t, token)
	RunOK(t, env, "", "lock")
	// Moving out of the passphrase source needs the passphrase.
	wantLocked(t, Run(t, env, "", "config", "set", "key-source", "file"))
	RunOK(t, env, pass+"\n", "config", "set", "key-source", "file", "--passphrase-stdin")
	if got := RunOK(t, env, "", "token", "-p", "api"); got != token+"\n" {
		t.Fatalf("token after moving to file: %q", got)
	}
	newPass := "back " + NewSecret(t)
	RunOK(t, env, newPass+"\n", "config", "set", "key-source", "passphrase", "--passphrase-stdin")
	if _, err := os.Stat(filepath.Join(env.Home(), "key")); err == nil {
		t.Error("the key file is still there after moving to passphrase")
	}
	RunOK(t, env, "", "lock")
	WantStderr(t, Run(t, env, pass+"\n", "unlock", "--passphrase-stdin"), "wrong passphrase")
	RunOK(t, env, newPass+"\n", "unlock", "--passphrase-stdin")
	if got := RunOK(t, env, "", "token", "-p", "api"); got != token+"\n" {
		t.Fatalf("token after moving back to passphrase: %q", got)
	}
}

// TestPassphraseLockedStorm: twenty callers without a terminal (an IDE
// polling kubectl) while the key is locked all exit 4 at once; none waits
// for a person.
func TestPassphraseLockedStorm(t *testing.T) {
	t.Parallel()
	env, _ := passphraseSetup(t, NewSecret(t))
	RunOK(t, env, "", "lock")
	stormExit4(t, env, "tok unlock", "token", "-p", "api")
}

// TestKeyringToPassphrase: an existing key moves from the OS keyring into
// the passphrase source; the keyring item is gone afterwards, the tokens
// stay readable, and the key is locked by tok lock.
func TestKeyringToPassphrase(t *testing.T) {
	t.Parallel()
	env := KeyringEnv(t)
	token, pass := NewSecret(t), "pass "+NewSecret(t)
	RunOK(t, env, "", "profile", "add", "api", "--type", "static")
	RunOK(t, env, token+"\n", "login", "-p", "api", "--with-token")
	key := exportKey(t, env)
	if !keyringHolds(t, env, key) {
		t.Fatal("the data key is not in the OS keyring before the move")
	}
	RunOK(t, env, pass+"\n", "config", "set", "key-source", "passphrase", "--passphrase-stdin")
	if keyringHolds(t, env, key) {
		t.Error("the data key is still in the OS keyring after moving to passphrase")
	}
	if got := exportKey(t, env); got != key {
		t.Error("moving the key changed it")
	}
	RunOK(t, env, "", "lock")
	wantLocked(t, Run(t, env, "", "token", "-p", "api"))
	RunOK(t, env, pass+"\n", "unlock", "--passphrase-stdin")
	if got := RunOK(t, env, "", "token", "-p", "api"); got != token+"\n" {
		t.Fatalf("token after moving from the keyring: %q", got)
	}
}

// TestPassphraseAskedTwice: moving a key into the passphrase source at a
// terminal asks for the new passphrase twice; two different answers change
// nothing.
func TestPassphraseAskedTwice(t *testing.T) {
	t.Parallel()
	env := headlessEnv(t)
	token := NewSecret(t)
	RunOK(t, env, "", "config", "set", "key-source", "file")
	RunOK(t, env, "", "profile", "add", "api", "--type", "static")
	RunOK(t, env, token+"\n", "login", "-p", "api", "--with-token")

	term := StartTerminal(t, env, TerminalOptions{}, "config", "set", "key-source", "passphrase")
	term.WaitScreen(t, "New passphrase: ")
	term.Type(t, "first passphrase\r")
	term.WaitScreen(t, "Repeat the new passphrase: ")
	term.Type(t, "other passphrase\r")
	r := term.Wait(t)
	WantCode(t, r, 1)
	WantStderr(t, r, "the two passphrases differ; nothing was changed")
	if got := strings.TrimSpace(RunOK(t, env, "", "config", "get", "key-source")); got != "file" {
		t.Errorf("key source after differing passphrases: %q", got)
	}
	if got := RunOK(t, env, "", "token", "-p", "api"); got != token+"\n" {
		t.Fatalf("token after the refused move: %q", got)
	}

	term = StartTerminal(t, env, TerminalOptions{}, "config", "set", "key-source", "passphrase")
	term.WaitScreen(t, "New passphrase: ")
	term.Type(t, "the same passphrase\r")
	term.WaitScreen(t, "Repeat the new passphrase: ")
	term.Type(t, "the same passphrase\r")
	WantCode(t, term.Wait(t), 0)
	if _, err := os.Stat(filepath.Join(env.Home(), "key")); err == nil {
		t.Error("the key file is still there after moving to passphrase")
	}
	RunOK(t, env, "", "lock")
	RunOK(t, env, "the same passphrase\n", "unlock", "--passphrase-stdin")
	if got := RunOK(t, env, "", "token", "-p", "api"); got != token+"\n" {
		t.Fatalf("token after the move: %q", got)
	}
}

// TestHeadlessQuickStart runs the README's quick start on a machine with
// no D-Bus session, after its headless line, and ends with a protected key.
func TestHeadlessQuickStart(t *testing.T) {
	t.Parallel()
	env := headlessEnv(t)
	token, pass := NewSecret(t), "quick start "+NewSecret(t)
	RunOK(t, env, pass+"\n", "config", "set", "key-source", "passphrase", "--passphrase-stdin")
	RunOK(t, env, "", "profile", "add", "gh", "--type", "static", "--env", "GH_TOKEN")
	RunOK(t, env, token+"\n", "login", "-p", "gh", "--with-token")
	if got := RunOK(t, env, "", "token", "-p", "gh"); got != token+"\n" {
		t.Fatalf("tok token -p gh: %q", got)
	}
	out := RunOK(t, env, "", "exec", "-p", "gh", "--", "sh", "-c", `printf '%s %s' "$TOK_TOKEN" "$GH_TOKEN"`)
	if out != token+" "+token {
		t.Fatalf("tok exec: child saw %q", out)
	}
	if _, err := os.Stat(filepath.Join(env.Home(), "key")); err == nil {
		t.Error("the quick start left a plaintext key file")
	}
	RunOK(t, env, "", "lock")
	wantLocked(t, Run(t, env, "", "exec", "-p", "gh", "--", "true"))
}

// TestPassphraseUnlockShown: tok status and tok config list say whether the
// passphrase key is unlocked, and how long it has left, without ever
// asking for the passphrase (stdin holds one they must not read).
func TestPassphraseUnlockShown(t *testing.T) {
	t.Parallel()
	env, pass := passphraseSetup(t, NewSecret(t))
	RunOK(t, env, pass+"\n", "unlock", "--for", "30m", "--passphrase-stdin")
	r := Run(t, env, pass+"\n", "status")
	WantCode(t, r, 0)
	// The kernel reports whole minutes, rounded down.
	left := regexp.MustCompile(`unlocked, at least (29|30)m left`)
	if !left.MatchString(r.Stderr) || !strings.Contains(r.Stderr, "Data key (passphrase): ") {
		t.Errorf("tok status right after tok unlock --for 30m: %s", r)
	}
	if !strings.Contains(r.Stdout, "api") {
		t.Errorf("tok status lost its table: %s", r)
	}
	if list := RunOK(t, env, pass+"\n", "config", "list"); !contains(list, "key-source", "passphrase (unlocked, at least") || !left.MatchString(list) {
		t.Errorf("tok config list while unlocked:\n%s", list)
	}
	if got := RunOK(t, env, "", "config", "get", "key-source"); got != "passphrase\n" {
		t.Errorf("tok config get key-source = %q, want the bare setting", got)
	}

	RunOK(t, env, "", "lock")
	r = Run(t, env, pass+"\n", "status")
	WantCode(t, r, 0)
	WantStderr(t, r, "Data key (passphrase): locked; run: tok unlock")
	if list := RunOK(t, env, pass+"\n", "config", "list"); !contains(list, "passphrase (locked; run: tok unlock)") {
		t.Errorf("tok config list while locked:\n%s", list)
	}
	// Looking unlocked nothing: a locked key stays locked.
	wantLocked(t, Run(t, env, "", "token", "-p", "api"))

	// Other key sources have nothing to unlock and say nothing about it.
	file := FileKeyEnv(t)
	RunOK(t, file, "", "profile", "add", "api", "--type", "static")
	if r := Run(t, file, "", "status"); r.Code != 0 || strings.Contains(r.Stderr, "Data key") {
		t.Errorf("tok status with the file key source: %s", r)
	}
	if list := RunOK(t, file, "", "config", "list"); strings.Contains(list, "unlocked") || strings.Contains(list, "locked") {
		t.Errorf("tok config list with the file key source:\n%s", list)
	}
}
