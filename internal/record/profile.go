package record

import "fmt"

// Profile is the part of a profile's stored record that both binaries
// read: its name, type, the variables it fills and the remotes it answers.
// tokens.Profile embeds it and adds what only tok-full uses, so the field
// names on disk are declared once, here.
type Profile struct {
	Name string `json:"name"`
	Type Type   `json:"type"`
	// Env are extra environment variable names tok exec fills with the
	// token (ValidateEnvName).
	Env []string `json:"env,omitempty"`
	// Remotes are the git remotes and registries the profile answers as a
	// credential helper; FindRemote reads them.
	Remotes *Remotes `json:"remotes,omitempty"`
}

// OAuthSettings are the settings of an OAuth or federated profile (its
// "oauth" object on disk) that decide when its token is renewed and which
// token kubectl gets. tokens.OAuthConfig embeds them beside the provider
// and client settings only tok-full reads.
type OAuthSettings struct {
	Flow          Flow     `json:"flow,omitempty"`
	RefreshMargin Duration `json:"refresh_margin,omitempty"`
	K8sToken      K8sToken `json:"k8s_token,omitempty"`
	// MaxAge bounds the life of a token the server gave no expiry for;
	// zero means DefaultMaxAge.
	MaxAge Duration `json:"max_age,omitempty"`
}

// PolicyOf is the Policy of a profile of type t whose OAuth settings are o
// (nil when it has none). It is the one derivation both binaries use.
func PolicyOf(t Type, o *OAuthSettings) Policy {
	pol := Policy{Type: t}
	if o != nil {
		pol.ClientCredentials = o.Flow == FlowClientCredentials
		pol.RefreshMargin = o.RefreshMargin
		pol.MaxAgeSetting = o.MaxAge
	}
	return pol
}

// TokenFor is the token to hand out for opts to a profile whose OAuth
// settings are o (nil when it has none): see Options.Token.
func TokenFor(o *OAuthSettings, opts Options) K8sToken {
	var k8sChoice K8sToken
	if o != nil {
		k8sChoice = o.K8sToken
	}
	return opts.Token(k8sChoice)
}

// Servable reports whether a token whose status is st, of a profile of
// policy p, can be handed out as it is: without a refresh, a login or a
// person. Reader.Lookup serves exactly these, and tokens.Service.Token
// hands out exactly these without asking the provider.
func Servable(p Policy, st Status, opts Options) bool {
	switch st {
	case StatusValid:
		return true
	case StatusExpired:
		// Only a token nothing can renew is handed out expired, and only
		// when the caller asks for it (--allow-expired).
		return opts.AllowExpired && !p.Renewable()
	}
	return false
}

// ParseType validates a profile type.
func ParseType(s string) (Type, error) {
	switch Type(s) {
	case Static, OAuth, Federated:
		return Type(s), nil
	}
	return "", fmt.Errorf("unknown profile type %q; choose static, oauth or federated", s)
}

// Flow is how an OAuth profile obtains its first token.
type Flow string

// Login flows.
const (
	FlowAuto              Flow = "auto"
	FlowBrowser           Flow = "browser"
	FlowDevice            Flow = "device"
	FlowClientCredentials Flow = "client-credentials"
	FlowPassword          Flow = "password"
)

// ParseFlow validates a flow name.
func ParseFlow(s string) (Flow, error) {
	switch Flow(s) {
	case FlowAuto, FlowBrowser, FlowDevice, FlowClientCredentials, FlowPassword:
		return Flow(s), nil
	case "":
		return FlowAuto, nil
	}
	return "", fmt.Errorf("unknown flow %q; choose auto, browser, device, client-credentials or password", s)
}
