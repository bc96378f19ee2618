package tokens

import "time"

// State is a profile's token state as stored: the secrets are sealed. One
// State is written in one transaction, so an access token, its refresh
// token and their expiry can never be out of step.
type State struct {
	// Gen increases with every write. A writer that read Gen n only
	// commits if the stored Gen is still n, so older state never
	// overwrites newer (see Service.Refresh).
	Gen       uint64    `json:"gen"`
	TokenType string    `json:"token_type,omitempty"`
	Access    []byte    `json:"access,omitempty"`  // sealed
	Refresh   []byte    `json:"refresh,omitempty"` // sealed
	ID        []byte    `json:"id,omitempty"`      // sealed
	Expiry    time.Time `json:"expiry,omitzero"`
	IDExpiry  time.Time `json:"id_expiry,omitzero"`
	Obtained  time.Time `json:"obtained,omitzero"`
	Scope     string    `json:"scope,omitempty"`
}

// Status summarises whether a profile can hand out a token now.
type Status string

// Token states, from best to worst.
const (
	StatusValid         Status = "valid"
	StatusStale         Status = "stale"   // inside the refresh margin: the next call refreshes
	StatusExpired       Status = "expired" // past expiry but refreshable
	StatusLoginRequired Status = "login required"
	StatusNoToken       Status = "no token"
)

// HasToken reports whether any access token is stored.
func (s *State) HasToken() bool { return s != nil && len(s.Access) > 0 }

// expiryFor is the expiry that matters for the chosen credential.
func (s *State) expiryFor(use K8sToken) time.Time {
	if use == K8sIDToken {
		return s.IDExpiry
	}
	return s.Expiry
}

// canRenew reports whether tok can get a new token without a person.
func canRenew(p *Profile, s *State) bool {
	if p.Type == Federated {
		return true // a fresh subject token is exchanged again
	}
	if p.Type != OAuth {
		return false
	}
	if len(s.Refresh) > 0 {
		return true
	}
	return p.OAuth != nil && p.OAuth.Flow == FlowClientCredentials
}

// Evaluate tells the status of s for profile p at now, for the credential use.
func Evaluate(p *Profile, s *State, use K8sToken, now time.Time) Status {
	if !s.HasToken() {
		if p.Type == OAuth || p.Type == Federated {
			return StatusLoginRequired
		}
		return StatusNoToken
	}
	if use == K8sIDToken && len(s.ID) == 0 {
		if canRenew(p, s) {
			return StatusExpired
		}
		return StatusLoginRequired
	}
	exp := s.expiryFor(use)
	switch {
	case exp.IsZero():
		// No expiry from the server: treat a renewable token as stale once
		// it is older than the profile's max age, so it cannot live forever.
		if age := p.MaxAge(); age > 0 && canRenew(p, s) && !s.Obtained.IsZero() && !now.Before(s.Obtained.Add(age)) {
			return StatusStale
		}
		return StatusValid
	case !now.Before(exp):
		if canRenew(p, s) {
			return StatusExpired
		}
		if p.Type == OAuth {
			return StatusLoginRequired
		}
		return StatusExpired
	case !now.Before(exp.Add(-p.Margin())):
		if canRenew(p, s) {
			return StatusStale
		}
		// Nothing to refresh with: the token stays usable until it expires.
		return StatusValid
	}
	return StatusValid
}
