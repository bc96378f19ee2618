package cli

import (
	"github.com/spf13/cobra"
)

// profileArg lets a command that takes no other argument name its profile
// as one plain argument (tok token gh) with the precedence of -p. The
// argument and a different -p are a usage error. The small tok front reads
// these spellings the same way (TestFrontParsesLikeCobra).
func (d *Deps) profileArg(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return nil
	case len(args) > 1:
		return usagef("%s takes at most one profile name, got %d arguments; see: %s --help", cmd.CommandPath(), len(args), cmd.CommandPath())
	case d.profileFlag != "" && d.profileFlag != args[0]:
		return usagef("-p %s and the argument %s name different profiles; give one of them", d.profileFlag, args[0])
	}
	d.profileFlag = args[0]
	return nil
}
