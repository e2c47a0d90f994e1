package cli

import (
	"encoding/json"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kubelogin/kubelogin/internal/tokencache"
	"github.com/kubelogin/kubelogin/internal/usecase"
)

// cacheOptions select cached logins, for clean and status.
type cacheOptions struct {
	TokenCacheDir     string
	TokenCacheStorage string
	Issuer            string
	ClientID          string
}

func (o *cacheOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.TokenCacheDir, "token-cache-dir", "", "token cache directory (default $KUBECACHEDIR/oidc-login, else ~/.kube/cache/oidc-login)")
	f.StringVar(&o.TokenCacheStorage, "token-cache-storage", tokencache.StorageDisk, "accepted for compatibility: logins in files and in the keyring are both included")
	f.StringVar(&o.Issuer, "issuer", "", "only the logins at this issuer URL")
	f.StringVar(&o.ClientID, "client-id", "", "only the logins of this client ID")
}

func (o *cacheOptions) dir(getenv func(string) string) string {
	if o.TokenCacheDir != "" {
		return o.TokenCacheDir
	}
	return usecase.DefaultCacheDir(getenv, os.UserHomeDir)
}

func (o *cacheOptions) check() error {
	return oneOf("--token-cache-storage", o.TokenCacheStorage, tokencache.Storages)
}

func (o *cacheOptions) filter() usecase.CacheFilter {
	return usecase.CacheFilter{Issuer: o.Issuer, ClientID: o.ClientID}
}

func (c *Cmd) cleanCmd() *cobra.Command {
	var o cacheOptions
	cmd := &cobra.Command{
		Use:   "clean [--issuer=URL] [--client-id=ID]",
		Short: "Remove cached logins (files and keyring)",
		Long: `clean removes the cached logins of the token cache directory, in files and
in the OS keyring, so that the next kubectl command logs in again. The tokens
are not revoked: "kubelogin logout" does that. --issuer and --client-id keep
the other logins.

clean removes only what kubelogin wrote: the directory itself goes only when
nothing else is left in it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.check(); err != nil {
				return err
			}
			res, err := c.Clean.Run(usecase.CleanInput{Dir: o.dir(c.OS.Getenv), Filter: o.filter()})
			if res != nil {
				writeClean(c.OS.Stdout, res, err == nil)
			}
			return err
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

func (c *Cmd) statusCmd() *cobra.Command {
	var o cacheOptions
	var output string
	cmd := &cobra.Command{
		Use:     "status [-o table|json] [--issuer=URL] [--client-id=ID]",
		Aliases: []string{"whoami"},
		Short:   "List the cached logins: who, at which provider, until when",
		Long: `status lists the cached logins of the token cache directory, in files and in
the OS keyring: issuer, client, user (email, else subject), groups, the expiry
of the ID token and of the refresh token (when the provider says), and where
the login is kept. It shows no token. -o json prints the same as JSON.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.check(); err != nil {
				return err
			}
			if err := oneOf("--output", output, []string{"table", "json"}); err != nil {
				return err
			}
			res, err := c.Status.Run(usecase.StatusInput{Dir: o.dir(c.OS.Getenv), Filter: o.filter()})
			if err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(c.OS.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(res.Logins)
			}
			return writeStatus(c.OS.Stdout, res)
		},
	}
	o.addFlags(cmd.Flags())
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

func (c *Cmd) logoutCmd() *cobra.Command {
	var o getTokenOptions
	cmd := &cobra.Command{
		Use:   "logout --oidc-issuer-url=URL --oidc-client-id=ID [get-token flags]",
		Short: "Revoke a cached login at the provider and remove it",
		Long: `logout takes get-token's flags (copy them from the kubeconfig) and removes the
login that get-token would use with them, from files or the keyring. First it
revokes the login's refresh token at the provider (RFC 7009), when the
provider's discovery document lists a revocation endpoint; if the provider
refuses, the login is kept so that you can try again. The login's per-cluster
tokens (--request-audience, or a cluster's audience with provideClusterInfo)
are removed with it; --request-audience here names the login, not one cluster.`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			_, err := applyFlagEnv(cmd.Flags(), c.flagGetenv())
			return err
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := o.input(cmd.Flags(), c.OS, c.Log.Printf)
			if err != nil {
				return err
			}
			res, err := c.Logout.Run(cmd.Context(), in)
			if res != nil {
				writeLogout(c.OS.Stdout, res, err == nil)
			}
			return err
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}
