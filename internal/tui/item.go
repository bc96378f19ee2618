package tui

import (
	"fmt"
	"strings"
	"time"
)

// Status values understood by the picker and the status table. Other values
// are shown as they are, without colour.
const (
	StatusValid         = "valid"
	StatusStale         = "stale"
	StatusExpired       = "expired"
	StatusLoginRequired = "login required"
	StatusNoToken       = "no token"
)

// Item is one profile as the picker shows it.
type Item struct {
	Name        string
	Type        string // e.g. "oidc", "device", "client-credentials"
	Issuer      string // issuer host only, e.g. "login.example.com"
	Description string
	Status      string // one of the Status constants
	// ExpiresIn is how long the access token stays valid; it is shown only
	// for StatusValid ("valid for 42m") and only when positive.
	ExpiresIn time.Duration
	Default   bool
}

// StatusText is the badge shown for a profile: "valid for 42m", "stale",
// "expired", "login required", "no token". The status table and the picker
// share it so a person sees the same words everywhere.
func StatusText(status string, expiresIn time.Duration) string {
	if status == StatusValid && expiresIn > 0 {
		return "valid for " + shortDuration(expiresIn)
	}
	return status
}

// shortDuration rounds down so the badge never promises more time than is
// left: 42m59s is "42m", 1h5m is "1h05m", 50h is "2d".
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		h := int(d / time.Hour)
		m := int((d % time.Hour) / time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%02dm", h, m)
	default:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
}

// filterItems returns the indexes of the items that match query, best first.
// Every whitespace-separated word of the query must occur, ignoring case, in
// the profile's name, type or issuer, so "prod okta" finds the production
// profile at the Okta issuer. Items whose name starts with the query come
// first, then items whose name contains it, then the rest; the caller's
// order is kept within each group.
func filterItems(items []Item, query string) []int {
	words := strings.Fields(strings.ToLower(query))
	whole := strings.ToLower(strings.TrimSpace(query))
	var prefix, inName, other []int
	for i, it := range items {
		name := strings.ToLower(it.Name)
		hay := name + "\x00" + strings.ToLower(it.Type) + "\x00" + strings.ToLower(it.Issuer)
		if !containsAll(hay, words) {
			continue
		}
		switch {
		case strings.HasPrefix(name, whole):
			prefix = append(prefix, i)
		case strings.Contains(name, whole):
			inName = append(inName, i)
		default:
			other = append(other, i)
		}
	}
	return append(append(prefix, inName...), other...)
}

func containsAll(hay string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}
