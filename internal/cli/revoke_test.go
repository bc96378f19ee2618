package cli

import (
	"strings"
	"testing"
)

func TestNewCmdRevoke(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	var got *revokeOptions
	cmd := newCmdRevoke(d, func(o *revokeOptions) error { got = o; return nil })
	if err := parseCmd(d, cmd, "ci", "--local"); err != nil {
		t.Fatal(err)
	}
	if got == nil || *got != (revokeOptions{Profile: "ci", Local: true}) {
		t.Errorf("parsed %+v", got)
	}
}

func TestRevokeRun(t *testing.T) {
	srv := svcServer(t)
	d, _, _, out, errOut := testDeps(t, nil)
	addClientCredentials(t, d, srv, "ci")
	if err := d.runToken(t.Context(), &tokenOptions{Profile: "ci", Output: "raw"}); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())
	if err := d.runRevoke(t.Context(), &revokeOptions{Profile: "ci"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), `Revoked the tokens of profile "ci" at the provider`) || srv.Introspect(token) {
		t.Errorf("stderr %q; token still active: %v", errOut, srv.Introspect(token))
	}
	errOut.Reset()
	if err := d.runRevoke(t.Context(), &revokeOptions{Profile: "ci"}); err != nil || !strings.Contains(errOut.String(), "holds no tokens") {
		t.Errorf("again: %v, %q", err, errOut)
	}
}
