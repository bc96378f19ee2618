package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/profilefile"
	"github.com/tok-cli/tok/internal/tokens"
)

// profileExportOptions is what tok profile export's command line says.
type profileExportOptions struct {
	Names  []string // the arguments; none exports every profile
	Output string   // -o FILE; "" is stdout
	Force  bool     // --force: overwrite FILE
}

// newCmdProfileExport builds tok profile export. It only parses: runF
// (nil = d.runProfileExport) does the work.
func newCmdProfileExport(d *Deps, runF func(*profileExportOptions) error) *cobra.Command {
	opts := &profileExportOptions{}
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
			opts.Names = args
			if runF != nil {
				return runF(opts)
			}
			return d.runProfileExport(opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Output, "output", "o", "", "write to FILE (created with mode 0600) instead of stdout")
	f.BoolVar(&opts.Force, "force", false, "overwrite FILE if it exists")
	return cmd
}

// runProfileExport writes the named profiles (all without names) as a
// profile file to stdout or a new file.
func (d *Deps) runProfileExport(opts *profileExportOptions) error {
	if opts.Force && opts.Output == "" {
		return usagef("--force only applies with -o FILE; stdout is never refused")
	}
	names := slices.Clone(opts.Names)
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
	if opts.Output == "" {
		if _, err := d.io.Out.Write(buf.Bytes()); err != nil {
			return fmt.Errorf("could not write the profiles to stdout: %w", err)
		}
	} else {
		if err := writeNewFile(opts.Output, buf.Bytes(), opts.Force); err != nil {
			return err
		}
		dest = opts.Output
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
