package cli

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/when"
)

func TestNewCmdStatus(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	got := parsed(t, d, newCmdStatus, "ci", "--json")
	if got == nil || *got != (statusOptions{Profile: "ci", JSON: true}) {
		t.Errorf("parsed %+v", got)
	}
}

func TestStatusRun(t *testing.T) {
	srv := svcServer(t)
	vars := map[string]string{}
	d, now, _, out, errOut := testDeps(t, vars)
	if err := d.runStatus(t.Context(), &statusOptions{}); err != nil || !strings.Contains(errOut.String(), "No profiles yet") || out.Len() != 0 {
		t.Errorf("empty: %v, stdout %q, stderr %q", err, out, errOut)
	}
	addClientCredentials(t, d, srv, "ci")
	addClientCredentials(t, d, srv, "other")
	if err := d.runToken(t.Context(), &tokenOptions{Profile: "ci", Output: "raw"}); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())

	out.Reset()
	errOut.Reset()
	if err := d.runStatus(t.Context(), &statusOptions{}); err != nil {
		t.Fatal(err)
	}
	// The table's cells (columns are two or more spaces apart); the
	// first profile added is the default (*). Never the token.
	host := strings.TrimPrefix(srv.Issuer(), "https://")
	host = strings.TrimPrefix(host, "http://")
	ci := storedStatus(t, d, "ci")
	want := [][]string{
		{"PROFILE", "TYPE", "ISSUER", "FLOW", "STATUS", "EXPIRES", "REFRESH"},
		{"ci *", "oauth", host, "client-credentials", "valid for " + humanDuration(ci.Expiry.Sub(*now)), when.Format(ci.Expiry, *now), "no"},
		{"other", "oauth", host, "client-credentials", "login required", "-", "no"},
	}
	var got [][]string
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		got = append(got, regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1))
	}
	if !reflect.DeepEqual(got, want) || strings.Contains(out.String(), token) || errOut.Len() != 0 {
		t.Errorf("table:\n%s\ncells %q\nwant  %q\nstderr %q", out, got, want, errOut)
	}

	// One profile by TOK_PROFILE, as JSON.
	vars["TOK_PROFILE"] = "ci"
	out.Reset()
	if err := d.runStatus(t.Context(), &statusOptions{JSON: true}); err != nil {
		t.Fatal(err)
	}
	var list []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(out.Bytes(), &list); err != nil || len(list) != 1 || list[0].Name != "ci" || list[0].Status != "valid" || strings.Contains(out.String(), token) {
		t.Errorf("json: %s (%v)", out, err)
	}
	if err := d.runStatus(t.Context(), &statusOptions{Profile: "nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown profile: %v", err)
	}
}
