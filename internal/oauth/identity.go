package oauth

import (
	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/tok-cli/tok/internal/termtext"
)

// Identity is who signed in, as the verified ID token says. It is not a
// secret: tok prints it after every login and keeps it with the profile's
// state to notice when a login brings back a different account. The json
// tags are part of tok's storage format.
type Identity struct {
	Issuer   string `json:"iss,omitempty"`
	Subject  string `json:"sub,omitempty"`
	Email    string `json:"email,omitempty"`
	Username string `json:"preferred_username,omitempty"`
}

// IsZero reports whether nothing is known about the account.
func (id Identity) IsZero() bool { return id.Subject == "" && id.Email == "" && id.Username == "" }

// Same reports whether id and other name one account: the same subject at
// the same issuer, which OpenID Connect guarantees to be stable. Email and
// username may change and are not compared.
func (id Identity) Same(other Identity) bool {
	return id.Issuer == other.Issuer && id.Subject == other.Subject
}

// String names the account for a person, safe for a terminal: the email,
// else the username, else the subject, with the subject added when a
// friendlier name is shown ("ann@example.com (subject 248289761001)").
func (id Identity) String() string {
	name := id.Email
	if name == "" {
		name = id.Username
	}
	switch {
	case name == "" && id.Subject == "":
		return "an unnamed account"
	case name == "":
		return termtext.Clean(id.Subject)
	case id.Subject == "" || id.Subject == name:
		return termtext.Clean(name)
	}
	return termtext.Clean(name) + " (subject " + termtext.Clean(id.Subject) + ")"
}

// identityOf reads who signed in from a verified ID token.
func identityOf(tok *oidc.IDToken) Identity {
	var claims map[string]any
	_ = tok.Claims(&claims) // the token is verified; its payload is JSON
	text := func(name string) string {
		s, _ := claims[name].(string) // a claim of another type is left out
		return s
	}
	return Identity{Issuer: tok.Issuer, Subject: tok.Subject, Email: text("email"), Username: text("preferred_username")}
}
