package when

import (
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	saved := time.Local
	time.Local = loc
	t.Cleanup(func() { time.Local = saved })
	now := time.Date(2026, 11, 29, 10, 52, 4, 0, time.UTC)
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{now.Add(56 * time.Second), "11:53 CET (in 56s)"},
		{now.Add(-2 * time.Minute), "11:50 CET (2m ago)"},
		{now.Add(3*time.Hour + 5*time.Minute), "14:57 CET (in 3h5m)"},
		{now.Add(32 * 24 * time.Hour), "2026-12-31 11:52 CET (in 32d)"},
		{now.Add(13 * time.Hour), "2026-11-30 00:52 CET (in 13h0m)"},
	} {
		if got := Format(tc.t, now); got != tc.want {
			t.Errorf("Format(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}
