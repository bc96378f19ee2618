package need

import (
	"strings"
	"testing"
)

// recordingTB records Fatal and Skip instead of ending the test.
type recordingTB struct {
	testing.TB
	fatal, skip string
}

func (r *recordingTB) Helper()           {}
func (r *recordingTB) Fatal(args ...any) { r.fatal = args[0].(string) }
func (r *recordingTB) Skip(args ...any)  { r.skip = args[0].(string) }

func TestMissingFailsInCIAndSkipsElsewhere(t *testing.T) {
	for _, tt := range []struct {
		ci               string
		wantFail, wantSk bool
	}{{"true", true, false}, {"", false, true}, {"false", false, true}} {
		t.Setenv("CI", tt.ci)
		var r recordingTB
		Command(&r, "tok-no-such-program-for-need", "install it with: apt-get install nothing")
		if (r.fatal != "") != tt.wantFail || (r.skip != "") != tt.wantSk {
			t.Errorf("CI=%q: fatal %q, skip %q", tt.ci, r.fatal, r.skip)
		}
		if msg := r.fatal + r.skip; !strings.Contains(msg, "tok-no-such-program-for-need is not installed; install it with") {
			t.Errorf("CI=%q: message %q does not say what is missing and how to get it", tt.ci, msg)
		}
	}
}

func TestCommandFindsAProgram(t *testing.T) {
	if path := Command(t, "go", "it runs this test"); !strings.HasSuffix(path, "go") {
		t.Errorf("Command(go) = %q", path)
	}
}
