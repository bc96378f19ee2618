package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/record"
)

func TestNewCmdProfileListAndShow(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	var list *profileListOptions
	if err := parseCmd(d, newCmdProfileList(d, func(o *profileListOptions) error { list = o; return nil }), "--json"); err != nil || list == nil || !list.JSON {
		t.Errorf("list --json: %+v, %v", list, err)
	}
	if err := parseCmd(d, newCmdProfileList(d, nil), "api"); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "takes no arguments") {
		t.Errorf("list api: %v", err)
	}
	for _, tc := range []struct {
		argv []string
		want profileShowOptions
	}{
		{nil, profileShowOptions{}},
		{[]string{"api", "--json"}, profileShowOptions{Profile: "api", JSON: true}},
		{[]string{"-p", "api"}, profileShowOptions{Profile: "api"}},
	} {
		var got *profileShowOptions
		if err := parseCmd(d, newCmdProfileShow(d, func(o *profileShowOptions) error { got = o; return nil }), tc.argv...); err != nil || got == nil || *got != tc.want {
			t.Errorf("show %q: %+v, %v", tc.argv, got, err)
		}
	}
	if err := parseCmd(d, newCmdProfileShow(d, nil), "-p", "a", "b"); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "name different profiles") {
		t.Errorf("show -p a b: %v", err)
	}
}

func TestProfileListAndShowRun(t *testing.T) {
	srv := svcServer(t)
	vars := map[string]string{}
	d, now, _, out, errOut := testDeps(t, vars)

	// An empty database: a hint on stderr, an empty JSON list on stdout.
	if err := d.runProfileList(&profileListOptions{}); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 || strings.TrimSpace(errOut.String()) != noProfilesHint {
		t.Errorf("empty list: stdout %q, stderr %q", out, errOut)
	}
	if err := d.runProfileList(&profileListOptions{JSON: true}); err != nil || strings.TrimSpace(out.String()) != "[]" {
		t.Errorf("empty list as JSON: %q, %v", out, err)
	}

	addClientCredentials(t, d, srv, "ci")
	if err := profileAdd(t, d, "gh", "--type", "static", "--description", "GitHub"); err != nil {
		t.Fatal(err)
	}
	svc, _ := d.service()
	if err := svc.SetDefault("gh"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Token(t.Context(), "ci", record.Options{}); err != nil {
		t.Fatal(err)
	}

	out.Reset()
	if err := d.runProfileList(&profileListOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	host := strings.TrimPrefix(srv.Issuer(), "http://")
	if len(lines) != 3 || strings.Fields(lines[0])[0] != "NAME" ||
		!strings.HasPrefix(strings.Join(strings.Fields(lines[1]), " "), "ci oauth "+host+" valid for ") ||
		strings.Join(strings.Fields(lines[2]), " ") != "gh * static - no token GitHub" {
		t.Errorf("list:\n%s", out)
	}

	out.Reset()
	*now = now.Add(30*time.Minute + time.Second) // the server's token lives an hour from its own clock
	if err := d.runProfileList(&profileListOptions{JSON: true}); err != nil {
		t.Fatal(err)
	}
	var list []statusJSON
	if err := json.Unmarshal(out.Bytes(), &list); err != nil || len(list) != 2 {
		t.Fatalf("list --json: %s (%v)", out, err)
	}
	if ci := list[0]; ci.Name != "ci" || ci.Type != "oauth" || ci.Status != "valid" || ci.ExpiresIn == nil || *ci.ExpiresIn < 1790 || *ci.ExpiresIn > 1800 || ci.ClientID != "svc" || ci.Default {
		t.Errorf("ci as JSON: %+v", ci)
	}
	if gh := list[1]; gh.Name != "gh" || !gh.Default || gh.ExpiresAt != nil || gh.Status != "no token" {
		t.Errorf("gh as JSON: %+v", gh)
	}

	// show: the argument, else TOK_PROFILE, else the default.
	show := func(opts profileShowOptions) string {
		t.Helper()
		out.Reset()
		if err := d.runProfileShow(&opts); err != nil {
			t.Fatalf("show %+v: %v", opts, err)
		}
		return out.String()
	}
	detail := show(profileShowOptions{Profile: "ci"})
	for _, want := range []string{"Name:", "ci", "Client ID:", "svc", "Client secret:", "(stored, sealed)", "Token endpoint:", srv.TokenURL(), "Status:", "valid for 29m", "Refresh margin:", "1m0s"} {
		if !strings.Contains(detail, want) {
			t.Errorf("show ci lacks %q:\n%s", want, detail)
		}
	}
	if strings.Contains(detail, "s3cret") {
		t.Errorf("show printed the client secret:\n%s", detail)
	}
	if got := show(profileShowOptions{}); !strings.Contains(got, "Default:") || !strings.Contains(got, "GitHub") {
		t.Errorf("show without a name is not the default:\n%s", got)
	}
	vars["TOK_PROFILE"] = "ci"
	if got := show(profileShowOptions{JSON: true}); !strings.Contains(got, `"name": "ci"`) {
		t.Errorf("show with TOK_PROFILE=ci:\n%s", got)
	}
	if err := d.runProfileShow(&profileShowOptions{Profile: "nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("show nope: %v", err)
	}
}
