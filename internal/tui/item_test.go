package tui

import (
	"slices"
	"testing"
	"time"
)

func TestStatusText(t *testing.T) {
	tests := []struct {
		status    string
		expiresIn time.Duration
		want      string
	}{
		{StatusValid, 42*time.Minute + 59*time.Second, "valid for 42m"},
		{StatusValid, 30 * time.Second, "valid for 30s"},
		{StatusValid, time.Hour, "valid for 1h"},
		{StatusValid, 65 * time.Minute, "valid for 1h05m"},
		{StatusValid, 50 * time.Hour, "valid for 2d"},
		{StatusValid, 0, "valid"},
		{StatusValid, -time.Minute, "valid"},
		{StatusStale, time.Hour, "stale"},
		{StatusExpired, 0, "expired"},
		{StatusLoginRequired, 0, "login required"},
		{StatusNoToken, 0, "no token"},
	}
	for _, tt := range tests {
		if got := StatusText(tt.status, tt.expiresIn); got != tt.want {
			t.Errorf("StatusText(%q, %s) = %q, want %q", tt.status, tt.expiresIn, got, tt.want)
		}
	}
}

func TestFilterItems(t *testing.T) {
	items := []Item{
		{Name: "staging-api", Type: "oidc", Issuer: "okta.example.com"},
		{Name: "api", Type: "device", Issuer: "dex.example.com"},
		{Name: "prod", Type: "oidc", Issuer: "api.example.com"},
		{Name: "Lab", Type: "oidc", Issuer: "dex.lab"},
	}
	tests := []struct {
		query string
		want  []int
	}{
		{"", []int{0, 1, 2, 3}},
		{"api", []int{1, 0, 2}}, // name prefix, then in name, then issuer
		{"API", []int{1, 0, 2}},
		{"  api  ", []int{1, 0, 2}},
		{"oidc okta", []int{0}},
		{"lab", []int{3}},
		{"dex", []int{1, 3}},
		{"nothing", nil},
	}
	for _, tt := range tests {
		if got := filterItems(items, tt.query); !slices.Equal(got, tt.want) {
			t.Errorf("filterItems(%q) = %v, want %v", tt.query, got, tt.want)
		}
	}
}

func TestActionString(t *testing.T) {
	for a, want := range map[Action]string{Choose: "choose", Login: "login", Refresh: "refresh", SetDefault: "set default", Action(9): "Action(9)"} {
		if got := a.String(); got != want {
			t.Errorf("Action(%d).String() = %q, want %q", int(a), got, want)
		}
	}
}
