package cli

import (
	"time"

	"github.com/tok-cli/tok/internal/when"
)

// expiryPhrase is ", valid until TIME" for messages about a new token; ""
// when it does not expire.
func expiryPhrase(exp, now time.Time) string {
	if exp.IsZero() {
		return ""
	}
	return ", valid until " + when.Format(exp, now)
}

// humanDuration renders a duration for people: "42m", "3h5m", "expired 2m ago".
func humanDuration(d time.Duration) string {
	if d < 0 {
		return "expired " + when.Duration(d) + " ago"
	}
	return when.Duration(d)
}
