// Package when writes instants for people in one format everywhere tok
// shows a time (warnings, login, status, show): the local clock time with
// its zone and how far it is from now, "10:53 UTC (in 56s)". An instant on
// another day than now carries its date: "2026-12-31 18:00 CET (in 32d)".
package when

import (
	"fmt"
	"time"
)

// Format writes t for people, relative to now.
func Format(t, now time.Time) string {
	lt, ln := t.Local(), now.Local()
	layout := "15:04 MST"
	if y, m, d := lt.Date(); y != ln.Year() || m != ln.Month() || d != ln.Day() {
		layout = "2006-01-02 15:04 MST"
	}
	return fmt.Sprintf("%s (%s)", lt.Format(layout), Relative(t.Sub(now)))
}

// Relative is a distance in time for people: "in 56s", "in 3h5m", "2m ago".
func Relative(d time.Duration) string {
	if d < 0 {
		return Duration(-d) + " ago"
	}
	return "in " + Duration(d)
}

// Duration is a length of time rounded for people: "56s", "42m", "3h5m",
// "32d".
func Duration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
