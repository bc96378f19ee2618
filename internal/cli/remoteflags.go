package cli

import (
	"github.com/spf13/pflag"

	"github.com/tok-cli/tok/internal/credmatch"
	"github.com/tok-cli/tok/internal/record"
)

// remoteOptions are the profile settings that say which git remotes and
// container registries a profile answers as a credential helper.
type remoteOptions struct {
	gitURLs          []string
	gitUsername      string
	registries       []string
	registryUsername string
	// storedBy is kept from a stored profile that a helper's store made
	// (no flag sets it).
	storedBy string
}

func (o *remoteOptions) register(f *pflag.FlagSet) {
	f.StringArrayVar(&o.gitURLs, "git-url", nil, "git remotes this profile answers for git-credential-tok: https://[USER@]HOST[/PATH] (repeatable; \"\" clears)")
	f.StringVar(&o.gitUsername, "git-username", "", "username sent to git with the token (default: the remote URL's, else oauth2; GitHub: x-access-token)")
	f.StringArrayVar(&o.registries, "registry", nil, "container registry HOST[:PORT] this profile answers for docker-credential-tok (repeatable; \"\" clears)")
	f.StringVar(&o.registryUsername, "registry-username", "", "username sent to the registry with the token (default oauth2)")
}

// load copies a stored profile's settings, for tok profile set.
func (o *remoteOptions) load(r *record.Remotes) {
	if r == nil {
		return
	}
	*o = remoteOptions{gitURLs: r.Git, gitUsername: r.GitUsername, registries: r.Registries, registryUsername: r.RegistryUsername, storedBy: r.StoredBy}
}

// config validates the settings and returns them as stored (nil when the
// profile serves nothing).
func (o *remoteOptions) config() (*record.Remotes, error) {
	r := &record.Remotes{GitUsername: o.gitUsername, RegistryUsername: o.registryUsername, StoredBy: o.storedBy}
	for _, u := range o.gitURLs {
		if u == "" {
			continue // --git-url "" clears the list
		}
		p, err := credmatch.ParseGitURL(u)
		if err != nil {
			return nil, &usageError{err}
		}
		r.Git = append(r.Git, p.String())
	}
	for _, reg := range o.registries {
		if reg == "" {
			continue
		}
		h, err := credmatch.ParseRegistry(reg)
		if err != nil {
			return nil, &usageError{err}
		}
		r.Registries = append(r.Registries, h)
	}
	if len(r.Git) == 0 && len(r.Registries) == 0 && r.GitUsername == "" && r.RegistryUsername == "" && r.StoredBy == "" {
		return nil, nil
	}
	return r, nil
}
