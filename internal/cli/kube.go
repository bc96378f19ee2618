package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/execcred"
	"github.com/tok-cli/tok/internal/front"
	"github.com/tok-cli/tok/internal/kubeconfig"
	"github.com/tok-cli/tok/internal/output"
	"github.com/tok-cli/tok/internal/plan"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// kubeOptions is what tok kube's command line says.
type kubeOptions struct {
	Profile string // -p; "" = the cluster's, TOK_PROFILE or the default
}

// newCmdKube builds tok kube. It only parses: runF (nil = d.runKube)
// does the work.
func newCmdKube(d *Deps, runF func(*kubeOptions) error) *cobra.Command {
	return &cobra.Command{
		Use:   "kube [-p PROFILE]",
		Short: "kubectl credential plugin: print an ExecCredential (same as token -o exec-credential)",
		Long: `Print an ExecCredential for kubectl's exec credential plugin mechanism: the
profile's access token or ID token (its --k8s-token setting) and an
expirationTimestamp one refresh margin before the token expires (at most
half its lifetime, always in the future), so kubectl asks again before the
API server would reject it.

The apiVersion follows KUBERNETES_EXEC_INFO (v1beta1 when it is absent). When
kubectl says the session is not interactive, or stdin is not a terminal, and
a login is needed, tok fails at once with "login required; run: tok login -p
NAME", which kubectl shows. Otherwise the login flow runs with every prompt on
stderr.

The profile comes from -p, else from the cluster's exec extension (with
provideClusterInfo: true; see tok kubeconfig set-credentials --from-cluster),
else TOK_PROFILE, else the default profile. Set it up with:

  tok kubeconfig set-credentials oidc-user -p PROFILE`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := &kubeOptions{Profile: d.profileFlag}
			if runF != nil {
				return runF(opts)
			}
			return d.runKube(cmd.Context(), opts)
		},
	}
}

// runKube writes kubectl's ExecCredential.
func (d *Deps) runKube(ctx context.Context, opts *kubeOptions) error {
	svc, err := d.service()
	if err != nil {
		return err
	}
	return d.writeExecCredential(ctx, svc, opts.Profile)
}

// writeExecCredential writes the ExecCredential of profile named (""
// = the cluster's exec extension, TOK_PROFILE or the default) for kubectl
// (tok kube, tok token -o exec-credential).
func (d *Deps) writeExecCredential(ctx context.Context, svc *tokens.Service, named string) error {
	info, err := execcred.ParseInfo(d.getenv(execcred.EnvVar))
	if err != nil {
		return err
	}
	cluster, _ := execcred.ClusterProfile(info)
	name := plan.Profile(named, cluster, d.getenv)
	// kubectl says whether it handed us its terminal; without
	// KUBERNETES_EXEC_INFO, only a terminal on stdin and stderr counts.
	interactive := d.io.CanPrompt()
	if info.Provided {
		interactive = info.Interactive && interactive
	}
	cred, err := d.tokenOrLogin(ctx, svc, name, record.Options{Kubernetes: true}, interactive)
	if err != nil {
		return err
	}
	return output.WriteExecCredential(d.io.Out, info, cred, d.now())
}

type setCredentialsOptions struct {
	kubeconfig  string
	context     string
	print       bool
	fromCluster bool
}

func newKubeconfigCmd(d *Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Set up kubectl to get its credentials from tok",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	var o setCredentialsOptions
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
			return d.runSetCredentials(args[0], o)
		},
	}
	f := set.Flags()
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file to change (default: $KUBECONFIG's first file or ~/.kube/config)")
	f.StringVar(&o.context, "context", "", "also point this context at USER")
	f.BoolVar(&o.print, "print", false, "print the YAML stanza and the kubectl command instead of writing")
	f.BoolVar(&o.fromCluster, "from-cluster", false, "take the profile from each cluster's exec extension instead of -p")
	cmd.AddCommand(set)
	return cmd
}

func (d *Deps) runSetCredentials(user string, o setCredentialsOptions) error {
	name := d.profileName()
	if name == "" && !o.fromCluster {
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
		ProvideClusterInfo: o.fromCluster,
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
	path := o.kubeconfig
	if path == "" {
		path = kubeconfig.DefaultPath()
	}
	if o.print {
		stanza, command := kubeconfig.Render(user, eu)
		kcFlag := ""
		if o.kubeconfig != "" {
			kcFlag = " --kubeconfig " + output.ShellQuote(path)
		}
		command += kcFlag
		if o.context != "" {
			// What --context does when writing: the context uses USER.
			stanza += fmt.Sprintf("# and in the contexts entry %s:\n#   context:\n#     user: %s\n", o.context, user)
			command += fmt.Sprintf("\nkubectl config set-context %s --user=%s%s", output.ShellQuote(o.context), output.ShellQuote(user), kcFlag)
		}
		fmt.Fprintf(d.io.Out, "%s\n# or, with kubectl:\n%s\n", stanza, command)
		return nil
	}
	if err := kubeconfig.SetCredentials(path, user, eu, o.context); err != nil {
		return err
	}
	msg := fmt.Sprintf("Set user %q in %s to get its credentials from tok", user, path)
	if o.context != "" {
		msg += fmt.Sprintf("; context %q now uses it", o.context)
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
