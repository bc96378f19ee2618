// Package profilefile reads and writes profile files: the definitions of
// tok profiles (issuer, client ID, scopes, flow, ...) in a versioned YAML
// document a team can hand out, written by `tok profile export` and read by
// `tok profile import`.
//
// A profile file never holds a secret: no client secret, no token. A key
// that would carry one is rejected, so a file cannot smuggle a secret into
// the database unnoticed and an exported file is safe to commit or mail.
//
// The format, version 1:
//
//	version: 1
//	profiles:
//	  - name: api                       # required, as in tok profile add
//	    type: oauth                     # required: static, oauth or federated
//	    description: Team API
//	    env: [API_TOKEN]
//	    issuer: https://id.example.com  # or token_url (and auth_url, ...)
//	    client_id: tok-cli
//	    client_secret_required: true    # the secret is given at import
//	    scopes: [openid, offline_access]
//	    flow: browser
//	    k8s_token: id-token
//	    refresh_margin: 1m0s
//	    federation:                     # federated profiles only
//	      grant: token-exchange
//	      subject_token_file: /var/run/secrets/token
//
// Every key is the `tok profile add` flag of the same name with '-'
// written '_' (resources and auth_params are the repeatable --resource and
// --auth-param), and every value is checked by the same rules. Parsing is
// strict: unknown keys, duplicate keys, duplicate profile names, anchors
// and aliases, and values of the wrong kind are errors that name the line.
package profilefile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// Version is the format version this package reads and writes.
const Version = 1

// MaxSize bounds a profile file: a thousand profiles fit in a fraction of
// it, and a bound keeps a hostile file from costing memory or time.
const MaxSize = 1 << 20

// Profile is one profile definition as a file holds it: the configuration
// of a tokens.Profile without its secrets, its token state and what tok
// learns by itself (discovered endpoints, creation time).
type Profile struct {
	Name        string
	Type        record.Type
	Description string
	Env         []string

	// The rest applies to oauth and federated profiles only.

	Issuer string
	// Explicit endpoints, instead of discovery from Issuer.
	AuthURL       string
	TokenURL      string
	DeviceAuthURL string
	RevocationURL string
	ClientID      string
	// ClientSecretRequired marks a confidential client: its secret is not
	// in the file and must be given when the profile is imported.
	ClientSecretRequired bool
	// Scopes nil means the file names none and tok profile add's default
	// applies; an empty, non-nil slice means no scopes at all.
	Scopes        []string
	Audience      string
	Resources     []string
	Flow          record.Flow // "" means auto
	AuthParams    map[string]string
	RedirectPort  int
	RefreshMargin time.Duration // 0 means record.DefaultRefreshMargin
	MaxAge        time.Duration // 0 means record.DefaultMaxAge
	CAFile        string
	K8sToken      record.K8sToken // "" means tok profile add's default
	Username      string
	// ClientAuth is the client authentication given with --client-auth
	// ("" = tok finds out); a learned one is not exported.
	ClientAuth oauth.ClientAuth
	Federation *tokens.FederationConfig
	// SharedCache names the fleet's shared cache (docs/fleet.md); never
	// a password, which members take from the environment or a file.
	SharedCache *tokens.SharedCacheConfig

	// Credential helper settings (docs/git.md, docs/docker.md): the git
	// remotes and registries the profile answers, and the usernames.
	GitURLs          []string
	GitUsername      string
	Registries       []string
	RegistryUsername string
}

// NeedsClientSecret reports whether the profile cannot work without a
// client secret: it says so, or its flow is client credentials.
func (p *Profile) NeedsClientSecret() bool {
	return p.ClientSecretRequired || p.Flow == record.FlowClientCredentials
}

// ExplicitEndpoints reports whether the file gives endpoints itself.
func (p *Profile) ExplicitEndpoints() bool {
	return p.AuthURL != "" || p.TokenURL != "" || p.DeviceAuthURL != "" || p.RevocationURL != ""
}

// Read parses a profile file from r, reading at most MaxSize bytes.
func Read(r io.Reader) ([]Profile, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("could not read the profile file: %w", err)
	}
	return Parse(data)
}

// Parse parses and validates a profile file. It returns every profile or
// an error; the error lists each problem found with its line number.
func Parse(data []byte) ([]Profile, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("the profile file is larger than %d KiB; a profile file holds definitions only, so this is not one", MaxSize>>10)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the profile file is empty; it starts with: version: 1")
		}
		return nil, fmt.Errorf("the profile file is not valid YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if err != nil || line == 0 {
			return nil, errors.New("the profile file holds more than one YAML document; put every profile under one profiles: list")
		}
		return nil, lineErrorf(line, "a second YAML document starts here; put every profile under one profiles: list")
	}
	return decodeFile(&doc)
}

// Encode writes profiles as a profile file. A comment at the top says what
// the file is and how to import it.
func Encode(w io.Writer, profiles []Profile) error {
	doc := fileDoc{Version: Version, Profiles: make([]profileDoc, len(profiles))}
	for i := range profiles {
		doc.Profiles[i] = toDoc(&profiles[i])
	}
	var buf bytes.Buffer
	buf.WriteString("# tok profile file: profile definitions, never secrets.\n# Import with: tok profile import FILE\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("could not encode the profiles: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("could not encode the profiles: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
