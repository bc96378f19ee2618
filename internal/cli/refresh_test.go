package cli

import (
	"strings"
	"testing"
)

func TestNewCmdRefresh(t *testing.T) {
	for argv, want := range map[string]refreshOptions{
		"":         {},
		"ci":       {Profile: "ci"},
		"-p ci":    {Profile: "ci"},
		"--all":    {All: true},
		"--all ci": {Profile: "ci", All: true},
	} {
		d, _, _, _, _ := testDeps(t, nil)
		got := parsed(t, d, newCmdRefresh, strings.Fields(argv)...)
		if got == nil || *got != want {
			t.Errorf("%q: parsed %+v, want %+v", argv, got, want)
		}
	}
}

func TestRefreshRun(t *testing.T) {
	srv := svcServer(t)
	d, _, _, out, errOut := testDeps(t, nil)
	addClientCredentials(t, d, srv, "ci")
	addClientCredentials(t, d, srv, "idle") // never fetched: --all leaves it
	if err := d.runToken(t.Context(), &tokenOptions{Profile: "ci", Output: "raw"}); err != nil {
		t.Fatal(err)
	}
	first := strings.TrimSpace(out.String())

	if err := d.runRefresh(t.Context(), &refreshOptions{Profile: "ci"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), `Refreshed profile "ci", valid until`) || srv.Counts().ClientCredentials != 2 {
		t.Errorf("stderr %q, %d requests", errOut, srv.Counts().ClientCredentials)
	}
	out.Reset()
	if err := d.runToken(t.Context(), &tokenOptions{Profile: "ci", Output: "raw"}); err != nil || strings.TrimSpace(out.String()) == first {
		t.Errorf("the token after refresh is the old one (%v)", err)
	}

	errOut.Reset()
	if err := d.runRefresh(t.Context(), &refreshOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Count(errOut.String(), "Refreshed profile") != 1 || srv.Counts().ClientCredentials != 3 {
		t.Errorf("--all: stderr %q, %d requests", errOut, srv.Counts().ClientCredentials)
	}
	if err := d.runRefresh(t.Context(), &refreshOptions{Profile: "ci", All: true}); exitCode(err) != ExitUsage {
		t.Errorf("--all with a profile: %v", err)
	}

	// --all with a failing provider: each failure on its line, exit 1.
	srv.FailTokenRequests(500)
	errOut.Reset()
	err := d.runRefresh(t.Context(), &refreshOptions{All: true})
	if exitCode(err) != ExitError || !strings.Contains(err.Error(), "1 of 1 profiles were not refreshed") || !strings.Contains(errOut.String(), "tok: ") {
		t.Errorf("failing --all: %v (exit %d), stderr %q", err, exitCode(err), errOut)
	}
}
