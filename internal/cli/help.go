package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kubelogin/kubelogin/internal/grant"
	"github.com/kubelogin/kubelogin/internal/tokencache"
)

// flagGroups orders --help by topic. Flags not listed fall under "Other flags".
var flagGroups = []struct {
	title string
	names []string
}{
	{"Provider flags", []string{"oidc-issuer-url", "oidc-client-id", "oidc-client-secret", "oidc-extra-scope", "oidc-redirect-url",
		"oidc-use-access-token", "oidc-request-header", "oidc-auth-request-extra-params", "oidc-pkce-method", "oidc-login-hint",
		"oidc-request-timeout", "force-refresh", "issuer", "client-id"}},
	{"Login flags", []string{"grant-type", "listen-address", "skip-open-browser", "browser-command", "authentication-timeout-sec",
		"local-server-cert", "local-server-key", "open-url-after-authentication", "username", "password", "password-command"}},
	{"Client authentication flags (client-credentials)", []string{"oidc-client-assertion-key", "oidc-client-assertion-cert",
		"oidc-client-assertion-kid", "oidc-client-assertion-file", "oidc-client-assertion-env"}},
	{"Token exchange and audience flags", []string{"token-exchange-subject-token", "token-exchange-subject-token-file", "token-exchange-subject-token-env", "token-exchange-subject-token-type", "token-exchange-actor-token", "token-exchange-actor-token-type", "token-exchange-requested-token-type", "token-exchange-audience", "token-exchange-resource", "request-audience", "request-audience-by"}},
	{"Cache flags", []string{"token-cache-dir", "token-cache-storage"}},
	{"TLS flags", []string{"certificate-authority", "certificate-authority-data", "insecure-skip-tls-verify",
		"tls-renegotiation-once", "tls-renegotiation-freely"}},
	{"Kubeconfig flags", []string{"kubeconfig", "context", "cluster", "user", "write-kubeconfig", "dry-run", "exec-command"}},
}

// groupedUsage is the usage function of every command: cobra's layout, with
// the local flags grouped by topic.
func groupedUsage(c *cobra.Command) error {
	w := c.OutOrStderr()
	fmt.Fprintf(w, "Usage:")
	if c.Runnable() {
		fmt.Fprintf(w, "\n  %s", c.UseLine())
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\n  %s [command]", c.CommandPath())
	}
	if len(c.Aliases) > 0 {
		fmt.Fprintf(w, "\n\nAliases:\n  %s", c.NameAndAliases())
	}
	if c.HasExample() {
		fmt.Fprintf(w, "\n\nExamples:\n%s", c.Example)
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\n\nAvailable Commands:")
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() || sub.Name() == "help" {
				fmt.Fprintf(w, "\n  %-*s %s", sub.NamePadding(), sub.Name(), sub.Short)
			}
		}
	}
	if c.HasAvailableLocalFlags() {
		writeFlagGroups(w, c.LocalFlags())
	}
	if c.HasAvailableInheritedFlags() {
		fmt.Fprintf(w, "\n\nGlobal Flags:\n%s", strings.TrimRight(c.InheritedFlags().FlagUsages(), " \n"))
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\n\nUse \"%s [command] --help\" for more information about a command.", c.CommandPath())
	}
	fmt.Fprintln(w)
	return nil
}

func writeFlagGroups(w io.Writer, flags *pflag.FlagSet) {
	placed := map[string]bool{}
	section := func(title string, fs *pflag.FlagSet) {
		if u := strings.TrimRight(fs.FlagUsages(), " \n"); u != "" {
			fmt.Fprintf(w, "\n\n%s:\n%s", title, u)
		}
	}
	for _, g := range flagGroups {
		fs := pflag.NewFlagSet(g.title, pflag.ContinueOnError)
		fs.SortFlags = false // the order of flagGroups, most used first
		for _, name := range g.names {
			if f := flags.Lookup(name); f != nil {
				fs.AddFlag(f)
				placed[name] = true
			}
		}
		section(g.title, fs)
	}
	other := pflag.NewFlagSet("other", pflag.ContinueOnError)
	flags.VisitAll(func(f *pflag.Flag) {
		if !placed[f.Name] {
			other.AddFlag(f)
		}
	})
	title := "Other flags"
	if len(placed) == 0 {
		title = "Flags"
	}
	section(title, other)
}

// completeValues registers shell completion of the flags whose values are a
// fixed set, on every command that has them.
func completeValues(cmd *cobra.Command) {
	sets := map[string][]string{
		"grant-type":          grant.Types,
		"token-cache-storage": tokencache.Storages,
		"oidc-pkce-method":    pkce,
		"output":              {"table", "json"},
	}
	for name, values := range sets {
		if cmd.Flags().Lookup(name) != nil {
			cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
		}
	}
	for _, sub := range cmd.Commands() {
		completeValues(sub)
	}
}
