package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/build"
	"github.com/tok-cli/tok/internal/credmatch"
	"github.com/tok-cli/tok/internal/dockerconfig"
	"github.com/tok-cli/tok/internal/dockercred"
	"github.com/tok-cli/tok/internal/execrun"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// dockerCredentialOptions are the inputs of `tok docker-credential ACTION`.
// dockerCredentialOptions is what `tok docker-credential ACTION` says.
type dockerCredentialOptions struct {
	Action string // get, store, erase, list, version
	// OpenTTY opens the controlling terminal for a login; docker owns
	// stdin and stdout.
	OpenTTY func() (*os.File, error)
}

// newCmdDockerCredential builds tok docker-credential. It only parses:
// runF (nil = d.runDockerCredential) does the work. Its errors go to
// stdout with exit 1, as the protocol requires.
func newCmdDockerCredential(d *Deps, runF func(*dockerCredentialOptions) error) *cobra.Command {
	return &cobra.Command{
		Use:   "docker-credential get|store|erase|list|version",
		Short: "Answer docker as its credential helper (docker-credential-tok)",
		Long: `Answer the docker credential helper protocol from tok's profiles, for docker,
podman, crane and every client of ~/.docker/config.json. Set it up with:

  tok docker configure                      # "credsStore": "tok"
  tok docker configure --registry HOST      # "credHelpers": {"HOST": "tok"}

get answers a registry an OAuth profile serves (--registry on tok profile
add or set) with a fresh access token, and a registry docker login stored
with its password. store (docker login) keeps the username and password as
a sealed static profile named after the registry; erase (docker logout)
removes it again. list names the registries tok serves. Errors are one line
on stdout with exit status 1, as the protocol requires. See docs/docker.md.`,
		Example: `  tok profile add harbor --issuer https://id.example.com --client-id harbor --registry harbor.example.com
  tok docker configure --registry harbor.example.com
  echo harbor.example.com | docker-credential-tok get`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if len(args) != 1 {
				err = errors.New("usage: docker-credential-tok <store|get|erase|list|version>")
			} else {
				opts := &dockerCredentialOptions{Action: args[0], OpenTTY: openControllingTerminal}
				if runF != nil {
					return runF(opts)
				}
				err = d.runDockerCredential(cmd.Context(), opts)
			}
			if err == nil {
				return nil
			}
			// The protocol: the error on stdout, exit status 1.
			dockercred.WriteError(d.io.Out, err)
			return &execrun.ExitError{Code: ExitError}
		},
	}
}

// runDockerCredential answers one request of docker's credential helper
// protocol on d's stdin and stdout.
func (d *Deps) runDockerCredential(ctx context.Context, o *dockerCredentialOptions) error {
	switch o.Action {
	case "version":
		_, err := fmt.Fprintf(d.io.Out, "docker-credential-tok (github.com/tok-cli/tok) %s\n", build.Version)
		return err
	case "list":
		return d.dockerList()
	case "get", "erase":
		serverURL, err := dockercred.ReadServerURL(d.io.In)
		if err != nil {
			return err
		}
		m, found, err := d.findRegistry(serverURL)
		switch {
		case err != nil:
			return err
		case !found:
			return dockercred.ErrNotFound
		case o.Action == "erase":
			return d.dockerErase(ctx, m)
		}
		cred, err := d.helperToken(ctx, m.Profile, o.OpenTTY)
		if err != nil {
			return err
		}
		username := m.Remotes.RegistryUser()
		return dockercred.WriteCredentials(d.io.Out, dockercred.Credentials{ServerURL: serverURL, Username: username, Secret: cred.Token})
	case "store":
		c, err := dockercred.ReadCredentials(d.io.In)
		if err != nil {
			return err
		}
		return d.dockerStore(ctx, c)
	}
	return fmt.Errorf("unknown credential action %q; use get, store, erase, list or version", o.Action)
}

func (d *Deps) findRegistry(serverURL string) (record.Match, bool, error) {
	svc, err := d.service()
	if err != nil {
		return record.Match{}, false, err
	}
	return svc.FindRemote(record.Query{Registry: serverURL})
}

// dockerStore keeps what docker login got as a sealed static profile,
// unless a profile tok did not make through docker serves the registry.
func (d *Deps) dockerStore(ctx context.Context, c dockercred.Credentials) error {
	if c.Secret == "" {
		return errors.New("no secret to store; nothing stored")
	}
	host, err := credmatch.ParseRegistry(c.ServerURL)
	if err != nil {
		return err
	}
	m, found, err := d.findRegistry(c.ServerURL)
	if err != nil {
		return err
	}
	var existing *record.Match
	if found {
		existing = &m
	}
	svc, err := d.service()
	if err != nil {
		return err
	}
	res, err := svc.StoreHelperSecret(ctx, tokens.HelperSecret{
		StoredBy: record.StoredByDocker, Host: host, Registry: c.ServerURL,
		Username: c.Username, Secret: c.Secret,
	}, existing)
	if err != nil {
		return err
	}
	if !res.Stored {
		fmt.Fprintf(d.io.ErrOut, "tok: profile %q serves %s; docker login changed nothing\n", res.Profile, host)
	}
	return nil
}

// dockerErase is docker logout: a profile docker login made is removed;
// a profile the person made stays (tok revoke ends an OAuth grant).
func (d *Deps) dockerErase(ctx context.Context, m record.Match) error {
	if m.Type != record.Static || m.Remotes.StoredBy != record.StoredByDocker {
		fmt.Fprintf(d.io.ErrOut, "tok: profile %q serves this registry and stays; to end its grant run: tok revoke -p %s\n", m.Profile, m.Profile)
		return nil
	}
	svc, err := d.service()
	if err != nil {
		return err
	}
	_, err = svc.Reject(ctx, m.Profile, "", record.StoredByDocker)
	return err
}

// dockerList names every registry a profile serves, with its username.
func (d *Deps) dockerList() error {
	svc, err := d.service()
	if err != nil {
		return err
	}
	all, err := svc.List()
	if err != nil {
		return err
	}
	list := map[string]string{}
	for _, ps := range all {
		r := ps.Profile.Remotes
		if r == nil {
			continue
		}
		for _, reg := range r.Registries {
			list[reg] = r.RegistryUser()
		}
	}
	return dockercred.WriteList(d.io.Out, list)
}

// dockerConfigureOptions is what tok docker configure's command line says.
type dockerConfigureOptions struct {
	Registries []string // --registry; none = every registry
}

// newCmdDocker builds tok docker and its configure command. It only
// parses: runF (nil = d.runDockerConfigure) does the work.
func newCmdDocker(d *Deps, runF func(*dockerConfigureOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "docker",
		Short: "Set docker's client configuration to use tok",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	opts := &dockerConfigureOptions{}
	configure := &cobra.Command{
		Use:   "configure [--registry HOST]...",
		Short: "Make tok docker's credential store in ~/.docker/config.json",
		Long: `Make tok the credential helper of docker's client configuration
($DOCKER_CONFIG/config.json, else ~/.docker/config.json): without --registry
for every registry ("credsStore": "tok", so docker login stores passwords
sealed in tok), with --registry only for those ("credHelpers"). Every other
setting in the file is kept; the file is replaced atomically, mode 0600.`,
		Example: `  tok docker configure
  tok docker configure --registry harbor.example.com --registry registry.gitlab.com`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return d.runDockerConfigure(opts)
		},
	}
	configure.Flags().StringArrayVar(&opts.Registries, "registry", nil, "registry HOST[:PORT] to hand to tok (repeatable; default: every registry)")
	cmd.AddCommand(configure)
	return cmd
}

// runDockerConfigure makes tok docker's credential helper in its client
// configuration.
func (d *Deps) runDockerConfigure(o *dockerConfigureOptions) error {
	var regs []string
	for _, r := range o.Registries {
		h, err := credmatch.ParseRegistry(r)
		if err != nil {
			return &usageError{err}
		}
		regs = append(regs, h)
	}
	sort.Strings(regs)
	path, err := dockerconfig.Path(d.getenv)
	if err != nil {
		return err
	}
	changed, err := dockerconfig.Configure(path, regs, "tok")
	if err != nil {
		return err
	}
	what := "every registry"
	if len(regs) > 0 {
		what = fmt.Sprint(regs)
	}
	if !changed {
		fmt.Fprintf(d.io.ErrOut, "%s already uses tok for %s.\n", path, what)
		return nil
	}
	fmt.Fprintf(d.io.ErrOut, "Docker clients now ask tok (docker-credential-tok) for %s (%s).\n", what, path)
	return nil
}
