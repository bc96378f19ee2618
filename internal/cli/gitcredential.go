package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/credmatch"
	"github.com/tok-cli/tok/internal/gitcred"
	"github.com/tok-cli/tok/internal/iostreams"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// gitCredentialOptions is what `tok git-credential ACTION` says.
type gitCredentialOptions struct {
	Action string // get, store, erase, capability (others are ignored)
	// OpenTTY opens the controlling terminal for a login; git owns
	// stdin and stdout.
	OpenTTY func() (*os.File, error)
}

// newCmdGitCredential builds tok git-credential. It only parses: runF
// (nil = d.runGitCredential) does the work.
func newCmdGitCredential(d *Deps, runF func(*gitCredentialOptions) error) *cobra.Command {
	return &cobra.Command{
		Use:   "git-credential get|store|erase|capability",
		Short: "Answer git as its credential helper (git-credential-tok)",
		Long: `Answer git's credential helper protocol (git-credential(1)) from tok's
profiles. Set it up with either of:

  git config --global credential.helper tok        # runs git-credential-tok
  git config --global credential.helper '!tok git-credential'

A profile answers the remotes of its --git-url patterns (tok profile add or
set); the most specific pattern wins. get prints a fresh token, refreshing
it first when needed; store keeps a password git prompted for as a sealed
static profile named after the host; erase makes tok stop using a token the
server rejected (an OAuth profile refreshes next time, a profile store
created is removed). Unknown actions are ignored. See docs/git.md.`,
		Example: `  tok profile add gitlab --issuer https://gitlab.example.com --client-id ID --git-url https://gitlab.example.com/
  git config --global credential.helper tok
  git clone https://gitlab.example.com/group/repo.git`,
		Args: exactArgs(1, "the action git gives it (get, store or erase)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := &gitCredentialOptions{Action: args[0], OpenTTY: openControllingTerminal}
			if runF != nil {
				return runF(opts)
			}
			return d.runGitCredential(cmd.Context(), opts)
		},
	}
}

func openControllingTerminal() (*os.File, error) { return os.OpenFile("/dev/tty", os.O_RDWR, 0) }

// runGitCredential answers one request of git's credential helper
// protocol on d's stdin and stdout.
func (d *Deps) runGitCredential(ctx context.Context, o *gitCredentialOptions) error {
	switch o.Action {
	case "capability":
		_, err := fmt.Fprint(d.io.Out, gitcred.Capabilities)
		return err
	case "get", "store", "erase":
	default:
		return nil // the protocol: helpers ignore actions they do not know
	}
	req, err := gitcred.Parse(d.io.In)
	if err != nil {
		return err
	}
	// Only http(s) remotes carry tokens; git asks about others (and
	// requests without a host) too, and gets no answer.
	if req.Host == "" || (req.Protocol != "https" && req.Protocol != "http") {
		return nil
	}
	svc, err := d.service()
	if err != nil {
		return err
	}
	q := record.Query{Git: ptr(record.GitRemote(req))}
	m, found, err := svc.FindRemote(q)
	if err != nil {
		return err
	}
	switch o.Action {
	case "get":
		if !found {
			return nil
		}
		cred, err := d.helperToken(ctx, m.Profile, o.OpenTTY)
		if err != nil {
			return err
		}
		return gitcred.Encode(d.io.Out, record.GitResponse(req, m, cred))
	case "store":
		if req.Password == "" {
			return nil // an authtype credential, or nothing to keep
		}
		var existing *record.Match
		if found {
			existing = &m
		}
		pattern := credmatch.Pattern{Protocol: req.Protocol, Host: req.Host}
		res, err := svc.StoreHelperSecret(ctx, tokens.HelperSecret{
			StoredBy: record.StoredByGit, Host: req.Host, GitURL: pattern.String(),
			Username: req.Username, Secret: req.Password, Expiry: req.PasswordExpiryUTC,
		}, existing)
		if err != nil {
			return err
		}
		d.log.Debug("git store", "profile", res.Profile, "stored", res.Stored, "unchanged", res.Unchanged)
		return nil
	default: // erase
		if !found {
			return nil
		}
		secret := req.Password
		if secret == "" {
			secret = req.Credential
		}
		res, err := svc.Reject(ctx, m.Profile, secret, record.StoredByGit)
		d.log.Debug("git erase", "profile", m.Profile, "result", string(res))
		return err
	}
}

// helperToken is the token of profile name for a credential helper. git
// and docker own stdin and stdout, so a login needs the controlling
// terminal: with one, the login runs there; without, the error names
// the command to run.
func (d *Deps) helperToken(ctx context.Context, name string, openTTY func() (*os.File, error)) (record.Credential, error) {
	svc, err := d.service()
	if err != nil {
		return record.Credential{}, err
	}
	cred, err := d.tokenOrLogin(ctx, svc, name, record.Options{}, false)
	if err == nil || !errors.Is(err, tokens.ErrLoginRequired) || openTTY == nil {
		return cred, err
	}
	tty, terr := openTTY()
	if terr != nil {
		return cred, err
	}
	defer tty.Close()
	// For this one login the person's streams are the terminal; git's
	// pipes stay stdin and stdout of the protocol.
	return d.withStreams(iostreams.Terminal(tty, d.io.Out)).tokenOrLogin(ctx, svc, name, record.Options{}, true)
}

func ptr[T any](v T) *T { return &v }
