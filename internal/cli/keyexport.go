package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"
)

// keyExportOptions is what tok config key export's command line says.
type keyExportOptions struct {
	Output string // -o FILE; "" = stdout
	Force  bool   // --force: print to a terminal
}

// newCmdKeyExport builds tok config key export. It only parses: runF (nil
// = d.runKeyExport) does the work.
func newCmdKeyExport(d *Deps, runF func(*keyExportOptions) error) *cobra.Command {
	opts := &keyExportOptions{}
	cmd := &cobra.Command{
		Use:   "export [-o FILE]",
		Short: "Print the data key (base64) for TOK_KEY in CI",
		Long: `Print the database's data key in base64, for the env key source: a CI job
that gets a copy of the database and TOK_KEY (as a masked secret variable)
can unseal it. Anyone with the key and the database can read every token.

-o FILE writes the key to a new file that only you can read (0600, whatever
the umask), and refuses a file that exists (or a symlink); a shell
redirection (> FILE) would create the file with the umask's mode, often
readable by everyone. tok refuses to print the key to a terminal unless
--force is given.`,
		Example: `  tok config key export -o tok-key.b64
  tok config key export | gh secret set TOK_KEY`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return d.runKeyExport(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write the key to this new file (0600) instead of stdout")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "print the key even to a terminal")
	return cmd
}

// runKeyExport prints the data key in base64, or writes it to a new
// private file; never to a terminal without Force.
func (d *Deps) runKeyExport(ctx context.Context, opts *keyExportOptions) error {
	if opts.Output == "" && d.io.IsStdoutTTY() && !opts.Force {
		return usagef("refusing to print the data key to a terminal; write it to a private file (tok config key export -o FILE) or add --force")
	}
	svc, err := d.service()
	if err != nil {
		return err
	}
	k, err := svc.ExportKey(ctx)
	if err != nil {
		return err
	}
	if opts.Output == "" {
		fmt.Fprintln(d.io.Out, k)
		return nil
	}
	// Never replace: an existing file may be someone else's, or a symlink
	// planted to make tok write the key where its planter can read it.
	err = createNewFile(opts.Output, []byte(k+"\n"))
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; tok never overwrites it with a key. Choose a new file name", opts.Output)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(d.io.ErrOut, "Wrote the data key to %s (mode 0600).\n", opts.Output)
	return nil
}
