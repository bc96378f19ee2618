package profilefile

import (
	"time"

	"github.com/tok-cli/tok/internal/federation"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// fileDoc and profileDoc are the file's layout for the encoder. The yaml
// tags are the format: change them only with a new Version.
type fileDoc struct {
	Version  int          `yaml:"version"`
	Profiles []profileDoc `yaml:"profiles"`
}

type profileDoc struct {
	Name                 string            `yaml:"name"`
	Type                 string            `yaml:"type"`
	Description          string            `yaml:"description,omitempty"`
	Env                  []string          `yaml:"env,omitempty,flow"`
	Issuer               string            `yaml:"issuer,omitempty"`
	AuthURL              string            `yaml:"auth_url,omitempty"`
	TokenURL             string            `yaml:"token_url,omitempty"`
	DeviceAuthURL        string            `yaml:"device_auth_url,omitempty"`
	RevocationURL        string            `yaml:"revocation_url,omitempty"`
	ClientID             string            `yaml:"client_id,omitempty"`
	ClientSecretRequired bool              `yaml:"client_secret_required,omitempty"`
	Scopes               *[]string         `yaml:"scopes,omitempty,flow"`
	Audience             string            `yaml:"audience,omitempty"`
	Resources            []string          `yaml:"resources,omitempty,flow"`
	Flow                 string            `yaml:"flow,omitempty"`
	AuthParams           map[string]string `yaml:"auth_params,omitempty"`
	RedirectPort         int               `yaml:"redirect_port,omitempty"`
	RefreshMargin        string            `yaml:"refresh_margin,omitempty"`
	MaxAge               string            `yaml:"max_age,omitempty"`
	CAFile               string            `yaml:"ca_file,omitempty"`
	K8sToken             string            `yaml:"k8s_token,omitempty"`
	Username             string            `yaml:"username,omitempty"`
	ClientAuth           string            `yaml:"client_auth,omitempty"`
	Federation           *federationDoc    `yaml:"federation,omitempty"`
	SharedCache          *sharedCacheDoc   `yaml:"shared_cache,omitempty"`
	GitURLs              []string          `yaml:"git_urls,omitempty"`
	GitUsername          string            `yaml:"git_username,omitempty"`
	Registries           []string          `yaml:"registries,omitempty"`
	RegistryUsername     string            `yaml:"registry_username,omitempty"`
}

type sharedCacheDoc struct {
	URL          string `yaml:"url"`
	Namespace    string `yaml:"namespace,omitempty"`
	KeyFile      string `yaml:"key_file,omitempty"`
	PasswordFile string `yaml:"password_file,omitempty"`
	CAFile       string `yaml:"ca_file,omitempty"`
}

type federationDoc struct {
	Grant                 string `yaml:"grant,omitempty"`
	SubjectTokenFile      string `yaml:"subject_token_file,omitempty"`
	SubjectTokenCommand   string `yaml:"subject_token_command,omitempty"`
	SubjectTokenEnv       string `yaml:"subject_token_env,omitempty"`
	GitHubActionsAudience string `yaml:"github_actions_audience,omitempty"`
	SubjectTokenType      string `yaml:"subject_token_type,omitempty"`
	RequestedTokenType    string `yaml:"requested_token_type,omitempty"`
}

func toDoc(p *Profile) profileDoc {
	d := profileDoc{
		Name:                 p.Name,
		Type:                 string(p.Type),
		Description:          p.Description,
		Env:                  p.Env,
		Issuer:               p.Issuer,
		AuthURL:              p.AuthURL,
		TokenURL:             p.TokenURL,
		DeviceAuthURL:        p.DeviceAuthURL,
		RevocationURL:        p.RevocationURL,
		ClientID:             p.ClientID,
		ClientSecretRequired: p.ClientSecretRequired,
		Audience:             p.Audience,
		Resources:            p.Resources,
		Flow:                 string(p.Flow),
		AuthParams:           p.AuthParams,
		RedirectPort:         p.RedirectPort,
		RefreshMargin:        durationText(p.RefreshMargin),
		MaxAge:               durationText(p.MaxAge),
		CAFile:               p.CAFile,
		K8sToken:             string(p.K8sToken),
		Username:             p.Username,
		ClientAuth:           string(p.ClientAuth),
		GitURLs:              p.GitURLs,
		GitUsername:          p.GitUsername,
		Registries:           p.Registries,
		RegistryUsername:     p.RegistryUsername,
	}
	if p.Scopes != nil {
		scopes := p.Scopes
		d.Scopes = &scopes
	}
	if f := p.Federation; f != nil {
		d.Federation = &federationDoc{
			Grant:                 string(f.Grant),
			SubjectTokenFile:      f.Source.File,
			SubjectTokenCommand:   f.Source.Command,
			SubjectTokenEnv:       f.Source.Env,
			GitHubActionsAudience: f.Source.GitHubAudience,
			SubjectTokenType:      f.SubjectTokenType,
			RequestedTokenType:    f.RequestedTokenType,
		}
	}
	if c := p.SharedCache; c != nil {
		d.SharedCache = &sharedCacheDoc{URL: c.URL, Namespace: c.Namespace, KeyFile: c.KeyFile, PasswordFile: c.PasswordFile, CAFile: c.CAFile}
	}
	return d
}

func durationText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// FromProfile is the shareable part of a stored profile: everything but
// its secrets, its token state, its creation time and the endpoints tok
// discovered itself (the importer discovers them again from the issuer).
// A sealed client secret becomes ClientSecretRequired. An oauth or
// federated profile without scopes gets an empty, non-nil Scopes, so that
// an import does not add tok profile add's default scopes.
func FromProfile(tp tokens.Profile) Profile {
	s := tokens.SpecOf(tp) // what of a stored profile is a setting
	p := Profile{Name: s.Name, Type: s.Type, Description: s.Description, Env: nonEmpty(s.Env)}
	if o := tp.OAuth; o != nil {
		p.Issuer = s.Issuer
		p.AuthURL, p.TokenURL, p.DeviceAuthURL, p.RevocationURL = s.AuthURL, s.TokenURL, s.DeviceAuthURL, s.RevocationURL
		p.ClientID = s.ClientID
		p.ClientSecretRequired = len(o.ClientSecret) > 0
		p.Scopes = s.Scopes
		p.Audience = s.Audience
		p.Resources = nonEmpty(s.Resources)
		p.Flow = s.Flow
		if len(s.AuthParams) > 0 {
			p.AuthParams = s.AuthParams
		}
		p.RedirectPort = s.RedirectPort
		p.RefreshMargin = s.RefreshMargin
		p.MaxAge = s.MaxAge
		p.CAFile = s.CAFile
		p.K8sToken = s.K8sToken
		p.Username = s.Username
		p.ClientAuth = s.ClientAuth
	}
	p.Federation = s.Federation
	p.SharedCache = s.Shared
	// A profile a helper's store made is personal (a password someone
	// typed); only the settings a person chose are shared.
	if r := s.Remotes; r != nil && r.StoredBy == "" {
		p.GitURLs, p.GitUsername = nonEmpty(r.Git), r.GitUsername
		p.Registries, p.RegistryUsername = nonEmpty(r.Registries), r.RegistryUsername
	}
	return p
}

// Spec is the profile spec the definition describes, for
// tokens.BuildProfile: it adds discovery and the defaults, as for tok
// profile add.
func (p *Profile) Spec() tokens.ProfileSpec {
	s := tokens.ProfileSpec{Name: p.Name, Type: p.Type, Description: p.Description, Env: nonEmpty(p.Env)}
	if len(p.GitURLs)+len(p.Registries) > 0 || p.GitUsername != "" || p.RegistryUsername != "" {
		s.Remotes = &record.Remotes{Git: nonEmpty(p.GitURLs), GitUsername: p.GitUsername,
			Registries: nonEmpty(p.Registries), RegistryUsername: p.RegistryUsername}
	}
	s.Issuer = p.Issuer
	s.AuthURL, s.TokenURL, s.DeviceAuthURL, s.RevocationURL = p.AuthURL, p.TokenURL, p.DeviceAuthURL, p.RevocationURL
	s.ClientID = p.ClientID
	s.ClientAuth = p.ClientAuth
	s.Scopes = p.Scopes
	s.Audience = p.Audience
	s.Resources = nonEmpty(p.Resources)
	s.Flow = p.Flow
	s.AuthParams = p.AuthParams
	s.RedirectPort = p.RedirectPort
	s.RefreshMargin = p.RefreshMargin
	s.MaxAge = p.MaxAge
	s.CAFile = p.CAFile
	s.K8sToken = p.K8sToken
	s.Username = p.Username
	if p.Federation != nil {
		c := *p.Federation
		s.Federation = &c
	}
	if p.SharedCache != nil {
		c := *p.SharedCache
		s.Shared = &c
	}
	return s
}

func nonEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}

// sourceOf builds a federation source from the file's keys.
func sourceOf(d *federationDoc) federation.Source {
	return federation.Source{File: d.SubjectTokenFile, Command: d.SubjectTokenCommand, Env: d.SubjectTokenEnv, GitHubAudience: d.GitHubActionsAudience}
}
