package cli

import (
	"strings"
	"testing"
)

func TestDefaultScopes(t *testing.T) {
	for _, tc := range []struct {
		supported []string
		want      string
	}{
		{nil, "openid offline_access"},
		{[]string{"openid", "profile", "offline_access"}, "openid offline_access"},
		{[]string{"openid", "email", "profile"}, "openid"},
	} {
		if got := strings.Join(defaultScopes(tc.supported), " "); got != tc.want {
			t.Errorf("defaultScopes(%v) = %q, want %q", tc.supported, got, tc.want)
		}
	}
}
