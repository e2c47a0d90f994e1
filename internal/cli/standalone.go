package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kubelogin/kubelogin/internal/kubeconfig"
	"github.com/kubelogin/kubelogin/internal/token"
)

// kubeconfigOptions select kubeconfig entries as kubectl's flags of the same names do.
type kubeconfigOptions struct {
	Kubeconfig string
	Context    string
	User       string
}

func (o *kubeconfigOptions) addFlags(f *pflag.FlagSet, userUsage string) {
	f.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)")
	f.StringVar(&o.Context, "context", "", "kubeconfig context (default: the current context)")
	f.StringVar(&o.User, "user", "", userUsage)
}

// standaloneOptions are the bare command's flags: the kubeconfig user, and
// get-token's flags for the login. The provider's settings come from the
// user's auth-provider; the flags that name them override it.
type standaloneOptions struct {
	kubeconfig kubeconfigOptions
	getToken   getTokenOptions
}

// providerFlags are taken from the kubeconfig's auth-provider in the standalone mode.
var providerFlags = []string{"oidc-issuer-url", "oidc-client-id", "oidc-client-secret", "oidc-extra-scope", "token-cache-dir", "token-cache-storage"}

func (c *Cmd) addStandalone(root *cobra.Command) {
	var o standaloneOptions
	f := root.Flags()
	f.SortFlags = false
	o.kubeconfig.addFlags(f, "kubeconfig user (default: the user of the context)")
	o.getToken.addFlags(f)
	for _, name := range providerFlags {
		f.MarkHidden(name)
	}
	root.RunE = func(cmd *cobra.Command, _ []string) error {
		files := kubeconfig.Files(o.kubeconfig.Kubeconfig, c.OS.Getenv, c.OS.UserHomeDir)
		target, err := c.Standalone.Find(files, o.kubeconfig.Context, o.kubeconfig.User)
		if err != nil {
			return err
		}
		ap, flags, g := target.AuthProvider, cmd.Flags(), &o.getToken
		if !flags.Changed("oidc-issuer-url") {
			g.Provider.IssuerURL = ap.IssuerURL
		}
		if !flags.Changed("oidc-client-id") {
			g.Provider.ClientID = ap.ClientID
		}
		if !flags.Changed("oidc-client-secret") {
			g.Provider.ClientSecret = token.Secret(ap.ClientSecret)
		}
		if !flags.Changed("oidc-extra-scope") {
			g.Provider.ExtraScopes = ap.ExtraScopes
		}
		if ap.CAFile != "" {
			g.HTTP.CAFiles = append(g.HTTP.CAFiles, ap.CAFile)
		}
		if ap.CAData != "" {
			g.HTTP.CAData = append(g.HTTP.CAData, ap.CAData)
		}
		in, err := g.input(flags, c.OS, c.Log.Printf)
		if err != nil {
			return err
		}
		return c.Standalone.Run(cmd.Context(), target, in)
	}
}
