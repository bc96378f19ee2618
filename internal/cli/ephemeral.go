package cli

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tok-cli/tok/internal/federation"
	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/plan"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/store"
	"github.com/tok-cli/tok/internal/tokens"
)

// ephemeralProfile is the name of the profile that lives in memory for one
// run of tok exec or tok token. The child of tok exec sees it in TOK_EXEC.
const ephemeralProfile = "ephemeral"

// ephemeralOptions describe a profile that lives in memory for one run:
// no database, no keyring, nothing written to disk (CI).
type ephemeralOptions struct {
	issuer           string
	tokenURL         string
	clientID         string
	clientSecretFile string
	scopes           []string
	audience         string
	resources        []string
	flow             string
	refreshMargin    time.Duration
	caFile           string
	fed              federationOptions
}

func (o *ephemeralOptions) register(cmd *cobra.Command) {
	f := pflag.NewFlagSet("ephemeral", pflag.ContinueOnError)
	f.StringVar(&o.issuer, "issuer", "", "ephemeral profile: issuer URL, discovered for this run only (env TOK_ISSUER)")
	f.StringVar(&o.tokenURL, "token-url", "", "ephemeral profile: token endpoint instead of discovery (env TOK_TOKEN_URL)")
	f.StringVar(&o.clientID, "client-id", "", "ephemeral profile: OAuth client ID (env TOK_CLIENT_ID)")
	f.StringVar(&o.clientSecretFile, "client-secret-file", "", "ephemeral profile: read the client secret from this file (or env TOK_CLIENT_SECRET)")
	f.StringSliceVar(&o.scopes, "scopes", nil, "ephemeral profile: scopes, comma-separated (env TOK_SCOPES)")
	f.StringVar(&o.audience, "audience", "", "ephemeral profile: audience parameter (env TOK_AUDIENCE)")
	f.StringArrayVar(&o.resources, "resource", nil, "ephemeral profile: RFC 8707 resource indicator (repeatable)")
	f.StringVar(&o.flow, "flow", "", "ephemeral profile: login flow (default client-credentials with a client secret): client-credentials, device, browser")
	f.DurationVar(&o.refreshMargin, "refresh-margin", record.DefaultRefreshMargin, "ephemeral profile: refresh a token this long before it expires")
	f.StringVar(&o.caFile, "ca-file", "", "ephemeral profile: PEM file of CA certificates to trust")
	o.fed.register(f)
	cmd.Flags().AddFlagSet(f)
	_ = cmd.RegisterFlagCompletionFunc("flow", cobra.FixedCompletions([]string{"client-credentials", "device", "browser"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("grant", cobra.FixedCompletions([]string{"token-exchange", "jwt-bearer"}, cobra.ShellCompDirectiveNoFileComp))
}

// federationOptions are the flags of a federated profile, stored
// (profile add --type federated) or ephemeral.
type federationOptions struct {
	grant              string
	subjectFile        string
	subjectCommand     string
	subjectEnv         string
	githubAudience     string
	subjectTokenType   string
	requestedTokenType string
}

func (o *federationOptions) register(f *pflag.FlagSet) {
	f.StringVar(&o.grant, "grant", "", "federation grant: token-exchange (RFC 8693, default) or jwt-bearer (RFC 7523)")
	f.StringVar(&o.subjectFile, "subject-token-file", "", "federation: read the subject token (the CI platform's OIDC token) from this file")
	f.StringVar(&o.subjectCommand, "subject-token-command", "", "federation: run this command with sh -c; its stdout is the subject token")
	f.StringVar(&o.subjectEnv, "subject-token-env", "", "federation: take the subject token from this environment variable (GitLab CI id_tokens)")
	f.StringVar(&o.githubAudience, "github-actions-audience", "", "federation: fetch the subject token from GitHub Actions with this audience")
	f.StringVar(&o.subjectTokenType, "subject-token-type", "", "token exchange: subject token type: jwt, id_token, access_token or a URN (default id_token for an ID token of the profile's own issuer, else jwt)")
	f.StringVar(&o.requestedTokenType, "requested-token-type", "", "token exchange: requested token type (default access_token, sent explicitly)")
}

// given reports whether any federation flag is set.
func (o *federationOptions) given() bool {
	return *o != federationOptions{}
}

// config parses the flags into a federation configuration;
// tokens.BuildProfile checks that it is complete.
func (o *federationOptions) config() (*tokens.FederationConfig, error) {
	grant, err := tokens.ParseGrant(o.grant)
	if err != nil {
		return nil, &usageError{err}
	}
	c := &tokens.FederationConfig{
		Grant: grant,
		Source: federation.Source{
			File:           o.subjectFile,
			Command:        o.subjectCommand,
			Env:            o.subjectEnv,
			GitHubAudience: o.githubAudience,
		},
	}
	if c.SubjectTokenType, err = tokens.ParseTokenType(o.subjectTokenType); err != nil {
		return nil, usagef("--subject-token-type: %v", err)
	}
	if c.RequestedTokenType, err = tokens.ParseTokenType(o.requestedTokenType); err != nil {
		return nil, usagef("--requested-token-type: %v", err)
	}
	return c, nil
}

// federationOptionsOf is a stored federation configuration as flags.
func federationOptionsOf(c *tokens.FederationConfig) federationOptions {
	if c == nil {
		return federationOptions{}
	}
	return federationOptions{
		grant:              string(c.Grant),
		subjectFile:        c.Source.File,
		subjectCommand:     c.Source.Command,
		subjectEnv:         c.Source.Env,
		githubAudience:     c.Source.GitHubAudience,
		subjectTokenType:   c.SubjectTokenType,
		requestedTokenType: c.RequestedTokenType,
	}
}

// ephemeralService returns a Service in memory holding the ephemeral
// profile (named ephemeralProfile) that the flags o or the TOK_ISSUER
// family of variables describe, signed in when its flow needs a person;
// nil when they describe none. named is the profile the command line
// names (-p or the argument). Flags win over variables; a named profile
// or TOK_PROFILE wins over the variables (plan.Ephemeral), but a named
// profile together with --issuer is a mistake. The caller uses the
// returned Service for this run instead of d's.
func (d *Deps) ephemeralService(ctx context.Context, named string, o ephemeralOptions) (*tokens.Service, error) {
	flagged := o.issuer != "" || o.tokenURL != ""
	if !flagged {
		if o.clientID != "" || o.clientSecretFile != "" || o.fed.given() || len(o.scopes)+len(o.resources) > 0 || o.audience != "" || o.flow != "" {
			return nil, usagef("--client-id, --scopes, --subject-token-* and the other ephemeral profile flags need --issuer or --token-url")
		}
		if !plan.Ephemeral(plan.Profile(named, "", d.getenv), d.getenv) {
			return nil, nil
		}
		o.issuer, o.tokenURL = d.getenv("TOK_ISSUER"), d.getenv("TOK_TOKEN_URL")
	} else if named != "" {
		return nil, usagef("-p names a stored profile and --issuer/--token-url describe an ephemeral one; give one or the other")
	}
	if o.clientID == "" {
		o.clientID = d.getenv("TOK_CLIENT_ID")
	}
	if o.scopes == nil && d.getenv("TOK_SCOPES") != "" {
		o.scopes = strings.FieldsFunc(d.getenv("TOK_SCOPES"), func(r rune) bool { return r == ',' || r == ' ' })
	}
	if o.audience == "" {
		o.audience = d.getenv("TOK_AUDIENCE")
	}
	secret, err := d.ephemeralSecret(o.clientSecretFile)
	if err != nil {
		return nil, err
	}
	typ := record.OAuth
	if o.fed.given() {
		typ = record.Federated
	}
	flow := record.Flow(o.flow)
	if typ == record.OAuth && flow == "" {
		if secret == "" {
			return nil, usagef("an ephemeral profile needs a client secret (TOK_CLIENT_SECRET or --client-secret-file) for the client-credentials flow, a subject token for federation (--subject-token-file, ...), or --flow device|browser")
		}
		flow = record.FlowClientCredentials
	}
	if flow == record.FlowClientCredentials && secret == "" {
		return nil, usagef("the client-credentials flow needs a client secret: set TOK_CLIENT_SECRET or give --client-secret-file")
	}
	spec := tokens.ProfileSpec{
		Name:          ephemeralProfile,
		Type:          typ,
		Description:   "ephemeral profile for this run",
		Issuer:        o.issuer,
		TokenURL:      o.tokenURL,
		ClientID:      o.clientID,
		Scopes:        o.scopes,
		Audience:      o.audience,
		Resources:     o.resources,
		Flow:          flow,
		RefreshMargin: o.refreshMargin,
		CAFile:        o.caFile,
	}
	if spec.Shared, err = d.ephemeralSharedCache(); err != nil {
		return nil, err
	}
	if typ == record.Federated {
		if spec.Federation, err = o.fed.config(); err != nil {
			return nil, err
		}
	}
	p, err := d.buildSpec(ctx, spec)
	if err != nil {
		return nil, err
	}
	// Store and data key in memory: nothing touches TOK_HOME, the OS
	// keyring or D-Bus.
	svc, err := d.newService(store.NewMemory(), &keysource.Memory{}, "")
	if err != nil {
		return nil, err
	}
	if err := svc.AddProfile(ctx, p, secret); err != nil {
		return nil, err
	}
	if typ == record.OAuth && flow != record.FlowClientCredentials {
		// A person signs in for this run; client credentials and
		// federation need nobody and run on the first Token call.
		lctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		if err := d.signInQuietly(lctx, svc, ephemeralProfile, d.interactiveLogin(ephemeralProfile, flow, false)); err != nil {
			return nil, err
		}
	}
	return svc, nil
}

// ephemeralSecret reads the client secret from file, else from
// TOK_CLIENT_SECRET; it never comes from the command line.
func (d *Deps) ephemeralSecret(file string) (string, error) {
	if file == "" {
		return strings.TrimSpace(d.getenv("TOK_CLIENT_SECRET")), nil
	}
	fh, err := os.Open(file)
	if err != nil {
		return "", usagef("--client-secret-file: %v", err)
	}
	defer fh.Close()
	secret, err := readSecretStdin(fh)
	if err != nil {
		return "", usagef("--client-secret-file %s: %v", file, err)
	}
	return secret, nil
}

// subjectFetcher fetches federated profiles' subject tokens with tok's
// environment; commands' stderr goes to tok's stderr.
func (d *Deps) subjectFetcher(httpTimeout time.Duration) federation.Fetcher {
	hc, _ := oauth.NewHTTPClient("", httpTimeout) // no CA file: cannot fail
	return federation.Fetcher{Getenv: d.getenv, HTTPClient: hc, Stderr: d.io.ErrOut}
}
