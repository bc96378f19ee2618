package cli

import (
	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/iostreams"
)

// NewDocsRootCmd builds tok's complete command tree for cmd/gendocs, which
// writes the shell completions, the Markdown reference and the man pages
// from it.
//
// The tree is wired to in-memory streams and an empty environment, so what
// is generated never depends on the machine or the person running the
// generator (no flag default can pick up $HOME, TOK_* or a terminal), and
// building it opens no database, keyring or network connection. Its
// commands are for reading, not for running.
func NewDocsRootCmd() *cobra.Command {
	ios, _, _, _ := iostreams.Test()
	noEnv := func(string) string { return "" }
	return NewRootCmd(newDeps(ios, noEnv))
}
