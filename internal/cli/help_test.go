package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/system"
)

// runCLI runs the command line with args and returns its exit code and
// output (stdout and stderr together).
func runCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	c := &Cmd{OS: system.OS{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}, Log: logger.New(nil)}
	code := c.Run(context.Background(), args)
	return code, out.String()
}

var allCommands = []string{"", "get-token", "setup", "logout", "clean", "status", "convert-kubeconfig", "version"}

// TestHelpFitsEightyColumns: --help written to something that is not a
// terminal fits in 80 columns, the flag descriptions wrapped.
func TestHelpFitsEightyColumns(t *testing.T) {
	for _, name := range allCommands {
		args := strings.Fields(name + " --help")
		code, out := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, out)
		}
		for i, line := range strings.Split(out, "\n") {
			if len(line) > 80 {
				t.Errorf("kubelogin %s --help, line %d is %d columns wide:\n%s", name, i+1, len(line), line)
			}
		}
	}
}

func TestFlagUsagesLayout(t *testing.T) {
	root := (&Cmd{}).root()
	var getToken = root.Commands()[0]
	for _, c := range root.Commands() {
		if c.Name() == "get-token" {
			getToken = c
		}
	}
	out := flagUsages(getToken.LocalFlags(), 80)
	// A long name: its description starts on the next line, in the column.
	if !strings.Contains(out, "      --oidc-auth-request-extra-params stringToString\n                                  extra parameter KEY=VALUE") {
		t.Errorf("long flag name laid out as:\n%s", out)
	}
	// Every flag is there, each description whole.
	for _, want := range []string{"--oidc-issuer-url string", "issuer URL of the OpenID provider", "(default \"auto\")"} {
		if !strings.Contains(out, want) {
			t.Errorf("%q missing from:\n%s", want, out)
		}
	}
	wide := flagUsages(getToken.LocalFlags(), 200)
	if strings.Count(wide, "\n") >= strings.Count(out, "\n") {
		t.Errorf("200 columns are not used: %d lines, at 80 columns %d", strings.Count(wide, "\n"), strings.Count(out, "\n"))
	}
}

// TestHelpShowsTheEnvironmentVariables of the commands that read them.
func TestHelpShowsTheEnvironmentVariables(t *testing.T) {
	for name, want := range map[string]bool{"get-token": true, "setup": true, "logout": true, "clean": false, "status": false} {
		_, out := runCLI(t, name, "--help")
		if got := strings.Contains(out, "[$KUBELOGIN_OIDC_ISSUER_URL]") || strings.Contains(out, "[$KUBELOGIN_"); got != want {
			t.Errorf("%s --help shows KUBELOGIN_ variables: %t, want %t\n%s", name, got, want, out)
		}
	}
}

// TestHelpListsTheFlagsThatApply: logout does not log in, so its help has no
// login flags and no --force-refresh; it still accepts them, as the args of a
// kubeconfig carry them. --force-refresh is a cache flag.
func TestHelpListsTheFlagsThatApply(t *testing.T) {
	_, out := runCLI(t, "logout", "--help")
	for _, name := range []string{"--force-refresh", "--listen-address", "--browser-command", "--skip-open-browser", "--authentication-timeout-sec", "--password-command"} {
		if strings.Contains(out, name+" ") {
			t.Errorf("logout --help offers %s:\n%s", name, out)
		}
	}
	for _, name := range []string{"--oidc-issuer-url", "--grant-type", "--username", "--token-cache-dir", "--certificate-authority", "--oidc-client-assertion-key"} {
		if !strings.Contains(out, name+" ") {
			t.Errorf("logout --help lacks %s, which selects the login:\n%s", name, out)
		}
	}
	root := (&Cmd{}).root()
	logout, _, err := root.Find([]string{"logout"})
	if err != nil {
		t.Fatal(err)
	}
	if err := logout.ParseFlags([]string{"--oidc-issuer-url=https://i", "--listen-address=127.0.0.1:0", "--force-refresh", "--browser-command=x"}); err != nil {
		t.Errorf("logout no longer accepts get-token's args: %v", err)
	}

	for _, name := range []string{"", "get-token"} {
		_, out := runCLI(t, strings.Fields(name+" --help")...)
		cache := section(out, "Cache flags:")
		if !strings.Contains(cache, "--force-refresh") || strings.Contains(section(out, "Provider flags:"), "--force-refresh") {
			t.Errorf("kubelogin %s --help: --force-refresh is not under Cache flags:\n%s", name, out)
		}
	}
}

// section returns the lines of out from title to the next blank line.
func section(out, title string) string {
	i := strings.Index(out, "\n"+title+"\n")
	if i < 0 {
		return ""
	}
	s := out[i+1:]
	if j := strings.Index(s, "\n\n"); j >= 0 {
		s = s[:j]
	}
	return s
}

func TestUnknownCommandsAndFlagsSuggest(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"get-token", "--oidc-isuer=https://i"}, "error: unknown flag: --oidc-isuer (did you mean --oidc-issuer-url?)\n"},
		{[]string{"get-token", "--oidc-client-di=x"}, "error: unknown flag: --oidc-client-di (did you mean --oidc-client-id?)\n"},
		{[]string{"logout", "--token-cache-dri=x"}, "error: unknown flag: --token-cache-dri (did you mean --token-cache-dir?)\n"},
		{[]string{"--kubeconfg=x"}, "error: unknown flag: --kubeconfg (did you mean --kubeconfig?)\n"},
		{[]string{"clean", "--listen-address=x"}, "error: unknown flag: --listen-address (a flag of get-token, logout and setup, not of kubelogin clean)\n"},
		{[]string{"status", "--zzz"}, "error: unknown flag: --zzz\n"},
		{[]string{"get-tokn"}, "error: unknown command \"get-tokn\" for \"kubelogin\" (did you mean get-token?)\n"},
		{[]string{"stauts"}, "error: unknown command \"stauts\" for \"kubelogin\" (did you mean status?)\n"},
		{[]string{"foo"}, "error: unknown command \"foo\" for \"kubelogin\" (run \"kubelogin --help\" for the commands)\n"},
	} {
		code, out := runCLI(t, tc.args...)
		if code != 1 || out != tc.want {
			t.Errorf("kubelogin %s: exit %d\n got %q\nwant %q", strings.Join(tc.args, " "), code, out, tc.want)
		}
	}
}

func TestNearest(t *testing.T) {
	names := []string{"oidc-issuer-url", "oidc-client-id", "oidc-client-secret", "token-cache-dir", "token-cache-storage", "v", "username"}
	for typed, want := range map[string]string{
		"oidc-isuer":      "oidc-issuer-url",
		"oidc-issuer":     "oidc-issuer-url",
		"oidc-issuer-uri": "oidc-issuer-url",
		"oidc-client":     "oidc-client-id", // shorter of two equal prefixes
		"token-cache":     "token-cache-dir",
		"usrname":         "username",
		"x":               "",
		"password":        "",
		"cache-dir":       "",
	} {
		if got := nearest(typed, names); got != want {
			t.Errorf("nearest(%q) = %q, want %q", typed, got, want)
		}
	}
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "abc", 3}, {"kitten", "sitting", 3}, {"same", "same", 0}, {"oidc-isuer", "oidc-issuer", 1}, {"stauts", "status", 1}} {
		if got := levenshtein(tc.a, tc.b); got != tc.d {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}
