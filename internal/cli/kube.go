package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/execcred"
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
