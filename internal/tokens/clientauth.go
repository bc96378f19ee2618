package tokens

import (
	"context"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/store"
)

// learnClientAuth records in stored the client authentication the provider
// accepted from p's confidential client, when the profile does not fix one
// and it is news, and reports whether it changed stored. It checks that
// stored is still the client p used.
func learnClientAuth(stored, p *Profile, method oauth.ClientAuth) bool {
	o := stored.OAuth
	if o == nil || p.OAuth == nil || method == "" || method == oauth.ClientAuthNone || o.ClientAuth != "" ||
		o.ClientAuthSeen == method || len(o.ClientSecret) == 0 || o.ClientID != p.OAuth.ClientID {
		return false
	}
	o.ClientAuthSeen = method
	return true
}

// rememberClientAuth stores the client authentication the provider just
// accepted from profile p (see learnClientAuth). A failure costs only a
// refused request next time, so it is logged, not returned.
func (s *Service) rememberClientAuth(p *Profile, method oauth.ClientAuth) {
	if p.OAuth == nil || p.OAuth.ClientAuth != "" || p.OAuth.ClientAuthSeen == method || method == "" || method == oauth.ClientAuthNone {
		return
	}
	err := s.updateProfiles(context.Background(), func(tx *store.Tx) error {
		var stored Profile
		if err := tx.Get(store.Profiles, p.Name, &stored); err != nil {
			return err
		}
		if !learnClientAuth(&stored, p, method) {
			return nil
		}
		return tx.Put(store.Profiles, p.Name, stored)
	})
	if err != nil {
		s.log().Debug("could not remember the client authentication", "profile", p.Name, "err", err)
	}
}
