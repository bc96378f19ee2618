package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/providers"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// profileAddOptions is what tok profile add's command line says.
type profileAddOptions struct {
	// Name is the argument; at a terminal the form asks for it when it
	// is missing.
	Name     string
	Settings profileOptions // the profile flags
}

// newCmdProfileAdd builds tok profile add. It only parses: runF (nil =
// d.runProfileAdd) does the work.
func newCmdProfileAdd(d *Deps, runF func(*profileAddOptions) error) *cobra.Command {
	opts := &profileAddOptions{}
	cmd := &cobra.Command{
		Use:   "add NAME --type static|oauth|federated [flags]",
		Short: "Add a profile",
		Long: `Add a profile. Names use letters, digits, '.', '_' and '-'.

A static profile holds a token you already have (an API key, a personal
access token, a Kubernetes service-account token); store it with tok login.

An oauth profile signs in at an OAuth 2.0 / OpenID Connect provider. Give
--issuer to discover its endpoints (OpenID Connect discovery, then RFC 8414),
or give them with --auth-url, --token-url, --device-auth-url, --revocation-url.
--provider fills the settings of a known provider (see docs/providers.md);
any other flag overrides them. The client secret of a confidential client
is read from a hidden prompt
(--client-secret) or from stdin (--client-secret-stdin), never from the
command line.

--refresh-margin (default 1m) is how long before expiry a token counts as
stale and is refreshed: long enough to cover clock skew and a request in
flight, short enough not to refresh needlessly. For a token that lives less
than twice the margin, half its lifetime is used instead, so each token is
renewed once (see docs/refresh.md).

A federated profile stores no secret at all: it trades the workload's own
OIDC token (GitHub Actions, GitLab CI, a Kubernetes service account token)
for an access token with RFC 8693 token exchange (--grant token-exchange,
the default) or an RFC 7523 JWT bearer grant (--grant jwt-bearer). The
subject token comes from --subject-token-file, --subject-token-command,
--subject-token-env or --github-actions-audience, and is fetched anew
before every exchange. See docs/ci.md.`,
		Example: `  tok profile add gh --type static --env GH_TOKEN
  tok profile add api --type oauth --issuer https://id.example.com --client-id tok-cli --scopes openid,offline_access
  tok profile add gh --provider github --client-id Iv1.0123456789abcdef --env GH_TOKEN
  echo "$SECRET" | tok profile add ci --type oauth --issuer https://id.example.com --client-id ci --client-secret-stdin --flow client-credentials
  tok profile add gha --type federated --issuer https://sts.example.com --github-actions-audience sts.example.com`,
		Args: func(cmd *cobra.Command, args []string) error {
			// At a terminal the form asks for a missing name.
			if len(args) == 0 && d.io.CanDraw() {
				return nil
			}
			return exactArgs(1, "a profile name")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return d.runProfileAdd(cmd.Context(), opts)
		},
	}
	registerProfileFlags(cmd, &opts.Settings)
	return cmd
}

// runProfileAdd builds the profile opts describe, asking a person at a
// terminal for what is missing, and stores it with its client secret.
func (d *Deps) runProfileAdd(ctx context.Context, opts *profileAddOptions) error {
	name, o := opts.Name, opts.Settings // the form fills in a copy
	if o.typ == "" && (o.issuer != "" || o.tokenURL != "" || o.clientID != "") && !o.fed.given() {
		o.typ = string(record.OAuth)
	}
	if needsProfileForm(name, &o) && d.io.CanDraw() {
		var err error
		if name, err = d.askProfile(ctx, name, &o); err != nil {
			return err
		}
	}
	spec, err := specFromFlags(tokens.ProfileSpec{Name: name}, &o, allFlags)
	if err != nil {
		return err
	}
	p, secret, err := d.buildProfile(ctx, spec, secretFlags{prompt: o.clientSecretFlag, stdin: o.clientSecretIn})
	if err != nil {
		return err
	}
	if p.OAuth != nil && p.OAuth.Flow == record.FlowClientCredentials && secret == "" {
		return usagef("the client-credentials flow needs a client secret: add --client-secret or --client-secret-stdin")
	}
	if p.OAuth != nil && (p.OAuth.ClientAuth == oauth.ClientAuthBasic || p.OAuth.ClientAuth == oauth.ClientAuthPost) && secret == "" {
		return usagef("--client-auth %s sends a client secret: add --client-secret or --client-secret-stdin (a public client uses --client-auth none)", p.OAuth.ClientAuth)
	}
	var notes []string
	if p.OAuth != nil && p.OAuth.Provider != "" {
		pr, err := providers.Lookup(p.OAuth.Provider)
		if err != nil {
			return usagef("--provider: %v", err)
		}
		if pr.NeedsSecret && secret == "" {
			return usagef("%s clients need their client secret, even for installed applications: add --client-secret or --client-secret-stdin", pr.Title)
		}
		if pr.NeedsAudience && p.OAuth.Audience == "" {
			notes = append(notes, fmt.Sprintf("warning: without --audience %s issues access tokens only its userinfo endpoint accepts; give your API's identifier, e.g. --audience https://api.example.com", pr.Title))
		}
		notes = append(notes, pr.NotesFor(p.OAuth.Issuer)...)
	}
	svc, err := d.service()
	if err != nil {
		return err
	}
	if err := svc.AddProfile(ctx, p, secret); err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintf(d.io.ErrOut, "%s: %s\n", p.OAuth.Provider, n)
	}
	fmt.Fprintf(d.io.ErrOut, "Added %s profile %q. Next: %s\n", p.Type, name, loginCommand(p))
	return nil
}

// secretFlags say where the client secret comes from: a hidden prompt
// (--client-secret) or stdin (--client-secret-stdin).
type secretFlags struct{ prompt, stdin bool }

// buildProfile makes the profile spec describes (tokens.BuildProfile) and
// reads the client secret the flags ask for, returned apart.
func (d *Deps) buildProfile(ctx context.Context, spec tokens.ProfileSpec, sf secretFlags) (tokens.Profile, string, error) {
	p, err := d.buildSpec(ctx, spec)
	if err != nil {
		return tokens.Profile{}, "", err
	}
	if p.Type == record.Static {
		if sf.prompt || sf.stdin {
			return tokens.Profile{}, "", usagef("OAuth flags (--issuer, --client-id, ...) need --type oauth")
		}
		return p, "", nil
	}
	var secret string
	switch {
	case sf.stdin:
		if secret, err = readSecretStdin(d.io.In); err != nil {
			return tokens.Profile{}, "", fmt.Errorf("could not read the client secret from stdin: %w", err)
		}
	case sf.prompt:
		if !d.io.CanPrompt() {
			return tokens.Profile{}, "", usagef("no terminal to prompt for the client secret; pipe it in with --client-secret-stdin")
		}
		if secret, err = d.io.ReadSecret("Client secret: "); err != nil {
			return tokens.Profile{}, "", fmt.Errorf("could not read the client secret: %w", err)
		}
	}
	if p.OAuth.ClientAuth == oauth.ClientAuthNone && secret != "" {
		return tokens.Profile{}, "", usagef("--client-auth none is for public clients, which have no secret; drop --client-secret, or use --client-auth basic or post")
	}
	return p, secret, nil
}

// buildSpec is tokens.BuildProfile for a spec made from flags or TOK_*
// variables: its problems are usage errors in the words of the flags, and
// its warnings go to stderr.
func (d *Deps) buildSpec(ctx context.Context, spec tokens.ProfileSpec) (tokens.Profile, error) {
	p, warnings, err := tokens.BuildProfile(ctx, spec, tokens.HTTPDiscovery(30*time.Second), d.now())
	if err != nil {
		return tokens.Profile{}, flagSpecError(err)
	}
	for _, w := range warnings {
		fmt.Fprintln(d.io.ErrOut, w)
	}
	return p, nil
}

// flagSpecError makes a tokens.SpecError a usage error that names the
// settings by their flags; other errors pass unchanged.
func flagSpecError(err error) error {
	var se *tokens.SpecError
	if !errors.As(err, &se) {
		return err
	}
	return &usageError{&namedSpecError{se, flagName}}
}

// namedSpecError is a tokens.SpecError whose settings are named by name.
type namedSpecError struct {
	*tokens.SpecError
	name func(key string) string
}

func (e *namedSpecError) Error() string { return e.Text(e.name) }
func (e *namedSpecError) Unwrap() error { return e.SpecError }

// flagNames are the flags whose names are not the profile-file key with
// '-' for '_'.
var flagNames = map[string]string{
	"resources":              "--resource",
	"auth_params":            "--auth-param",
	"git_urls":               "--git-url",
	"registries":             "--registry",
	"federation":             "--grant/--subject-token-*",
	"shared_cache.namespace": "--shared-cache-namespace",
}

// flagName is the flag of a profile setting named by its profile-file
// key: client_id is --client-id, federation.subject_token_file
// --subject-token-file.
func flagName(key string) string {
	if f, ok := flagNames[key]; ok {
		return f
	}
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		key = key[i+1:]
	}
	return "--" + strings.ReplaceAll(key, "_", "-")
}
