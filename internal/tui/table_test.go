package tui

import (
	"bytes"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func statusTable(t *testing.T, color bool) string {
	t.Helper()
	var out bytes.Buffer
	err := Table(&out, color,
		[]string{"PROFILE", "TYPE", "STATE", "ISSUER"},
		[][]string{
			{"api-prod", "oidc", "valid for 42m", "login.example.com"},
			{"k8s-lab", "device", "expired", "dex.lab.internal"},
			{"ci", "client-credentials", "no token", ""},
		}, 2)
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

const wantPlainTable = `PROFILE   TYPE                STATE          ISSUER
api-prod  oidc                valid for 42m  login.example.com
k8s-lab   device              expired        dex.lab.internal
ci        client-credentials  no token
`

func TestTablePlain(t *testing.T) {
	if got := statusTable(t, false); got != wantPlainTable {
		t.Errorf("plain table:\n%s\nwant:\n%s", got, wantPlainTable)
	}
}

func TestTableColour(t *testing.T) {
	got := statusTable(t, true)
	if !sgr.MatchString(got) {
		t.Fatalf("Color=true drew no colour: %q", got)
	}
	// Colour must not disturb the alignment.
	if plain := ansi.Strip(got); plain != wantPlainTable {
		t.Errorf("coloured table, colours removed:\n%s\nwant:\n%s", plain, wantPlainTable)
	}

	t.Setenv("NO_COLOR", "1")
	if got := statusTable(t, true); got != wantPlainTable {
		t.Errorf("NO_COLOR=1 table:\n%q\nwant:\n%q", got, wantPlainTable)
	}
}

func TestTableColoursTheStateByMeaning(t *testing.T) {
	th := newTheme(nil, true)
	tests := map[string]string{
		"valid for 42m":  th.good.Render("x"),
		"valid":          th.good.Render("x"),
		"stale":          th.warn.Render("x"),
		"expired":        th.bad.Render("x"),
		"login required": th.bad.Render("x"),
		"no token":       th.dim.Render("x"),
		"something else": "x",
	}
	for state, want := range tests {
		if got := th.status(state).Render("x"); got != want {
			t.Errorf("%q rendered as %q, want %q", state, got, want)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWork }

func TestTableReportsWriteErrors(t *testing.T) {
	if err := Table(failingWriter{}, false, []string{"A"}, [][]string{{"b"}}, -1); err == nil {
		t.Error("want an error from a failing writer, got nil")
	}
}
