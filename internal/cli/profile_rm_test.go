package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

func TestNewCmdProfileRmAndRename(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	var rm *profileRmOptions
	if err := parseCmd(d, newCmdProfileRm(d, func(o *profileRmOptions) error { rm = o; return nil }), "api"); err != nil || rm == nil || rm.Name != "api" {
		t.Errorf("rm api: %+v, %v", rm, err)
	}
	var mv *profileRenameOptions
	if err := parseCmd(d, newCmdProfileRename(d, func(o *profileRenameOptions) error { mv = o; return nil }), "a", "b"); err != nil || mv == nil || *mv != (profileRenameOptions{Old: "a", New: "b"}) {
		t.Errorf("rename a b: %+v, %v", mv, err)
	}
	for _, cmd := range []struct {
		argv []string
		want string
	}{{[]string{"rm"}, "takes a profile name"}, {[]string{"rename", "a"}, "takes the old and the new name"}} {
		c := newCmdProfileRm(d, nil)
		if cmd.argv[0] == "rename" {
			c = newCmdProfileRename(d, nil)
		}
		if err := parseCmd(d, c, cmd.argv[1:]...); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), cmd.want) {
			t.Errorf("%q: %v", cmd.argv, err)
		}
	}
}

func TestProfileRmAndRenameRun(t *testing.T) {
	srv := svcServer(t)
	d, _, _, _, errOut := testDeps(t, nil)
	ctx := t.Context()
	addClientCredentials(t, d, srv, "ci")
	svc, _ := d.service()
	tok, err := svc.Token(ctx, "ci", record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetDefault("ci"); err != nil {
		t.Fatal(err)
	}

	// A malformed new name is a usage error; nothing changes.
	if err := d.runProfileRename(ctx, &profileRenameOptions{Old: "ci", New: "a/b"}); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), `invalid profile name "a/b"`) {
		t.Errorf("rename to a/b: %v", err)
	}
	if err := d.runProfileRename(ctx, &profileRenameOptions{Old: "ci", New: "robot"}); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), `Renamed profile "ci" to "robot".`)
	// The token and the default follow the profile.
	again, err := svc.Token(ctx, "robot", record.Options{})
	if err != nil || again.Token != tok.Token {
		t.Errorf("the renamed profile's token: %v", err)
	}
	if ps := storedStatus(t, d, "robot"); !ps.Default {
		t.Error("the default did not follow the rename")
	}
	if err := d.runProfileRename(ctx, &profileRenameOptions{Old: "ci", New: "x"}); err == nil || !strings.Contains(err.Error(), `"ci"`) {
		t.Errorf("rename of a missing profile: %v", err)
	}

	errOut.Reset()
	if err := d.runProfileRm(&profileRmOptions{Name: "robot"}); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), `Removed profile "robot".`)
	if names, _ := svc.ProfileNames(); len(names) != 0 {
		t.Errorf("profiles after rm: %q", names)
	}
	if err := d.runProfileRm(&profileRmOptions{Name: "robot"}); err == nil || !strings.Contains(err.Error(), `"robot"`) {
		t.Errorf("rm of a missing profile: %v", err)
	}
	// The server was not told: the token is still active there.
	if !srv.Introspect(tok.Token) {
		t.Error("rm revoked the token at the server")
	}
}

func TestNewCmdUse(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	for _, tc := range []struct {
		argv []string
		want useOptions
	}{
		{nil, useOptions{}},
		{[]string{"api"}, useOptions{Name: "api"}},
		{[]string{"--unset"}, useOptions{Unset: true}},
	} {
		var got *useOptions
		if err := parseCmd(d, newCmdUse(d, func(o *useOptions) error { got = o; return nil }), tc.argv...); err != nil || got == nil || *got != tc.want {
			t.Errorf("use %q: %+v, %v", tc.argv, got, err)
		}
	}
}

func TestUseRun(t *testing.T) {
	d, _, _, _, errOut := testDeps(t, nil)
	for _, name := range []string{"a", "b"} {
		if err := profileAdd(t, d, name, "--type", "static"); err != nil {
			t.Fatal(err)
		}
	}
	svc, _ := d.service()
	defaultIs := func() string {
		t.Helper()
		list, err := svc.List()
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(list, func(ps tokens.ProfileStatus) bool { return ps.Default })
		if i < 0 {
			return ""
		}
		return list[i].Profile.Name
	}
	run := func(opts useOptions) error {
		errOut.Reset()
		return d.runUse(t.Context(), &opts)
	}
	if err := run(useOptions{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), `Default profile is now "b".`)
	if got := defaultIs(); got != "b" {
		t.Errorf("default %q, want b", got)
	}
	if err := run(useOptions{Name: "nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) || defaultIs() != "b" {
		t.Errorf("use nope: %v; default %q", err, defaultIs())
	}
	if err := run(useOptions{}); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "no terminal to pick one on; name it: tok use NAME") {
		t.Errorf("use off a terminal: %v", err)
	}
	if err := run(useOptions{Unset: true, Name: "a"}); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "to choose a default run: tok use a") {
		t.Errorf("use --unset a: %v", err)
	}
	if err := run(useOptions{Unset: true}); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), `Profile "b" is no longer the default; there is none now.`)
	if got := defaultIs(); got != "" {
		t.Errorf("default %q after --unset", got)
	}
	if err := run(useOptions{Unset: true}); err != nil {
		t.Fatal(err)
	}
	wantLine(t, errOut.String(), "There was no default profile.")
}
