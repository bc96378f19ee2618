package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/profilefile"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

type profileExportOptions struct {
	output string
	force  bool
}

func newProfileExportCmd(d *Deps) *cobra.Command {
	var o profileExportOptions
	cmd := &cobra.Command{
		Use:   "export [NAME...] [-o FILE]",
		Short: "Write profile definitions to a file to share them (never secrets)",
		Long: `Write the definitions of profiles (all of them without NAME) as a profile
file, a YAML document another person imports with tok profile import. See
docs/sharing-profiles.md for the format.

The file holds configuration only: issuer or endpoints, client ID, scopes,
flow, kubectl token choice, refresh margin, env names, federation source.
It never holds a client secret or a token. A confidential client is marked
client_secret_required: true; hand its secret over separately.

Endpoints tok discovered from an issuer are left out (the importer
discovers them again); endpoints given with --token-url and friends are
kept. The file goes to stdout, or with -o to a new file readable only by
you; -o never overwrites a file unless --force is given.`,
		Example: `  tok profile export > team.yaml
  tok profile export api ci -o team.yaml
  tok profile export api | ssh host tok profile import -`,
		ValidArgsFunction: d.completeProfiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.force && o.output == "" {
				return usagef("--force only applies with -o FILE; stdout is never refused")
			}
			return d.runProfileExport(args, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "", "write to FILE (created with mode 0600) instead of stdout")
	f.BoolVar(&o.force, "force", false, "overwrite FILE if it exists")
	return cmd
}

func (d *Deps) runProfileExport(names []string, o profileExportOptions) error {
	svc, err := d.service()
	if err != nil {
		return err
	}
	list, err := svc.List()
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return errors.New("there are no profiles to export; add one with: tok profile add NAME --type static|oauth")
	}
	byName := make(map[string]tokens.Profile, len(list))
	for _, ps := range list {
		byName[ps.Profile.Name] = ps.Profile
	}
	if len(names) == 0 {
		for _, ps := range list {
			names = append(names, ps.Profile.Name)
		}
	}
	var profiles []profilefile.Profile
	var confidential []string
	seen := map[string]bool{}
	for _, name := range names {
		p, ok := byName[name]
		if !ok {
			return fmt.Errorf("%w: %q; nothing was exported. List profiles with: tok profile list", tokens.ErrProfileNotFound, name)
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		fp := profilefile.FromProfile(p)
		if fp.ClientSecretRequired {
			confidential = append(confidential, name)
		}
		profiles = append(profiles, fp)
	}
	var buf bytes.Buffer
	if err := profilefile.Encode(&buf, profiles); err != nil {
		return err
	}
	dest := "stdout"
	if o.output == "" {
		if _, err := d.io.Out.Write(buf.Bytes()); err != nil {
			return fmt.Errorf("could not write the profiles to stdout: %w", err)
		}
	} else {
		if err := writeNewFile(o.output, buf.Bytes(), o.force); err != nil {
			return err
		}
		dest = o.output
	}
	fmt.Fprintf(d.io.ErrOut, "Exported %s to %s (no secrets, no tokens).\n", countProfiles(len(profiles)), dest)
	if len(confidential) > 0 {
		fmt.Fprintf(d.io.ErrOut, "%s %s a client secret, which is not in the file; hand it over separately (tok profile import --client-secret asks for it).\n",
			"P"+profileList(confidential)[1:], plural(len(confidential), "has", "have"))
	}
	return nil
}

// createNewFile creates path with mode 0600 (O_EXCL: an existing file or
// symlink is an fs.ErrExist error) and writes data to it; on a failed
// write it removes the file again.
func createNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; nothing was written: %w", path, fs.ErrExist)
	}
	if err != nil {
		return fmt.Errorf("could not create %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("could not write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("could not write %s: %w", path, err)
	}
	return nil
}

// writeNewFile writes data to path with mode 0600. Without force an
// existing file is an error; with force it is replaced in one rename, so
// a reader never sees half a file.
func writeNewFile(path string, data []byte, force bool) error {
	if !force {
		err := createNewFile(path, data)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; nothing was written. Choose another file or add --force to overwrite it", path)
		}
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("could not create a file next to %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("could not write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("could not write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("could not replace %s: %w", path, err)
	}
	return nil
}

type profileImportOptions struct {
	force            bool
	clientSecretFlag bool
	clientSecretIn   bool
	noDiscovery      bool
}

func newProfileImportCmd(d *Deps) *cobra.Command {
	var o profileImportOptions
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
			return d.runProfileImport(cmd.Context(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.force, "force", false, "replace profiles that exist already")
	f.BoolVar(&o.clientSecretFlag, "client-secret", false, "prompt for the client secret of each profile that needs one (hidden input)")
	f.BoolVar(&o.clientSecretIn, "client-secret-stdin", false, "read the client secret of the one profile that needs one from stdin")
	f.BoolVar(&o.noDiscovery, "no-discovery", false, "do not fetch the issuers' discovery documents now (they are fetched at login)")
	return cmd
}

func (d *Deps) runProfileImport(ctx context.Context, file string, o profileImportOptions) error {
	if o.clientSecretFlag && o.clientSecretIn {
		return usagef("give the client secret one way: --client-secret (prompt) or --client-secret-stdin")
	}
	if o.clientSecretIn && file == "-" {
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
	if !o.force {
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
	secrets, err := d.importSecrets(file, profiles, o)
	if err != nil {
		return err
	}
	// Discover every issuer before anything is stored, as tok profile add
	// does for one: the hot path then never fetches discovery documents.
	items := make([]tokens.ImportItem, len(profiles))
	for i := range profiles {
		fp := &profiles[i]
		spec := fp.Spec()
		spec.NoDiscovery = o.noDiscovery
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
	outcomes, err := svc.ImportProfiles(ctx, items, o.force)
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
func (d *Deps) importSecrets(file string, profiles []profilefile.Profile, o profileImportOptions) (map[string]string, error) {
	secrets := map[string]string{}
	if !o.clientSecretFlag && !o.clientSecretIn {
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
	case o.clientSecretIn && len(need) > 1:
		return nil, usagef("--client-secret-stdin reads one secret, and %s need one each; use --client-secret to be prompted for each", profileList(need))
	case o.clientSecretIn:
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
