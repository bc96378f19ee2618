package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/keysource"
	"github.com/tok-cli/tok/internal/record"
)

// newCmdConfig builds tok config, the group of the settings commands:
// list, get, set here; key export in keyexport.go, passphrase change in
// passphrase.go.
func newCmdConfig(d *Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show or change tok's settings",
		Long: `Show or change settings stored in tok's database.

Settings:
  key-source   where the data key that seals every secret is kept:
               keyring (default; the OS keyring), passphrase (in the database,
               wrapped under a passphrase; tok unlock / tok lock; for SSH,
               servers and WSL), file (a plaintext 0600 file beside the
               database, for throwaway hosts), env (TOK_KEY, for CI).
               Changing it moves the key; no secret is re-encrypted.
               Moving to passphrase asks for a new passphrase twice.
  default-profile  the profile used when -p and TOK_PROFILE are not given (see tok use)`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	keyCmd := &cobra.Command{Use: "key", Short: "Manage the data key", Args: noArgs, RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() }}
	keyCmd.AddCommand(newCmdKeyExport(d, nil))
	cmd.AddCommand(newCmdConfigList(d, nil), newCmdConfigGet(d, nil), newCmdConfigSet(d, nil), keyCmd, newCmdPassphrase(d))
	return cmd
}

// configListOptions is what tok config list's command line says: nothing
// beyond the global flags.
type configListOptions struct{}

// newCmdConfigList builds tok config list. It only parses: runF (nil =
// d.runConfigList) does the work.
func newCmdConfigList(d *Deps, runF func(*configListOptions) error) *cobra.Command {
	opts := &configListOptions{}
	return &cobra.Command{
		Use:   "list",
		Short: "List settings",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return d.runConfigList(opts)
		},
	}
}

// runConfigList prints every setting, the key source with its lock state.
func (d *Deps) runConfigList(*configListOptions) error {
	set, err := d.settings()
	if err != nil {
		return err
	}
	svc, err := d.service()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(d.io.Out, 0, 4, 2, ' ', 0)
	for _, k := range []string{record.SettingKeySource, record.SettingDefaultProfile} {
		v := dash(set[k])
		if k == record.SettingKeySource {
			if ks, err := svc.KeyState(); err == nil && unlockPhrase(ks) != "" {
				v += " (" + unlockPhrase(ks) + ")"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\n", k, v)
	}
	return tw.Flush()
}

// configGetOptions is what tok config get's command line says.
type configGetOptions struct {
	Key string
}

// newCmdConfigGet builds tok config get. It only parses: runF (nil =
// d.runConfigGet) does the work.
func newCmdConfigGet(d *Deps, runF func(*configGetOptions) error) *cobra.Command {
	opts := &configGetOptions{}
	return &cobra.Command{
		Use:       "get KEY",
		Short:     "Print one setting",
		Args:      exactArgs(1, "a setting name"),
		ValidArgs: []string{record.SettingKeySource, record.SettingDefaultProfile},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			if runF != nil {
				return runF(opts)
			}
			return d.runConfigGet(opts)
		},
	}
}

// runConfigGet prints one setting's value.
func (d *Deps) runConfigGet(opts *configGetOptions) error {
	set, err := d.settings()
	if err != nil {
		return err
	}
	switch opts.Key {
	case record.SettingKeySource, record.SettingDefaultProfile:
		fmt.Fprintln(d.io.Out, set[opts.Key])
	default:
		return usagef("unknown setting %q; settings: key-source, default-profile", opts.Key)
	}
	return nil
}

// configSetOptions is what tok config set's command line says.
type configSetOptions struct {
	Key, Value string
}

// newCmdConfigSet builds tok config set. It only parses: runF (nil =
// d.runConfigSet) does the work.
func newCmdConfigSet(d *Deps, runF func(*configSetOptions) error) *cobra.Command {
	opts := &configSetOptions{}
	return &cobra.Command{
		Use:   "set KEY VALUE",
		Short: "Change a setting",
		Long: `Change a setting stored in tok's database.

Settings and their values:
  key-source       where the data key is kept: ` + keySourceList() + `
                   (see tok config --help; moving it re-encrypts nothing)
  default-profile  a profile name: the profile used when -p and
                   TOK_PROFILE are not given (the same as tok use NAME)`,
		Example: `  tok config set key-source file
  tok config set default-profile work`,
		Args:              exactArgs(2, "a setting name and a value"),
		ValidArgsFunction: d.completeSetting,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key, opts.Value = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return d.runConfigSet(cmd.Context(), opts)
		},
	}
}

// runConfigSet changes one setting: moving the data key to another key
// source, or choosing the default profile.
func (d *Deps) runConfigSet(ctx context.Context, opts *configSetOptions) error {
	svc, err := d.service()
	if err != nil {
		return err
	}
	switch opts.Key {
	case record.SettingKeySource:
		src, err := keysource.Parse(opts.Value)
		if err != nil {
			return &usageError{err}
		}
		if err := svc.SetKeySource(ctx, src); err != nil {
			return err
		}
		fmt.Fprintf(d.io.ErrOut, "Key source is now %s.\n", src)
	case record.SettingDefaultProfile:
		if err := svc.SetDefault(opts.Value); err != nil {
			return err
		}
	default:
		return usagef("unknown setting %q; settings: key-source, default-profile", opts.Key)
	}
	return nil
}

// completeSetting completes tok config set: the setting, then its values.
func (d *Deps) completeSetting(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	switch {
	case len(args) == 0:
		return []string{record.SettingKeySource + "\twhere the data key is kept", record.SettingDefaultProfile + "\tthe profile used without -p"}, cobra.ShellCompDirectiveNoFileComp
	case len(args) == 1 && args[0] == record.SettingKeySource:
		var out []string
		for _, src := range keysource.Sources {
			out = append(out, string(src))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	case len(args) == 1 && args[0] == record.SettingDefaultProfile:
		return d.completeProfiles(cmd, nil, toComplete)
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// settings are the stored settings, with the default key source filled in
// when none was chosen.
func (d *Deps) settings() (map[string]string, error) {
	svc, err := d.service()
	if err != nil {
		return nil, err
	}
	set, err := svc.Settings()
	if err != nil {
		return nil, err
	}
	if set[record.SettingKeySource] == "" {
		set[record.SettingKeySource] = string(keysource.Keyring)
	}
	return set, nil
}
