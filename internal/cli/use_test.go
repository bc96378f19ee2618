package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/tokens"
)

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
