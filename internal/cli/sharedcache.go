package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/tok-cli/tok/internal/seal"
	"github.com/tok-cli/tok/internal/sharedcache"
	"github.com/tok-cli/tok/internal/tokens"
)

// Environment variables of the shared cache (docs/fleet.md).
const (
	envSharedCache          = "TOK_SHARED_CACHE"           // URL for ephemeral profiles; may carry the password
	envSharedCachePassword  = "TOK_SHARED_CACHE_PASSWORD"  // Redis password, wins over any file or URL
	envSharedCacheKey       = "TOK_SHARED_CACHE_KEY"       // shared data key, base64
	envSharedCacheKeyFile   = "TOK_SHARED_CACHE_KEY_FILE"  // file holding the shared data key
	envSharedCacheNamespace = "TOK_SHARED_CACHE_NAMESPACE" // namespace for ephemeral profiles
	envSharedCacheCAFile    = "TOK_SHARED_CACHE_CA_FILE"   // CA file for ephemeral profiles
	envSharedCacheLease     = "TOK_SHARED_CACHE_LEASE"     // lock lease
	envSharedCacheTimeout   = "TOK_SHARED_CACHE_TIMEOUT"   // per-operation timeout
)

// sharedCacheOptions are the shared cache flags of a stored profile.
type sharedCacheOptions struct {
	url          string
	namespace    string
	keyFile      string
	passwordFile string
	caFile       string
}

func (o *sharedCacheOptions) register(f *pflag.FlagSet) {
	f.StringVar(&o.url, "shared-cache", "", "share this profile's tokens with other hosts through Redis/Valkey: redis://[user@]host:6379/0 or rediss:// (TLS); add ?cluster=true for Redis Cluster. No password here: use TOK_SHARED_CACHE_PASSWORD or --shared-cache-password-file")
	f.StringVar(&o.namespace, "shared-cache-namespace", "", "shared cache namespace (default: derived from provider, client, scopes and audience)")
	f.StringVar(&o.keyFile, "shared-cache-key-file", "", "file holding the data key every member shares (base64; TOK_SHARED_CACHE_KEY wins)")
	f.StringVar(&o.passwordFile, "shared-cache-password-file", "", "file holding the Redis password (TOK_SHARED_CACHE_PASSWORD wins)")
	f.StringVar(&o.caFile, "shared-cache-ca-file", "", "PEM file of CA certificates to trust for rediss://")
}

// config parses the flags; nil when no shared cache is asked for (tok
// profile set --shared-cache "" stops sharing). tokens.BuildProfile checks
// the rest.
func (o *sharedCacheOptions) config() (*tokens.SharedCacheConfig, error) {
	if o.url == "" {
		return nil, nil
	}
	ep, err := sharedcache.ParseURL(o.url)
	if err != nil {
		return nil, usagef("--shared-cache: %v", err)
	}
	if ep.Password != "" {
		return nil, usagef("the --shared-cache URL carries a password, which would stay in shell history and process lists; put it in TOK_SHARED_CACHE_PASSWORD or --shared-cache-password-file")
	}
	return &tokens.SharedCacheConfig{URL: o.url, Namespace: o.namespace, KeyFile: o.keyFile, PasswordFile: o.passwordFile, CAFile: o.caFile}, nil
}

// ephemeralSharedCache is the shared cache of an ephemeral profile, from
// TOK_SHARED_CACHE and its companions; nil when unset.
func (d *Deps) ephemeralSharedCache() (*tokens.SharedCacheConfig, error) {
	url := d.getenv(envSharedCache)
	if url == "" {
		return nil, nil
	}
	if _, err := sharedcache.ParseURL(url); err != nil {
		return nil, usagef("%s: %v", envSharedCache, err)
	}
	cfg := &tokens.SharedCacheConfig{URL: url, Namespace: d.getenv(envSharedCacheNamespace), CAFile: d.getenv(envSharedCacheCAFile)}
	if cfg.Namespace != "" {
		if err := tokens.ValidateNamespace(cfg.Namespace); err != nil {
			return nil, usagef("%s: %v", envSharedCacheNamespace, err)
		}
	}
	return cfg, nil
}

// sharedClients opens shared cache connections once per process.
type sharedClients struct {
	mu      sync.Mutex
	clients map[sharedcache.Config]*sharedcache.Client
}

// sharedOpener connects profiles to their shared cache with secrets from
// the environment or files, never from the command line.
func (d *Deps) sharedOpener(timeout time.Duration) tokens.SharedOpener {
	pool := &sharedClients{clients: map[sharedcache.Config]*sharedcache.Client{}}
	return func(_ context.Context, cfg tokens.SharedCacheConfig) (tokens.SharedCache, seal.Key, error) {
		key, err := d.sharedKey(cfg)
		if err != nil {
			return nil, seal.Key{}, err
		}
		ep, err := sharedcache.ParseURL(cfg.URL)
		if err != nil {
			return nil, seal.Key{}, err
		}
		password := ep.Password // only an ephemeral profile's URL (from the environment) has one
		switch {
		case d.getenv(envSharedCachePassword) != "":
			password = d.getenv(envSharedCachePassword)
		case cfg.PasswordFile != "":
			b, err := os.ReadFile(cfg.PasswordFile)
			if err != nil {
				return nil, seal.Key{}, fmt.Errorf("could not read the shared cache password file: %w", err)
			}
			password = strings.TrimSpace(string(b))
		}
		scfg := sharedcache.Config{URL: cfg.URL, Password: password, CAFile: cfg.CAFile, Timeout: timeout}
		pool.mu.Lock()
		defer pool.mu.Unlock()
		if c, ok := pool.clients[scfg]; ok {
			return c, key, nil
		}
		c, err := sharedcache.Open(scfg)
		if err != nil {
			return nil, seal.Key{}, err
		}
		pool.clients[scfg] = c
		return c, key, nil
	}
}

// sharedKey is the data key every member of the shared cache holds:
// TOK_SHARED_CACHE_KEY, else the profile's key file, else
// TOK_SHARED_CACHE_KEY_FILE.
func (d *Deps) sharedKey(cfg tokens.SharedCacheConfig) (seal.Key, error) {
	if v := strings.TrimSpace(d.getenv(envSharedCacheKey)); v != "" {
		k, err := seal.ParseKey(v)
		if err != nil {
			return seal.Key{}, fmt.Errorf("%s is not a usable data key: %w", envSharedCacheKey, err)
		}
		return k, nil
	}
	file := cfg.KeyFile
	if file == "" {
		file = d.getenv(envSharedCacheKeyFile)
	}
	if file == "" {
		return seal.Key{}, fmt.Errorf("the shared cache needs the data key every member shares: export %s=<base64 key> or give a key file (--shared-cache-key-file, %s); make one with: head -c 32 /dev/urandom | base64", envSharedCacheKey, envSharedCacheKeyFile)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return seal.Key{}, fmt.Errorf("could not read the shared cache key file: %w", err)
	}
	k, err := seal.ParseKey(strings.TrimSpace(string(b)))
	if err != nil {
		return seal.Key{}, fmt.Errorf("the shared cache key file %s is not a usable data key: %w", file, err)
	}
	return k, nil
}
