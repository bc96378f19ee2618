package cli

import (
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/tokens"
)

func TestLoginTimeout(t *testing.T) {
	for _, tc := range []struct {
		given time.Duration
		flow  tokens.Flow
		want  time.Duration
	}{
		{0, tokens.FlowDevice, 0}, // the code's own expiry ends the wait
		{0, tokens.FlowBrowser, defaultBrowserTimeout},
		{2 * time.Second, tokens.FlowDevice, 2 * time.Second},
		{time.Minute, tokens.FlowBrowser, time.Minute},
	} {
		if got := loginTimeout(tc.given, tc.flow); got != tc.want {
			t.Errorf("loginTimeout(%s, %s) = %s, want %s", tc.given, tc.flow, got, tc.want)
		}
	}
}
