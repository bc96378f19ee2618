package cli

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/iostreams"
	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/seal"
)

func TestNewCmdConfig(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	var get *configGetOptions
	if err := parseCmd(d, newCmdConfigGet(d, func(o *configGetOptions) error { get = o; return nil }), "key-source"); err != nil || get == nil || get.Key != "key-source" {
		t.Errorf("get key-source: %+v, %v", get, err)
	}
	var set *configSetOptions
	if err := parseCmd(d, newCmdConfigSet(d, func(o *configSetOptions) error { set = o; return nil }), "default-profile", "api"); err != nil ||
		set == nil || *set != (configSetOptions{Key: "default-profile", Value: "api"}) {
		t.Errorf("set default-profile api: %+v, %v", set, err)
	}
	listed := false
	if err := parseCmd(d, newCmdConfigList(d, func(*configListOptions) error { listed = true; return nil })); err != nil || !listed {
		t.Errorf("list: %v", err)
	}
	var exp *keyExportOptions
	if err := parseCmd(d, newCmdKeyExport(d, func(o *keyExportOptions) error { exp = o; return nil }), "-o", "k.b64", "--force"); err != nil ||
		exp == nil || *exp != (keyExportOptions{Output: "k.b64", Force: true}) {
		t.Errorf("key export -o k.b64 --force: %+v, %v", exp, err)
	}
	changed := false
	if err := parseCmd(d, newCmdPassphraseChange(d, func(*passphraseChangeOptions) error { changed = true; return nil }), "--passphrase-stdin"); err != nil || !changed || !d.passphraseStdin {
		t.Errorf("passphrase change --passphrase-stdin: %v, stdin %v", err, d.passphraseStdin)
	}
	for _, tc := range []struct {
		cmd  func() error
		want string
	}{
		{func() error { return parseCmd(d, newCmdConfigGet(d, nil)) }, "takes a setting name"},
		{func() error { return parseCmd(d, newCmdConfigSet(d, nil), "key-source") }, "takes a setting name and a value"},
		{func() error { return parseCmd(d, newCmdConfigList(d, nil), "x") }, "takes no arguments"},
	} {
		if err := tc.cmd(); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want a usage error with %q", err, tc.want)
		}
	}
}

// TestConfigRun walks the key through its sources in process: chosen as
// file on a new database, moved under a passphrase, the passphrase changed,
// unlocked and locked again; settings listed and read on the way.
func TestConfigRun(t *testing.T) {
	vars := map[string]string{}
	d, _, in, out, errOut := testDeps(t, vars)
	ctx := t.Context()
	get := func(key string) string {
		t.Helper()
		out.Reset()
		if err := d.runConfigGet(&configGetOptions{Key: key}); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out.String())
	}
	if got := get("key-source"); got != "keyring" {
		t.Errorf("key-source on a new database: %q, want the default keyring", got)
	}
	if err := d.runConfigGet(&configGetOptions{Key: "colour"}); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), `unknown setting "colour"; settings: key-source, default-profile`) {
		t.Errorf("get colour: %v", err)
	}
	if err := d.runConfigSet(ctx, &configSetOptions{Key: "key-source", Value: "file"}); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), "Key source is now file.")
	if err := profileAdd(t, d, "gh", "--type", "static"); err != nil {
		t.Fatal(err)
	}
	// The next runs: the stored setting decides (no TOK_KEY_SOURCE), and
	// passphrases come from stdin (--passphrase-stdin, parsed before the
	// Service is built).
	delete(vars, "TOK_KEY_SOURCE")
	d.passphraseStdin, d.svc = true, nil
	svc, _ := d.service()
	if err := svc.SetStaticToken(ctx, "gh", "ghp_static", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := d.runConfigSet(ctx, &configSetOptions{Key: "default-profile", Value: "gh"}); err != nil || get("default-profile") != "gh" {
		t.Errorf("default-profile gh: %v, %q", err, get("default-profile"))
	}
	for _, tc := range []configSetOptions{{Key: "key-source", Value: "vault"}, {Key: "colour", Value: "red"}} {
		if err := d.runConfigSet(ctx, &tc); exitCode(err) != ExitUsage {
			t.Errorf("set %s %s: %v", tc.Key, tc.Value, err)
		}
	}

	// Key export: never to a terminal without --force; -o makes a new
	// private file and never overwrites one.
	out.Reset()
	if err := d.runKeyExport(ctx, &keyExportOptions{}); err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(out.String())
	if _, err := seal.ParseKey(key); err != nil {
		t.Fatalf("exported %q: %v", key, err)
	}
	path := filepath.Join(t.TempDir(), "key.b64")
	if err := d.runKeyExport(ctx, &keyExportOptions{Output: path}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || strings.TrimSpace(string(b)) != key {
		t.Errorf("key file: %q, %v", b, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode().Perm())
	}
	if err := d.runKeyExport(ctx, &keyExportOptions{Output: path}); err == nil || !strings.Contains(err.Error(), "already exists; tok never overwrites it with a key") {
		t.Errorf("second export to the same file: %v", err)
	}
	d.io.SetTTY(false, true, false)
	if err := d.runKeyExport(ctx, &keyExportOptions{}); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "refusing to print the data key to a terminal") {
		t.Errorf("export to a terminal: %v", err)
	}
	d.io.SetTTY(false, false, false)

	// Under a passphrase, read from stdin (--passphrase-stdin).
	in.WriteString("first passphrase\n")
	errOut.Reset()
	if err := d.runConfigSet(ctx, &configSetOptions{Key: "key-source", Value: "passphrase"}); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), "Key source is now passphrase.")
	in.WriteString("wrong passphrase\nsecond passphrase\n")
	if err := d.runPassphraseChange(ctx, &passphraseChangeOptions{}); err == nil || !strings.Contains(err.Error(), "passphrase") {
		t.Errorf("change with a wrong current passphrase: %v", err)
	}
	in.Reset()
	in.WriteString("first passphrase\nsecond passphrase\n")
	errOut.Reset()
	if err := d.runPassphraseChange(ctx, &passphraseChangeOptions{}); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), "Changed the passphrase of tok's data key.")

	// Unlock and lock; nobody types a passphrase in between.
	if err := d.runUnlock(ctx, &unlockOptions{For: 31 * 24 * time.Hour}); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "give a duration between 1s and 720h") {
		t.Errorf("unlock for 31 days: %v", err)
	}
	in.WriteString("second passphrase\n")
	errOut.Reset()
	if err := d.runUnlock(ctx, &unlockOptions{For: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" {
		if !strings.HasPrefix(errOut.String(), "Unlocked tok's data key for 1h0m0s (until ") {
			t.Errorf("unlock said %q", errOut)
		}
		if cred, err := svc.Token(ctx, "gh", record.Options{}); err != nil || cred.Token != "ghp_static" {
			t.Errorf("token while unlocked: %v", err)
		}
		out.Reset()
		if err := d.runConfigList(&configListOptions{}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Fields(out.String()); len(got) < 5 || got[0] != "key-source" || got[1] != "passphrase" || !strings.Contains(out.String(), "(unlocked, at least") || !strings.Contains(out.String(), "default-profile  gh") {
			t.Errorf("config list:\n%s", out)
		}
	}
	errOut.Reset()
	if err := d.runLock(ctx, &lockOptions{}); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), "Locked tok's data key; unlock it with: tok unlock")
	// Another run, off a terminal and without --passphrase-stdin.
	ios2, _, _, _ := iostreams.Test()
	d2 := newDeps(ios2, func(k string) string { return vars[k] })
	svc2, err := d2.service()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc2.Token(ctx, "gh", record.Options{}); exitCode(err) != ExitLoginRequired {
		t.Errorf("token while locked, off a terminal: %v (exit %d), want exit 4", err, exitCode(err))
	}
	out.Reset()
	if err := d.runConfigList(&configListOptions{}); err != nil || !strings.Contains(out.String(), "passphrase (locked; run: tok unlock)") {
		t.Errorf("config list while locked: %v\n%s", err, out)
	}
	if got := get("key-source"); got != string(keysource.Passphrase) {
		t.Errorf("key-source %q", got)
	}
}
