package cli

import (
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/record"
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
