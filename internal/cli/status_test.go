package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestNewCmdStatus(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	var got *statusOptions
	if err := parseCmd(d, newCmdStatus(d, func(o *statusOptions) error { got = o; return nil }), "ci", "--json"); err != nil {
		t.Fatal(err)
	}
	if got == nil || *got != (statusOptions{Profile: "ci", JSON: true}) {
		t.Errorf("parsed %+v", got)
	}
}

func TestStatusRun(t *testing.T) {
	srv := svcServer(t)
	vars := map[string]string{}
	d, _, _, out, errOut := testDeps(t, vars)
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
	if err := d.runStatus(t.Context(), &statusOptions{}); err != nil {
		t.Fatal(err)
	}
	table := out.String()
	if !strings.HasPrefix(table, "PROFILE") || !strings.Contains(table, "ci") || !strings.Contains(table, "other") ||
		!strings.Contains(table, "valid") || strings.Contains(table, token) {
		t.Errorf("table:\n%s", table)
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
