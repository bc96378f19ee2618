package cli

import (
	"strings"

	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/record"
)

const environmentHelpHead = `Environment variables tok reads:

  TOK_PROFILE       profile to use when -p is not given
  TOK_HOME          directory of tok's database (default $XDG_DATA_HOME/tok,
                    i.e. ~/.local/share/tok)
  TOK_DEBUG         1 to log what tok does to stderr (as --debug); secrets
                    are never logged
  TOK_KEY_SOURCE    where the data key is kept for this run: keyring,
                    passphrase, file or env (overrides tok config set
                    key-source)
  TOK_KEY           the data key, base64, when the key source is env
  TOK_HTTP_TIMEOUT  bound on each request to an authorization server (30s)
  TOK_LOCK_TIMEOUT  how long to wait for another tok's refresh or login of
                    the same profile (1m)
  TOK_DB_TIMEOUT    how long to wait for the database lock (5s)
  TOK_SHARED_CACHE_KEY   the data key every member of a shared cache
                    holds, base64 (or TOK_SHARED_CACHE_KEY_FILE, a file
                    holding it; see docs/fleet.md)
  TOK_SHARED_CACHE_PASSWORD  the Redis password of a shared cache
  TOK_SHARED_CACHE_TIMEOUT   bound on each shared cache operation (1s)
  TOK_SHARED_CACHE_LEASE     how long a member's shared refresh lock
                    outlives the member (10s)
  NO_COLOR          disable colour
  BROWSER           program that opens the login address: "prog", "prog --flag",
                    "prog %s" (%s is the address) or a colon-separated list
  KUBERNETES_EXEC_INFO  set by kubectl for credential plugins

Ephemeral profiles of tok token and tok exec (when no -p or TOK_PROFILE is
given; flags win; see docs/ci.md):

  TOK_ISSUER        issuer URL (or TOK_TOKEN_URL, the token endpoint)
  TOK_CLIENT_ID     client ID
  TOK_CLIENT_SECRET client secret (or --client-secret-file; never argv)
  TOK_SCOPES        scopes, comma- or space-separated
  TOK_AUDIENCE      audience parameter
  TOK_SHARED_CACHE  share the profile's tokens through this Redis/Valkey:
                    redis[s]://[user[:password]@]host:port/db; with
                    TOK_SHARED_CACHE_NAMESPACE, TOK_SHARED_CACHE_CA_FILE
  ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_TOKEN
                    GitHub Actions' OIDC token endpoint, for
                    --github-actions-audience

Set by tok exec in the child:

  TOK_TOKEN         the token at start
  TOK_TOKEN_FILE    a file with the current token, kept fresh while the
                    child runs and removed when tok ends
  TOK_EXEC          the profile's name; a nested tok exec of the same
                    profile is refused
  (and every variable named with --env)

Removed by tok exec from the child's environment (tok's own secrets; a tok
run inside the child cannot use key source env), and masked by --mask:

  TOK_KEY, TOK_CLIENT_SECRET, TOK_SHARED_CACHE_KEY,
  TOK_SHARED_CACHE_PASSWORD, TOK_SHARED_CACHE

Refused as a variable for the token (--env of tok profile add, tok profile
set and tok exec, env: of tok profile import), in any case, because
programs read them to decide what to run, load or trust:

`

// environmentHelp is the text of tok help environment; the refused names
// come from the rule itself, so the two cannot drift apart.
func environmentHelp() string {
	var b strings.Builder
	b.WriteString(environmentHelpHead)
	list := func(label string, names []string) {
		b.WriteString("  " + label + "\n")
		line := "   "
		for _, n := range names {
			if len(line)+len(n)+1 > 76 {
				b.WriteString(line + "\n")
				line = "   "
			}
			line += " " + n
		}
		b.WriteString(line + "\n")
	}
	exact, prefixes, suffixes := record.RefusedEnv()
	list("these names:", exact)
	list("names starting with:", prefixes)
	list("names ending with:", suffixes)
	return b.String()
}

// keySourceList is the key sources, for help: "keyring, passphrase, file
// or env".
func keySourceList() string {
	names := make([]string, len(keysource.Sources))
	for i, src := range keysource.Sources {
		names[i] = string(src)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
