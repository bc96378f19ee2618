package cli

import (
	"runtime"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/build"
)

func TestNewCmdVersion(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	if o := parsed(t, d, newCmdVersion); *o != (versionOptions{}) {
		t.Errorf("version parsed %+v", o)
	}
	if err := parseCmd(d, newCmdVersion(d, nil), "x"); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), `tok version takes no arguments (got "x")`) {
		t.Errorf("version x: %v", err)
	}
}

func TestVersionRun(t *testing.T) {
	d, _, _, out, errOut := testDeps(t, nil)
	if err := d.runVersion(&versionOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "tok " + build.Version + " (commit " + build.Commit + ", built " + build.Date + ", " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
	if out.String() != want || errOut.Len() != 0 {
		t.Errorf("version printed %q (stderr %q), want %q", out, errOut, want)
	}
}
