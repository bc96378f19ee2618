package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/profilefile"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// profileImportOptions is what tok profile import's command line says.
type profileImportOptions struct {
	File               string // the argument; "-" is stdin
	Force              bool   // --force: replace existing profiles
	ClientSecretPrompt bool   // --client-secret
	ClientSecretStdin  bool   // --client-secret-stdin
	NoDiscovery        bool   // --no-discovery
}

// newCmdProfileImport builds tok profile import. It only parses: runF
// (nil = d.runProfileImport) does the work.
func newCmdProfileImport(d *Deps, runF func(*profileImportOptions) error) *cobra.Command {
	opts := &profileImportOptions{}
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Add the profiles a profile file defines",
		Long: `Add the profiles a profile file defines (written by tok profile export or by
hand; see docs/sharing-profiles.md). FILE - reads the file from stdin.

The import is all or nothing: every profile is checked first, by the same
rules as tok profile add, and the issuers' endpoints are discovered, before
one transaction stores them all. A file with one bad profile imports none.

A profile whose name exists already is refused unless --force is given,
which replaces its configuration. The replaced profile keeps its tokens
when the new configuration has the same type, issuer, token endpoint,
client ID, scopes, audience, resources and username (or federation
source); otherwise its tokens are deleted and it needs a new login. It
keeps its client secret when the client stays the same.

A profile file never holds secrets. A confidential client (marked
client_secret_required: true, or using the client-credentials flow) gets
its secret from a hidden prompt (--client-secret, once per such profile)
or from stdin (--client-secret-stdin, when one profile needs one).`,
		Example: `  tok profile import team.yaml
  tok profile import --force team.yaml
  curl -fsS https://intranet.example.com/tok-profiles.yaml | tok profile import -
  echo "$SECRET" | tok profile import ci.yaml --client-secret-stdin`,
		Args: exactArgs(1, "a profile file (or - for stdin)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if runF != nil {
				return runF(opts)
			}
			return d.runProfileImport(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.Force, "force", false, "replace profiles that exist already")
	f.BoolVar(&opts.ClientSecretPrompt, "client-secret", false, "prompt for the client secret of each profile that needs one (hidden input)")
	f.BoolVar(&opts.ClientSecretStdin, "client-secret-stdin", false, "read the client secret of the one profile that needs one from stdin")
	f.BoolVar(&opts.NoDiscovery, "no-discovery", false, "do not fetch the issuers' discovery documents now (they are fetched at login)")
	return cmd
}

// runProfileImport adds the profiles a profile file defines, all or none.
func (d *Deps) runProfileImport(ctx context.Context, opts *profileImportOptions) error {
	file := opts.File
	if opts.ClientSecretPrompt && opts.ClientSecretStdin {
		return usagef("give the client secret one way: --client-secret (prompt) or --client-secret-stdin")
	}
	if opts.ClientSecretStdin && file == "-" {
		return usagef("stdin cannot carry both the profile file and the client secret; name the file, or use --client-secret to be prompted")
	}
	profiles, err := d.readProfileFile(file)
	if err != nil {
		return err
	}
	svc, err := d.service()
	if err != nil {
		return err
	}
	if !opts.Force {
		existing, err := svc.ProfileNames()
		if err != nil {
			return err
		}
		var taken []string
		for _, p := range profiles {
			if slices.Contains(existing, p.Name) {
				taken = append(taken, p.Name)
			}
		}
		if len(taken) > 0 {
			return conflictError(file, taken)
		}
	}
	secrets, err := d.importSecrets(file, profiles, opts)
	if err != nil {
		return err
	}
	// Discover every issuer before anything is stored, as tok profile add
	// does for one: the hot path then never fetches discovery documents.
	items := make([]tokens.ImportItem, len(profiles))
	for i := range profiles {
		fp := &profiles[i]
		spec := fp.Spec()
		spec.NoDiscovery = opts.NoDiscovery
		tp, warnings, err := tokens.BuildProfile(ctx, spec, tokens.HTTPDiscovery(30*time.Second), d.now())
		var se *tokens.SpecError
		if errors.As(err, &se) {
			err = &usageError{err} // named by its key, as in the file
		}
		if err != nil {
			return fmt.Errorf("profile %q: %w; nothing was imported", fp.Name, err)
		}
		for _, w := range warnings {
			fmt.Fprintln(d.io.ErrOut, w)
		}
		items[i] = tokens.ImportItem{Profile: tp, ClientSecret: secrets[fp.Name], SecretRequired: fp.NeedsClientSecret()}
	}
	outcomes, err := svc.ImportProfiles(ctx, items, opts.Force)
	var conflict *tokens.ImportConflictError
	var missing *tokens.MissingSecretError
	switch {
	case errors.As(err, &conflict):
		return conflictError(file, conflict.Names)
	case errors.As(err, &missing):
		return usagef("%s %s a client secret, which a profile file never holds; nothing was imported. Give it with: tok profile import %s --client-secret (prompt) or --client-secret-stdin",
			profileList(missing.Names), plural(len(missing.Names), "needs", "need"), shellQuote(file))
	case err != nil:
		return fmt.Errorf("could not import the profiles of %s; nothing was imported: %w", file, err)
	}
	for i, out := range outcomes {
		d.printImportOutcome(&profiles[i], out)
	}
	return nil
}

// readProfileFile reads and parses FILE ("-" = stdin).
func (d *Deps) readProfileFile(file string) ([]profilefile.Profile, error) {
	r := d.io.In
	name := "stdin"
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("could not open the profile file: %w", err)
		}
		defer f.Close()
		r, name = f, file
	}
	profiles, err := profilefile.Read(r)
	if err != nil {
		return nil, fmt.Errorf("%s is not a usable profile file; nothing was imported:\n%w", name, err)
	}
	return profiles, nil
}

// importSecrets collects the client secrets the flags ask for, by profile.
func (d *Deps) importSecrets(file string, profiles []profilefile.Profile, opts *profileImportOptions) (map[string]string, error) {
	secrets := map[string]string{}
	if !opts.ClientSecretPrompt && !opts.ClientSecretStdin {
		return secrets, nil
	}
	var need []string
	for _, p := range profiles {
		if p.NeedsClientSecret() {
			need = append(need, p.Name)
		}
	}
	switch {
	case len(need) == 0:
		return nil, usagef("no profile in %s needs a client secret (none is marked client_secret_required: true or uses the client-credentials flow); import it without --client-secret", file)
	case opts.ClientSecretStdin && len(need) > 1:
		return nil, usagef("--client-secret-stdin reads one secret, and %s need one each; use --client-secret to be prompted for each", profileList(need))
	case opts.ClientSecretStdin:
		s, err := readSecretStdin(d.io.In)
		if err != nil {
			return nil, fmt.Errorf("could not read the client secret from stdin: %w", err)
		}
		secrets[need[0]] = s
		return secrets, nil
	case !d.io.CanPrompt():
		return nil, usagef("no terminal to prompt for client secrets; pipe one in with --client-secret-stdin")
	}
	for _, name := range need {
		s, err := d.io.ReadSecret(fmt.Sprintf("Client secret for profile %q: ", name))
		if err != nil {
			return nil, fmt.Errorf("could not read the client secret of profile %q: %w", name, err)
		}
		if s == "" {
			return nil, usagef("the client secret of profile %q is empty; nothing was imported", name)
		}
		secrets[name] = s
	}
	return secrets, nil
}

func (d *Deps) printImportOutcome(p *profilefile.Profile, out tokens.ImportOutcome) {
	var line strings.Builder
	verb := "Imported"
	if out.Replaced {
		verb = "Replaced"
	}
	fmt.Fprintf(&line, "%s %s profile %q", verb, p.Type, p.Name)
	if out.Default {
		line.WriteString(" (now the default)")
	}
	switch {
	case out.KeptTokens:
		line.WriteString("; its tokens were kept (same provider, client and scopes)")
	case out.DroppedTokens:
		line.WriteString("; its tokens were deleted, since they came from another provider, client or scope set")
	}
	if out.KeptSecret {
		line.WriteString("; its client secret was kept")
	}
	line.WriteString(".")
	if !out.KeptTokens {
		switch p.Type {
		case record.Static:
			fmt.Fprintf(&line, " Next: tok login -p %s --with-token < FILE", p.Name)
		case record.Federated:
			fmt.Fprintf(&line, " Next: tok token -p %s", p.Name)
		default:
			fmt.Fprintf(&line, " Next: tok login -p %s", p.Name)
		}
	}
	fmt.Fprintln(d.io.ErrOut, line.String())
	if len(p.Env) > 0 {
		// Shown so that whoever imports a file from someone else sees
		// which variables tok exec will set to the token.
		fmt.Fprintf(d.io.ErrOut, "  tok exec puts its token in: %s\n", strings.Join(p.Env, ", "))
	}
	// A shared file can make tok run a command later; say so now, while
	// the person still has the file in mind.
	if f := p.Federation; f != nil && f.Source.Command != "" {
		fmt.Fprintf(d.io.ErrOut, "  Profile %q runs this command for its subject token: %s\n", p.Name, f.Source.Command)
	}
}

func conflictError(file string, names []string) error {
	return fmt.Errorf("%s already %s; nothing was imported. Replace with: tok profile import --force %s (tokens are kept only where issuer, client and scopes stay the same)",
		profileList(names), plural(len(names), "exists", "exist"), shellQuote(file))
}

// profileList is `profile "a"` or `profiles "a", "b"`.
func profileList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(names) == 1 {
		return "profile " + q[0]
	}
	return "profiles " + strings.Join(q, ", ")
}

// plural picks the verb form for n subjects.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func countProfiles(n int) string {
	if n == 1 {
		return "1 profile"
	}
	return fmt.Sprintf("%d profiles", n)
}

// shellQuote quotes a file name for a command the person can paste.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:@+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
