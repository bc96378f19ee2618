package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/front"
	"github.com/tok-cli/tok/internal/kubeconfig"
	"github.com/tok-cli/tok/internal/output"
	"github.com/tok-cli/tok/internal/plan"
	"github.com/tok-cli/tok/internal/tokens"
)

// setCredentialsOptions is what tok kubeconfig set-credentials's command
// line says.
type setCredentialsOptions struct {
	User        string // the kubeconfig user entry
	Profile     string // -p; "" = TOK_PROFILE (or none with FromCluster)
	Kubeconfig  string // --kubeconfig
	Context     string // --context
	Print       bool   // --print
	FromCluster bool   // --from-cluster
}

// newCmdKubeconfig builds tok kubeconfig and its set-credentials command.
// It only parses: runF (nil = d.runSetCredentials) does the work.
func newCmdKubeconfig(d *Deps, runF func(*setCredentialsOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Set up kubectl to get its credentials from tok",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	opts := &setCredentialsOptions{}
	set := &cobra.Command{
		Use:   "set-credentials USER -p PROFILE [--kubeconfig PATH] [--context CTX]",
		Short: "Add or update a kubeconfig user that runs tok as its exec credential plugin",
		Long: `Add or update the users entry USER in the kubeconfig with an exec stanza that
runs "tok kube -p PROFILE" (apiVersion client.authentication.k8s.io/v1,
interactiveMode IfAvailable). Every other part of the kubeconfig is kept:
entries, order and unknown fields. With --context, that context is pointed at
USER. --print shows the stanza and the equivalent kubectl commands (with
--context, also the one that points the context at USER) instead of
writing.

With --from-cluster, no profile is fixed in the user entry: kubectl passes
each cluster's exec extension (provideClusterInfo: true) and tok reads the
profile from it, so one user entry serves many clusters:

  clusters:
  - name: prod
    cluster:
      server: https://prod.example.com
      extensions:
      - name: client.authentication.k8s.io/exec
        extension:
          tok:
            profile: prod-oidc`,
		Example: `  tok kubeconfig set-credentials oidc -p k8s-prod --context prod
  tok kubeconfig set-credentials oidc -p k8s-prod --print
  tok kubeconfig set-credentials tok --from-cluster`,
		Args: exactArgs(1, "the kubeconfig user name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User, opts.Profile = args[0], d.profileFlag
			if runF != nil {
				return runF(opts)
			}
			return d.runSetCredentials(opts)
		},
	}
	f := set.Flags()
	f.StringVar(&opts.Kubeconfig, "kubeconfig", "", "kubeconfig file to change (default: $KUBECONFIG's first file or ~/.kube/config)")
	f.StringVar(&opts.Context, "context", "", "also point this context at USER")
	f.BoolVar(&opts.Print, "print", false, "print the YAML stanza and the kubectl command instead of writing")
	f.BoolVar(&opts.FromCluster, "from-cluster", false, "take the profile from each cluster's exec extension instead of -p")
	cmd.AddCommand(set)
	return cmd
}

// runSetCredentials writes (or with Print shows) the kubeconfig user entry
// that runs tok as kubectl's exec credential plugin.
func (d *Deps) runSetCredentials(o *setCredentialsOptions) error {
	user := o.User
	name := plan.Profile(o.Profile, "", d.getenv)
	if name == "" && !o.FromCluster {
		return usagef("name the profile with -p PROFILE, or pass --from-cluster")
	}
	if name != "" {
		if err := tokens.ValidateName(name); err != nil {
			return &usageError{err}
		}
		svc, err := d.service()
		if err != nil {
			return err
		}
		if _, err := svc.Profile(name); err != nil {
			return err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("could not find tok's own path: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(self); err == nil {
		self = resolved
	}
	self = frontBinary(self)
	eu := kubeconfig.ExecUser{
		Command:            self,
		Args:               []string{"kube"},
		InteractiveMode:    kubeconfig.InteractiveIfAvailable,
		ProvideClusterInfo: o.FromCluster,
	}
	if name != "" {
		eu.Args = append(eu.Args, "-p", name)
	}
	// A non-default tok home must reach the plugin, which kubectl may run
	// from an environment without TOK_HOME.
	if d.homeFlag != "" || d.getenv("TOK_HOME") != "" {
		home, err := d.home()
		if err != nil {
			return err
		}
		eu.Env = map[string]string{"TOK_HOME": home}
	}
	path := o.Kubeconfig
	if path == "" {
		path = kubeconfig.DefaultPath()
	}
	if o.Print {
		stanza, command := kubeconfig.Render(user, eu)
		kcFlag := ""
		if o.Kubeconfig != "" {
			kcFlag = " --kubeconfig " + output.ShellQuote(path)
		}
		command += kcFlag
		if o.Context != "" {
			// What --context does when writing: the context uses USER.
			stanza += fmt.Sprintf("# and in the contexts entry %s:\n#   context:\n#     user: %s\n", o.Context, user)
			command += fmt.Sprintf("\nkubectl config set-context %s --user=%s%s", output.ShellQuote(o.Context), output.ShellQuote(user), kcFlag)
		}
		fmt.Fprintf(d.io.Out, "%s\n# or, with kubectl:\n%s\n", stanza, command)
		return nil
	}
	if err := kubeconfig.SetCredentials(path, user, eu, o.Context); err != nil {
		return err
	}
	msg := fmt.Sprintf("Set user %q in %s to get its credentials from tok", user, path)
	if o.Context != "" {
		msg += fmt.Sprintf("; context %q now uses it", o.Context)
	}
	fmt.Fprintln(d.io.ErrOut, msg+".")
	return nil
}

// frontBinary is the small tok installed next to tok-full at self, which
// kubectl should run: it answers from the cache without loading the
// complete tok. It is self when there is none (tok-full run on its own).
func frontBinary(self string) string {
	base := filepath.Base(self)
	ext := filepath.Ext(base)
	if strings.TrimSuffix(base, ext) != front.FullName {
		return self
	}
	if path, ok := front.Sibling(self, "tok"+ext); ok {
		return path
	}
	return self
}
