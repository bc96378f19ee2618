package tokens

import (
	"time"

	"github.com/tok-cli/tok/internal/cached"
)

// State is a profile's token state as stored, secrets sealed; see
// cached.State.
type State = cached.State

// Status summarises whether a profile can hand out a token now.
type Status = cached.Status

// Token states, from best to worst.
const (
	StatusValid         = cached.StatusValid
	StatusStale         = cached.StatusStale
	StatusExpired       = cached.StatusExpired
	StatusLoginRequired = cached.StatusLoginRequired
	StatusNoToken       = cached.StatusNoToken
)

// canRenew reports whether tok can get a new token without a person.
func canRenew(p *Profile, s *State) bool { return cached.CanRenew(p.Policy(), s) }

// Evaluate tells the status of s for profile p at now, for the credential use.
func Evaluate(p *Profile, s *State, use K8sToken, now time.Time) Status {
	return cached.Evaluate(p.Policy(), s, use, now)
}
