package oidcprovider

import (
	"fmt"
	"strings"
	"testing"
)

// recordingTB stands in for a test so that Fatal and Skip can be observed.
type recordingTB struct {
	testing.TB
	fatal, skip string
}

func (r *recordingTB) Helper()           {}
func (r *recordingTB) Fatal(args ...any) { r.fatal = fmt.Sprint(args...) }
func (r *recordingTB) Skip(args ...any)  { r.skip = fmt.Sprint(args...) }

func TestMissingDependenciesFailInCIAndSkipElsewhere(t *testing.T) {
	_, err := requirements(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "oidc-provider npm package is not installed") {
		t.Fatalf("requirements of an empty directory: %v, want an error naming the npm package", err)
	}
	tests := []struct {
		ci        string
		wantFatal bool
	}{
		{ci: "true", wantFatal: true},
		{ci: "", wantFatal: false},
		{ci: "false", wantFatal: false},
	}
	for _, tt := range tests {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			rec := &recordingTB{}
			missing(rec, err)
			got := rec.skip
			if tt.wantFatal {
				got = rec.fatal
			}
			if got == "" || (rec.fatal != "") != tt.wantFatal || (rec.skip != "") == tt.wantFatal {
				t.Fatalf("fatal %q, skip %q; want fatal %v", rec.fatal, rec.skip, tt.wantFatal)
			}
			if !strings.Contains(got, InstallCommand) {
				t.Errorf("message %q does not say to run %q", got, InstallCommand)
			}
		})
	}
}
