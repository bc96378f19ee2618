package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/execrun"
	"github.com/tok-cli/tok/internal/iostreams"
	"github.com/tok-cli/tok/internal/plan"
	"github.com/tok-cli/tok/internal/procguard"
	"github.com/tok-cli/tok/internal/termguard"
	"github.com/tok-cli/tok/internal/tokens"
)

// Main runs tok with the process's arguments and returns its exit code.
func Main() int {
	termguard.Restore()
	if err := procguard.RefuseSetuid(); err != nil {
		fmt.Fprintf(os.Stderr, "tok: %v\n", err)
		return ExitError
	}
	// Best effort: a kernel that refuses only loses the protection.
	core, _ := procguard.Harden()
	ios := iostreams.System()
	d := newDeps(ios, os.Getenv)
	d.coreLimit = core
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root := NewRootCmd(d)
	root.SetArgs(os.Args[1:])
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && ctx.Err() != nil && !isExitError(err) {
		// What was interrupted is the person's own doing; how it surfaced
		// inside (context canceled) is for --debug.
		err = &tokens.Failure{Kind: errCancelled, Msg: cmd.CommandPath() + " was cancelled", Cause: err}
	}
	code := d.finish(err)
	// The outcome is printed; let the browser's result page be reloaded
	// for a moment before the process (and its listener) ends.
	d.lingering.Wait()
	return code
}

func isExitError(err error) bool {
	var ee *execrun.ExitError
	return errors.As(err, &ee)
}

// finish prints err once and returns the exit code.
func (d *Deps) finish(err error) int {
	if err == nil {
		return ExitOK
	}
	if !d.ran && !isExitError(err) && !errors.Is(err, errCancelled) {
		var ue *usageError
		if !errors.As(err, &ue) {
			err = &usageError{err}
		}
	}
	return plan.Report(d.io.ErrOut, err, d.debugging(), domainExits...)
}

// printError prints err as tok's one line; under --debug the cause a
// tokens.Failure keeps apart follows on a line of its own.
func (d *Deps) printError(err error) { plan.Print(d.io.ErrOut, err, d.debugging()) }

// NewRootCmd builds tok's command tree; NewDocsRootCmd builds the same
// tree for cmd/gendocs.
func NewRootCmd(d *Deps) *cobra.Command {
	root := &cobra.Command{
		Use:   "tok",
		Short: "Keep short-lived access tokens fresh for people, scripts, kubectl and CI",
		Long: `tok keeps named profiles for OAuth 2.0 / OpenID Connect providers and static
API tokens, stores their secrets sealed under a key in the OS keyring, and
refreshes access tokens before they expire, so every caller gets a valid token.

  tok profile add api --type oauth --issuer https://id.example.com --client-id tok
  tok login -p api
  TOKEN=$(tok token -p api)
  tok exec -p api -- sh -c 'printf "Authorization: Bearer %s\n" "$TOK_TOKEN" | curl -H @- https://api.example.com'`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			d.ran = true
			d.setupLogging()
			return nil
		},
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return d.runRoot(cmd.Context(), cmd.Help)
		},
	}
	root.SetOut(d.io.Out)
	root.SetErr(d.io.ErrOut)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%w; see: %s --help", err, cmd.CommandPath())}
	})

	d.addGlobalFlags(root)

	root.AddGroup(
		&cobra.Group{ID: "tokens", Title: "Tokens:"},
		&cobra.Group{ID: "profiles", Title: "Profiles:"},
		&cobra.Group{ID: "kubernetes", Title: "Kubernetes:"},
		&cobra.Group{ID: "helpers", Title: "Credential helpers:"},
		&cobra.Group{ID: "setup", Title: "Setup and information:"},
	)
	for _, c := range []*cobra.Command{newCmdToken(d, nil), newCmdExec(d, nil), newCmdLogin(d, nil), newCmdRefresh(d, nil), newCmdRevoke(d, nil), newCmdInspect(d, nil)} {
		c.GroupID = "tokens"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newCmdProfile(d), newCmdUse(d, nil), newCmdStatus(d, nil)} {
		c.GroupID = "profiles"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newCmdKube(d, nil), newCmdKubeconfig(d, nil)} {
		c.GroupID = "kubernetes"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newCmdGitCredential(d, nil), newCmdDockerCredential(d, nil), newCmdDocker(d, nil)} {
		c.GroupID = "helpers"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newCmdConfig(d), newCmdUnlock(d, nil), newCmdLock(d, nil), newCmdVersion(d, nil)} {
		c.GroupID = "setup"
		root.AddCommand(c)
	}
	root.SetHelpCommandGroupID("setup")
	root.SetCompletionCommandGroupID("setup")
	root.AddCommand(helpTopic("environment", "Environment variables tok reads", environmentHelp()))
	root.AddCommand(helpTopic("exit-codes", "What tok's exit codes mean", exitCodesHelp))
	return root
}

// runRoot is tok without a command. A person at a terminal gets the
// picker (or, before the first profile, the offer to add one) and then
// the chosen profile's details; everyone else gets help.
func (d *Deps) runRoot(ctx context.Context, help func() error) error {
	if !d.io.CanDraw() {
		return help()
	}
	svc, err := d.service()
	if err != nil {
		return err
	}
	if names, err := svc.ProfileNames(); err == nil && len(names) == 0 {
		return d.offerFirstProfile(ctx)
	}
	name, err := d.chooseProfile(ctx)
	if err != nil {
		return err
	}
	ps, err := svc.Status(name)
	if err != nil {
		return err
	}
	return d.writeProfileDetail(ps)
}

// addGlobalFlags gives root the flags every command has, parsed into d.
func (d *Deps) addGlobalFlags(root *cobra.Command) {
	pf := root.PersistentFlags()
	pf.StringVarP(&d.profileFlag, "profile", "p", "", "profile to use (env TOK_PROFILE; default: the profile chosen with tok use)")
	pf.StringVar(&d.homeFlag, "home", "", "directory of tok's database (env TOK_HOME; default $XDG_DATA_HOME/tok)")
	pf.BoolVar(&d.debug, "debug", false, "log what tok does to stderr, secrets redacted (env TOK_DEBUG=1)")
	pf.BoolVar(&d.passphraseStdin, "passphrase-stdin", false, "read the passphrase of the passphrase key source from stdin (one line; tok config passphrase change reads two)")
	_ = root.RegisterFlagCompletionFunc("profile", d.completeProfiles)
}

// noArgs refuses arguments to a command that takes none. To a command
// with subcommands an argument is a misspelt subcommand, and the ones it is
// close to are suggested: tok tokn → did you mean token?
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if !cmd.HasSubCommands() {
		return usagef("%s takes no arguments (got %q); see: %s --help", cmd.CommandPath(), args[0], cmd.CommandPath())
	}
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	msg := fmt.Sprintf("unknown command %q", strings.TrimSpace(strings.TrimPrefix(cmd.CommandPath(), "tok")+" "+args[0]))
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", strings.Join(s, " or "))
	} else {
		msg += fmt.Sprintf("; see the commands with: %s --help", cmd.CommandPath())
	}
	return usagef("%s", msg)
}

// helpTopic is a help-only command: `tok help environment`.
// Its help is the text alone: a topic has no usage or flags to show.
func helpTopic(name, short, text string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   name,
		Short: short,
		Long:  text,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Fprint(cmd.OutOrStdout(), text)
		},
		GroupID: "setup",
	}
	cmd.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		fmt.Fprint(cmd.OutOrStdout(), text)
	})
	return cmd
}

// completeProfiles completes profile names from the database alone: it
// never touches the keyring.
func (d *Deps) completeProfiles(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	svc, err := d.service()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names, _ := svc.ProfileNames()
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, toComplete) {
			out = append(out, n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// exactArgs is cobra.ExactArgs with a message that says what is missing.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %s (got %d argument(s)); see: %s --help", cmd.CommandPath(), what, len(args), cmd.CommandPath())
		}
		return nil
	}
}
