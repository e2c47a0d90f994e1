package cli

import (
	"github.com/spf13/cobra"

	"github.com/kubelogin/kubelogin/internal/kubeconfig"
	"github.com/kubelogin/kubelogin/internal/usecase"
)

func (c *Cmd) convertCmd() *cobra.Command {
	var (
		k       kubeconfigOptions
		dryRun  bool
		command string
	)
	cmd := &cobra.Command{
		Use:   "convert-kubeconfig [--context=NAME] [--dry-run]",
		Short: "Move kubeconfig users from the legacy oidc auth-provider to kubelogin's exec plugin",
		Long: `convert-kubeconfig rewrites kubeconfig users that use the legacy
"auth-provider: oidc" (legacy: kubectl only refreshes its tokens and cannot
log in) to run
"kubectl oidc-login get-token" with the same issuer, client, client secret, CA
and scopes, and apiVersion client.authentication.k8s.io/v1 with
interactiveMode IfAvailable. Users that already run kubelogin get obsolete
flags replaced and a missing or unsuitable interactiveMode set; other users
are left alone.

The change is shown as a diff (secrets redacted); each file changed is kept
as a backup beside it. --dry-run only shows the diff. --context limits the
conversion to that context's user.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.Convert.Run(usecase.ConvertInput{
				Files:   kubeconfig.Files(k.Kubeconfig, c.OS.Getenv),
				Context: k.Context,
				DryRun:  dryRun,
				Command: command,
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&k.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: every file of $KUBECONFIG, else ~/.kube/config)")
	f.StringVar(&k.Context, "context", "", "convert only the user of this context")
	f.BoolVar(&dryRun, "dry-run", false, "show the change without writing it")
	f.StringVar(&command, "exec-command", "kubectl", `command of the converted users: "kubectl" runs "kubectl oidc-login get-token" (kubelogin installed as a kubectl plugin), any other runs "<command> get-token"`)
	return cmd
}
