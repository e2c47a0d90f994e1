package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

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
		"oidc-request-timeout", "issuer", "client-id"}},
	{"Login flags", []string{"grant-type", "listen-address", "skip-open-browser", "browser-command", "authentication-timeout-sec",
		"local-server-cert", "local-server-key", "open-url-after-authentication", "username", "password", "password-command"}},
	{"Client authentication flags (client-credentials)", []string{"oidc-client-assertion-key", "oidc-client-assertion-cert",
		"oidc-client-assertion-kid", "oidc-client-assertion-file", "oidc-client-assertion-env"}},
	{"Token exchange and audience flags", []string{"token-exchange-subject-token", "token-exchange-subject-token-file", "token-exchange-subject-token-env", "token-exchange-subject-token-type", "token-exchange-actor-token", "token-exchange-actor-token-type", "token-exchange-requested-token-type", "token-exchange-audience", "token-exchange-resource", "request-audience", "request-audience-by"}},
	{"Cache flags", []string{"token-cache-dir", "token-cache-storage", "force-refresh"}},
	{"TLS flags", []string{"certificate-authority", "certificate-authority-data", "insecure-skip-tls-verify",
		"tls-renegotiation-once", "tls-renegotiation-freely"}},
	{"Kubeconfig flags", []string{"kubeconfig", "context", "cluster", "cluster-audience", "user", "write-kubeconfig", "dry-run", "exec-command"}},
}

// readsEnv are the commands that read every flag from its KUBELOGIN_
// variable too (applyFlagEnv): their --help shows each variable.
var readsEnv = map[string]bool{"get-token": true, "setup": true, "logout": true}

// unusedFlags are flags a command accepts but does not use: it takes
// get-token's flags so that the args copied from a kubeconfig work, but its
// --help leaves these out. logout only finds the cached login (whose key
// needs the provider, client authentication, cache and TLS flags, the grant
// type and the username) and revokes it: it never logs in. setup always
// logs in.
var unusedFlags = map[string][]string{
	"logout": {"force-refresh", "listen-address", "skip-open-browser", "browser-command", "authentication-timeout-sec",
		"local-server-cert", "local-server-key", "open-url-after-authentication", "password", "password-command"},
	"setup": {"force-refresh"},
}

// groupedUsage is the usage function of every command: cobra's layout, with
// the local flags grouped by topic, only the flags the command uses, and the
// flag descriptions wrapped to the terminal (80 columns when the output is
// not one).
func groupedUsage(c *cobra.Command) error {
	w := c.OutOrStderr()
	width := helpWidth(w)
	if readsEnv[c.Name()] {
		documentFlagEnv(c.LocalFlags())
	}
	for _, name := range unusedFlags[c.Name()] {
		if f := c.Flags().Lookup(name); f != nil {
			f.Hidden = true // still accepted: only the help leaves it out
		}
	}
	fmt.Fprintf(w, "Usage:")
	if c.Runnable() {
		fmt.Fprintf(w, "\n%s", wrapWords(c.UseLine(), width, "  ", "      "))
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
				fmt.Fprintf(w, "\n%s", wrapWords(sub.Short, width, fmt.Sprintf("  %-*s ", sub.NamePadding(), sub.Name()), strings.Repeat(" ", sub.NamePadding()+3)))
			}
		}
	}
	if c.HasAvailableLocalFlags() {
		writeFlagGroups(w, c.LocalFlags(), width)
	}
	if c.HasAvailableInheritedFlags() {
		fmt.Fprintf(w, "\n\nGlobal Flags:\n%s", flagUsages(c.InheritedFlags(), width))
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\n\nUse \"%s [command] --help\" for more information about a command.", c.CommandPath())
	}
	fmt.Fprintln(w)
	return nil
}

func writeFlagGroups(w io.Writer, flags *pflag.FlagSet, width int) {
	placed := map[string]bool{}
	section := func(title string, fs *pflag.FlagSet) {
		if u := flagUsages(fs, width); u != "" {
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

// helpWidth is the width --help wraps to: the terminal's when w is one, else
// 80 columns (a pipe, a file, a test).
func helpWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols >= 40 {
			return cols
		}
	}
	return 80
}

// flagUsages lays out fs's flags as pflag does (names, then descriptions in
// a column), within width: descriptions are wrapped in their column, and a
// name too long to leave the column room (more than 4/10 of the width) has
// its description start on the next line, in the same column.
func flagUsages(fs *pflag.FlagSet, width int) string {
	type entry struct{ name, desc string }
	var entries []entry
	// pflag's own text for each flag, unwrapped: "  -v, --v int  usage (default 0)".
	for _, line := range strings.Split(strings.TrimRight(fs.FlagUsagesWrapped(0), " \n"), "\n") {
		body := strings.TrimLeft(line, " ")
		if body == "" {
			continue
		}
		if !strings.HasPrefix(body, "-") && len(entries) > 0 { // a usage of several lines
			entries[len(entries)-1].desc += " " + body
			continue
		}
		name, desc, _ := strings.Cut(body, "  ")
		entries = append(entries, entry{line[:len(line)-len(body)] + name, strings.TrimSpace(desc)})
	}
	long := width * 4 / 10
	col := 0
	for _, e := range entries {
		if len(e.name) <= long {
			col = max(col, len(e.name)+2)
		}
	}
	col = max(col, 10)
	pad := strings.Repeat(" ", col)
	var b strings.Builder
	for i, e := range entries {
		if i > 0 {
			b.WriteByte('\n')
		}
		if e.desc == "" {
			b.WriteString(e.name)
			continue
		}
		first, rest := e.name+strings.Repeat(" ", max(col-len(e.name), 0)), pad
		if longestWord(e.desc) > width-col { // [$KUBELOGIN_…_TYPE]: a narrower indent
			b.WriteString(e.name + "\n")
			first, rest = strings.Repeat(" ", 10), strings.Repeat(" ", 10)
		} else if len(e.name)+2 > col {
			b.WriteString(e.name + "\n")
			first = pad
		}
		b.WriteString(wrapWords(e.desc, width, first, rest))
	}
	return b.String()
}

func longestWord(s string) int {
	n := 0
	for _, w := range strings.Fields(s) {
		n = max(n, len(w))
	}
	return n
}

// wrapWords breaks s at spaces into lines of at most width columns (a word
// longer than that gets a line of its own), the first starting with first,
// the others with rest.
func wrapWords(s string, width int, first, rest string) string {
	var b strings.Builder
	line := first
	for _, word := range strings.Fields(s) {
		if line != first && line != rest && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = rest
		}
		if line != first && line != rest {
			line += " "
		}
		line += word
	}
	b.WriteString(line)
	return b.String()
}
