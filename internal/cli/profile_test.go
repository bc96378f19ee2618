package cli

import (
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/record"
)

func TestLoginTimeout(t *testing.T) {
	for _, tc := range []struct {
		given time.Duration
		flow  record.Flow
		want  time.Duration
	}{
		{0, record.FlowDevice, 0}, // the code's own expiry ends the wait
		{0, record.FlowBrowser, defaultBrowserTimeout},
		{2 * time.Second, record.FlowDevice, 2 * time.Second},
		{time.Minute, record.FlowBrowser, time.Minute},
	} {
		if got := loginTimeout(tc.given, tc.flow); got != tc.want {
			t.Errorf("loginTimeout(%s, %s) = %s, want %s", tc.given, tc.flow, got, tc.want)
		}
	}
}
