package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kubelogin/kubelogin/internal/grant"
	"github.com/kubelogin/kubelogin/internal/system"
	"github.com/kubelogin/kubelogin/internal/usecase"
)

func TestFlagEnvName(t *testing.T) {
	for flag, want := range map[string]string{
		"grant-type":                     "KUBELOGIN_GRANT_TYPE",
		"oidc-issuer-url":                "KUBELOGIN_OIDC_ISSUER_URL",
		"oidc-auth-request-extra-params": "KUBELOGIN_OIDC_AUTH_REQUEST_EXTRA_PARAMS",
		"password":                       "KUBELOGIN_PASSWORD",
		"password-command":               "KUBELOGIN_PASSWORD_COMMAND",
		"oidc-client-assertion-env":      "KUBELOGIN_OIDC_CLIENT_ASSERTION_ENV",
		"v":                              "KUBELOGIN_V",
	} {
		if got := flagEnvName(flag); got != want {
			t.Errorf("flagEnvName(%q) = %q, want %q", flag, got, want)
		}
	}
}

// TestFlagEnvNameAsUpperSnakeCase checks the one-pass mapping against the
// rule it implements, for every flag of every command and a non-ASCII name.
func TestFlagEnvNameAsUpperSnakeCase(t *testing.T) {
	names := []string{"dé-jà", "x"}
	var visit func(*cobra.Command)
	visit = func(cmd *cobra.Command) {
		cmd.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
		for _, sub := range cmd.Commands() {
			visit(sub)
		}
	}
	visit((&Cmd{}).root())
	if len(names) < 60 {
		t.Fatalf("only %d flags found", len(names))
	}
	for _, name := range names {
		if got, want := flagEnvName(name), envPrefix+strings.ToUpper(strings.ReplaceAll(name, "-", "_")); got != want {
			t.Errorf("flagEnvName(%q) = %q, want %q", name, got, want)
		}
	}
}

// parseWithEnv parses args, then applies env as get-token does.
func parseWithEnv(t *testing.T, env map[string]string, args ...string) (usecase.GetTokenInput, []string, error) {
	t.Helper()
	var o getTokenOptions
	f := pflag.NewFlagSet("get-token", pflag.ContinueOnError)
	o.addFlags(f)
	if err := f.Parse(args); err != nil {
		t.Fatal(err)
	}
	set, err := applyFlagEnv(f, func(k string) string { return env[k] })
	if err != nil {
		return usecase.GetTokenInput{}, nil, err
	}
	in, err := o.input(f, system.OS{Getenv: func(k string) string { return env[k] }, UserHomeDir: func() (string, error) { return "/home/u", nil }}, func(string, ...any) {})
	return in, envNames(set), err
}

func TestFlagsFromEnvironment(t *testing.T) {
	base := map[string]string{"KUBELOGIN_OIDC_ISSUER_URL": "https://env", "KUBELOGIN_OIDC_CLIENT_ID": "env-client"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(t *testing.T, in usecase.GetTokenInput)
	}{
		{"strings", base, nil, func(t *testing.T, in usecase.GetTokenInput) {
			if in.Provider.IssuerURL != "https://env" || in.Provider.ClientID != "env-client" {
				t.Errorf("%+v", in.Provider)
			}
		}},
		{"a flag given wins", base, []string{"--oidc-client-id=flag-client"}, func(t *testing.T, in usecase.GetTokenInput) {
			if in.Provider.ClientID != "flag-client" {
				t.Errorf("client ID %q, want the flag's", in.Provider.ClientID)
			}
		}},
		{"empty is unset", with("KUBELOGIN_GRANT_TYPE", ""), nil, func(t *testing.T, in usecase.GetTokenInput) {
			if in.Login.GrantType != grant.TypeAuthCode {
				t.Errorf("grant %q", in.Login.GrantType)
			}
		}},
		{"grant, username and password", with("KUBELOGIN_USERNAME", "alice", "KUBELOGIN_PASSWORD", "s3cret"), nil, func(t *testing.T, in usecase.GetTokenInput) {
			if in.Login.GrantType != grant.TypePassword || in.Login.Username != "alice" || in.Login.Password.Reveal() != "s3cret" {
				t.Errorf("%+v", in.Login)
			}
		}},
		{"bool and int", with("KUBELOGIN_OIDC_USE_ACCESS_TOKEN", "true", "KUBELOGIN_AUTHENTICATION_TIMEOUT_SEC", "42"), nil, func(t *testing.T, in usecase.GetTokenInput) {
			if !in.Provider.UseAccessToken || in.Login.Timeout().Seconds() != 42 {
				t.Errorf("use access token %t, timeout %s", in.Provider.UseAccessToken, in.Login.Timeout())
			}
		}},
		{"comma lists replace the default", with("KUBELOGIN_LISTEN_ADDRESS", "127.0.0.1:1,127.0.0.1:2", "KUBELOGIN_OIDC_EXTRA_SCOPE", "email,groups"), nil, func(t *testing.T, in usecase.GetTokenInput) {
			if diff := cmp.Diff([]string{"127.0.0.1:1", "127.0.0.1:2"}, in.Login.ListenAddresses); diff != "" || !in.Login.ListenAddressesGiven {
				t.Errorf("listen addresses (given %t): %s", in.Login.ListenAddressesGiven, diff)
			}
			if diff := cmp.Diff([]string{"email", "groups"}, in.Provider.ExtraScopes); diff != "" {
				t.Error(diff)
			}
		}},
		{"KEY=VALUE maps", with("KUBELOGIN_OIDC_AUTH_REQUEST_EXTRA_PARAMS", "prompt=consent,audience=k8s"), nil, func(t *testing.T, in usecase.GetTokenInput) {
			if diff := cmp.Diff(map[string]string{"prompt": "consent", "audience": "k8s"}, in.Provider.AuthRequestExtraParams); diff != "" {
				t.Error(diff)
			}
		}},
		{"repeatable paths split like PATH", with("KUBELOGIN_CERTIFICATE_AUTHORITY", "/a/ca.pem:/b/ca,1.pem"), nil, func(t *testing.T, in usecase.GetTokenInput) {
			if diff := cmp.Diff([]string{"/a/ca.pem", "/b/ca,1.pem"}, in.HTTP.CAFiles); diff != "" {
				t.Error(diff)
			}
		}},
		{"a list flag given wins whole", with("KUBELOGIN_OIDC_EXTRA_SCOPE", "email"), []string{"--oidc-extra-scope=groups"}, func(t *testing.T, in usecase.GetTokenInput) {
			if diff := cmp.Diff([]string{"groups"}, in.Provider.ExtraScopes); diff != "" {
				t.Error(diff)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, _, err := parseWithEnv(t, tt.env, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, in)
		})
	}
}

func TestFlagsFromEnvironmentErrors(t *testing.T) {
	_, _, err := parseWithEnv(t, map[string]string{"KUBELOGIN_OIDC_USE_ACCESS_TOKEN": "sometimes-s3cret"})
	if err == nil || !strings.Contains(err.Error(), "environment variable KUBELOGIN_OIDC_USE_ACCESS_TOKEN is not a valid --oidc-use-access-token") {
		t.Errorf("err = %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the error shows the value: %v", err)
	}
}

func TestHelpShowsEnvironmentVariables(t *testing.T) {
	c := &Cmd{}
	cmd := c.getTokenCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.Usage()
	for _, want := range []string{"[$KUBELOGIN_GRANT_TYPE]", "[$KUBELOGIN_OIDC_ISSUER_URL]", "[$KUBELOGIN_PASSWORD_COMMAND]", "[$KUBELOGIN_OIDC_CLIENT_ASSERTION_FILE]"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %s", want)
		}
	}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && f.Name != "help" && !strings.Contains(f.Usage, "[$"+flagEnvName(f.Name)+"]") {
			t.Errorf("--%s does not show its environment variable", f.Name)
		}
	})
}

// Variables apply in the order of the flags' names, however the flag set
// walks its flags: the first bad one is reported, and the used ones are
// listed in that order.
func TestFlagEnvOrderIsByName(t *testing.T) {
	for _, sorted := range []bool{true, false} {
		fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
		fs.SortFlags = sorted
		fs.Int("zeta", 0, "")
		fs.Int("alpha", 0, "")
		fs.Int("mid", 0, "")
		env := map[string]string{"KUBELOGIN_ZETA": "1", "KUBELOGIN_ALPHA": "2", "KUBELOGIN_MID": "3"}
		set, err := applyFlagEnv(fs, func(k string) string { return env[k] })
		if used := envNames(set); err != nil || strings.Join(used, " ") != "KUBELOGIN_ALPHA KUBELOGIN_MID KUBELOGIN_ZETA" {
			t.Errorf("SortFlags %v: used %v, %v", sorted, used, err)
		}
		fs = pflag.NewFlagSet("x", pflag.ContinueOnError)
		fs.SortFlags = sorted
		fs.Int("zeta", 0, "")
		fs.Int("alpha", 0, "")
		env = map[string]string{"KUBELOGIN_ZETA": "z", "KUBELOGIN_ALPHA": "a"}
		if _, err := applyFlagEnv(fs, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "KUBELOGIN_ALPHA") {
			t.Errorf("SortFlags %v: err = %v, want KUBELOGIN_ALPHA's", sorted, err)
		}
	}
}

// Without a variable starting with KUBELOGIN_, no flag's variable is looked
// up; with one, in any case, or without the list of variables, all are.
func TestFlagGetenvLooksOnlyWhenSomeVariableCouldMatch(t *testing.T) {
	for _, tc := range []struct {
		environ []string
		want    bool
	}{
		{[]string{"PATH=/bin", "HOME=/home/u", "KUBELOGIN=x", "MY_KUBELOGIN_X=1"}, false},
		{[]string{"PATH=/bin", "KUBELOGIN_GRANT_TYPE=password"}, true},
		{[]string{"kubelogin_grant_type=password"}, true},
		{[]string{"KUBELOGIN_="}, true},
		{nil, false},
	} {
		lookups := 0
		c := &Cmd{OS: system.OS{
			Environ: func() []string { return tc.environ },
			Getenv:  func(string) string { lookups++; return "" },
		}}
		fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
		var o getTokenOptions
		o.addFlags(fs)
		if _, err := applyFlagEnv(fs, c.flagGetenv()); err != nil {
			t.Fatal(err)
		}
		if got := lookups > 0; got != tc.want {
			t.Errorf("environment %q: %d lookups, want some: %v", tc.environ, lookups, tc.want)
		}
	}
	lookups := 0
	c := &Cmd{OS: system.OS{Getenv: func(string) string { lookups++; return "" }}} // no Environ
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.String("grant-type", "", "")
	applyFlagEnv(fs, c.flagGetenv())
	if lookups != 1 {
		t.Errorf("without Environ: %d lookups, want 1", lookups)
	}
}
