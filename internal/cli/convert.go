package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/kubelogin/kubelogin/internal/kubeconfig"
	"github.com/kubelogin/kubelogin/internal/usecase"
)

func (c *Cmd) convertCmd() *cobra.Command {
	var (
		k         kubeconfigOptions
		dryRun    bool
		command   string
		execForm  string
		audiences []string
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

When kubectl-oidc_login is not on PATH, "kubectl oidc-login" cannot work:
converted users then run this kubelogin by its path ("<path> get-token"), and
users that run "kubectl oidc-login" are moved to it too; --exec-form=direct
does the same in any case (see --exec-form).

The change is shown as a diff (secrets redacted); each file changed is kept
as a backup beside it. --dry-run only shows the diff. --context limits the
conversion to that context's user.

--cluster-audience=CLUSTER=AUDIENCE (once per cluster) sets the audience in
the cluster's exec extension (client.authentication.k8s.io/exec) and
provideClusterInfo on the kubelogin users of its contexts: one user then
serves every cluster with a token for each (see docs/multi-cluster.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cas, err := parseClusterAudiences(audiences)
			if err != nil {
				return err
			}
			in := usecase.ConvertInput{
				ClusterAudiences: cas,

				Files:   kubeconfig.Files(k.Kubeconfig, c.OS.Getenv, c.OS.UserHomeDir),
				Context: k.Context,
				DryRun:  dryRun,
				Command: command,
			}
			note := ""
			if !cmd.Flags().Changed("exec-command") {
				ec, err := kubeconfig.ResolveExecCommand(execForm, c.OS.Getenv, c.OS.Executable)
				if err != nil {
					return err
				}
				in.Command, note = ec.Command, execNote(execForm, ec, "convert-kubeconfig")
				in.Direct = ec.Command != "kubectl"
				if ec.PluginMissing {
					in.DirectReason = " (" + kubeconfig.PluginName + " is not on PATH)"
				}
			} else if cmd.Flags().Changed("exec-form") {
				return errors.New("convert-kubeconfig takes --exec-command or --exec-form, not both: give one of them")
			}
			res, err := c.Convert.Run(in)
			if res != nil {
				writeConvert(c.OS.Stdout, res, note, err == nil)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&k.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: every file of $KUBECONFIG, else ~/.kube/config)")
	f.StringVar(&k.Context, "context", "", "convert only the user of this context")
	f.BoolVar(&dryRun, "dry-run", false, "show the change without writing it")
	f.StringVar(&command, "exec-command", "", `command of the converted users: "kubectl" runs "kubectl oidc-login get-token" (kubelogin installed as a kubectl plugin), any other runs "<command> get-token" (default: chosen by --exec-form)`)
	addClusterAudienceFlag(f, &audiences)
	addExecFormFlag(f, &execForm)
	return cmd
}

// writeConvert shows what convert-kubeconfig did, file by file. note says
// why the exec form is the one it is; ok tells whether it ended without an error.
func writeConvert(w io.Writer, res *usecase.ConvertResult, note string, ok bool) {
	if note != "" && res.UsedCommand {
		fmt.Fprintf(w, "%s.\n", note)
	}
	changed := false
	for _, f := range res.Files {
		for _, n := range f.Notes {
			if n.Cluster != "" {
				fmt.Fprintf(w, "%s: cluster %s: %s\n", f.Path, n.Cluster, n.Note)
				continue
			}
			fmt.Fprintf(w, "%s: user %s: %s\n", f.Path, n.User, n.Note)
		}
		if f.Diff == "" {
			continue
		}
		changed = true
		fmt.Fprintf(w, "\n%s\n", f.Diff)
		switch {
		case res.DryRun:
			fmt.Fprintf(w, "Dry run: %s was not written.\n", f.Path)
		case f.Written:
			fmt.Fprintf(w, "Wrote %s (the previous file is %s).\n", f.Path, f.Backup)
		}
	}
	if !changed && ok {
		fmt.Fprintf(w, "Nothing to convert.\n")
	}
}
