package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/kubelogin/kubelogin/internal/grant"
	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/system"
	"github.com/kubelogin/kubelogin/internal/usecase"
)

func parse(t *testing.T, args ...string) (usecase.GetTokenInput, []string, error) {
	t.Helper()
	var o getTokenOptions
	f := pflag.NewFlagSet("get-token", pflag.ContinueOnError)
	o.addFlags(f)
	if err := f.Parse(args); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	env := map[string]string{"KUBECACHEDIR": "/kc"}
	in, err := o.input(f, system.OS{Getenv: func(k string) string { return env[k] }, UserHomeDir: func() (string, error) { return "/home/u", nil }}, func(format string, _ ...any) { warnings = append(warnings, format) })
	return in, warnings, err
}

func TestGetTokenFlagsToInput(t *testing.T) {
	base := []string{"--oidc-issuer-url=https://i", "--oidc-client-id=c"}
	for _, tc := range []struct {
		name  string
		args  []string
		check func(t *testing.T, in usecase.GetTokenInput)
	}{
		{"defaults", nil, func(t *testing.T, in usecase.GetTokenInput) {
			if diff := cmp.Diff([]string{"127.0.0.1:8000", "127.0.0.1:18000"}, in.Login.ListenAddresses); diff != "" {
				t.Error(diff)
			}
			if in.Login.GrantType != grant.TypeAuthCode || in.Provider.PKCEMethod != "auto" || in.Login.Timeout() != 180*time.Second {
				t.Errorf("%+v", in.Login)
			}
			if in.Cache.Dir != "/kc/oidc-login" || in.Cache.Storage != "disk" {
				t.Errorf("%+v", in.Cache)
			}
		}},
		{"seed 4: repeated scopes and inline CA", []string{"--oidc-extra-scope=email", "--oidc-extra-scope=profile", "--oidc-extra-scope=groups", "--certificate-authority-data=QUJD"}, func(t *testing.T, in usecase.GetTokenInput) {
			if diff := cmp.Diff([]string{"email", "profile", "groups"}, in.Provider.ExtraScopes); diff != "" {
				t.Error(diff)
			}
			if diff := cmp.Diff([]string{"QUJD"}, in.HTTP.CAData); diff != "" {
				t.Error(diff)
			}
		}},
		{"comma scopes", []string{"--oidc-extra-scope=email,groups"}, func(t *testing.T, in usecase.GetTokenInput) {
			if diff := cmp.Diff([]string{"email", "groups"}, in.Provider.ExtraScopes); diff != "" {
				t.Error(diff)
			}
		}},
		{"deprecated --oidc-use-pkce", []string{"--oidc-use-pkce"}, func(t *testing.T, in usecase.GetTokenInput) {
			if in.Provider.PKCEMethod != "S256" {
				t.Errorf("PKCEMethod = %q", in.Provider.PKCEMethod)
			}
		}},
		{"username selects password", []string{"--username=u"}, func(t *testing.T, in usecase.GetTokenInput) {
			if in.Login.GrantType != grant.TypePassword {
				t.Errorf("GrantType = %q", in.Login.GrantType)
			}
		}},
		{"obsolete --listen-port", []string{"--listen-port=12345"}, func(t *testing.T, in usecase.GetTokenInput) {
			if diff := cmp.Diff([]string{"127.0.0.1:12345"}, in.Login.ListenAddresses); diff != "" || !in.Login.ListenAddressesGiven {
				t.Error(diff)
			}
		}},
		{"headers and params", []string{"--oidc-request-header=X-A=1", "--oidc-auth-request-extra-params=prompt=consent", "--oidc-auth-request-extra-params=audience=k8s"}, func(t *testing.T, in usecase.GetTokenInput) {
			if diff := cmp.Diff(map[string]string{"X-A": "1"}, in.HTTP.Headers); diff != "" {
				t.Error(diff)
			}
			if diff := cmp.Diff(map[string]string{"prompt": "consent", "audience": "k8s"}, in.Provider.AuthRequestExtraParams); diff != "" {
				t.Error(diff)
			}
		}},
		{"secret is not printable", []string{"--oidc-client-secret=hunter2"}, func(t *testing.T, in usecase.GetTokenInput) {
			if s := strings.Join([]string{in.Provider.ClientSecret.String()}, ""); s != "[redacted]" {
				t.Errorf("secret prints as %q", s)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, _, err := parse(t, append(base, tc.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, in)
		})
	}
}

func TestGetTokenFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--oidc-client-id=c"}, "--oidc-issuer-url is missing"},
		{[]string{"--oidc-issuer-url=https://i"}, "--oidc-client-id is missing"},
		{[]string{"--oidc-issuer-url=https://i", "--oidc-client-id=c", "--token-cache-storage=file"}, "--token-cache-storage=file is not one of disk, keyring, none"},
		{[]string{"--oidc-issuer-url=https://i", "--oidc-client-id=c", "--local-server-cert=a"}, "give both --local-server-cert and --local-server-key"},
		{[]string{"--oidc-issuer-url=https://i", "--oidc-client-id=c", "--authentication-timeout-sec=0"}, "--authentication-timeout-sec must be a positive number of seconds"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			_, _, err := parse(t, tc.args...)
			if err == nil || err.Error() != tc.want && !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestHelpGroupsEveryFlag(t *testing.T) {
	var out strings.Builder
	c := &Cmd{OS: system.OS{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}, Log: logger.New(nil)}
	if code := c.Run(context.Background(), []string{"get-token", "--help"}); code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	help := out.String()
	for _, section := range []string{"Provider flags:", "Login flags:", "Cache flags:", "TLS flags:", "Global Flags:"} {
		if !strings.Contains(help, section) {
			t.Errorf("help lacks %q", section)
		}
	}
	if i := strings.Index(help, "Other flags:"); i >= 0 {
		other := help[i:strings.Index(help, "Global Flags:")]
		if strings.Count(strings.TrimSpace(other), "\n") != 1 || !strings.Contains(other, "--help") {
			t.Errorf("get-token flags in no group:\n%s", other)
		}
	}
	// Every drop-in flag is documented.
	for _, name := range []string{"oidc-issuer-url", "oidc-client-id", "oidc-client-secret", "oidc-redirect-url", "oidc-extra-scope",
		"oidc-use-access-token", "oidc-request-header", "oidc-auth-request-extra-params", "oidc-pkce-method", "force-refresh",
		"token-cache-dir", "token-cache-storage", "certificate-authority", "certificate-authority-data", "insecure-skip-tls-verify",
		"tls-renegotiation-once", "tls-renegotiation-freely", "grant-type", "listen-address", "skip-open-browser", "browser-command",
		"authentication-timeout-sec", "local-server-cert", "local-server-key", "open-url-after-authentication", "username", "password"} {
		if !strings.Contains(help, "--"+name+" ") {
			t.Errorf("help lacks --%s", name)
		}
	}
}
