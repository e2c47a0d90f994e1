package cli

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/kubelogin/kubelogin/internal/usecase"
)

func TestSetupReproducesTheFlagsGiven(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		env        map[string]string
		wantExec   []string
		wantShown  []string
		wantHidden []usecase.HiddenFlag
	}{
		{
			name:      "definition order, lists one value per argument, maps sorted",
			args:      []string{"--oidc-extra-scope=groups,email", "--oidc-client-id=c", "--oidc-issuer-url=https://i", "--oidc-auth-request-extra-params=z=1", "--oidc-auth-request-extra-params=a=2", "--oidc-use-pkce", "--force-refresh"},
			wantExec:  []string{"--oidc-issuer-url=https://i", "--oidc-client-id=c", "--oidc-extra-scope=groups", "--oidc-extra-scope=email", "--oidc-auth-request-extra-params=a=2", "--oidc-auth-request-extra-params=z=1", "--oidc-use-pkce"},
			wantShown: []string{"--oidc-issuer-url=https://i", "--oidc-client-id=c", "--oidc-extra-scope=groups", "--oidc-extra-scope=email", "--oidc-auth-request-extra-params=a=2", "--oidc-auth-request-extra-params=z=1", "--oidc-use-pkce"},
		},
		{
			name:      "secrets: the client secret is written, never shown; the password neither",
			args:      []string{"--oidc-issuer-url=https://i", "--oidc-client-id=c", "--oidc-client-secret=s3cret", "--username=alice", "--password=pw", "--oidc-request-header=X-Key=k3y"},
			wantExec:  []string{"--oidc-issuer-url=https://i", "--oidc-client-id=c", "--oidc-client-secret=s3cret", "--oidc-request-header=X-Key=k3y", "--username=alice"},
			wantShown: []string{"--oidc-issuer-url=https://i", "--oidc-client-id=c", "--username=alice"},
			wantHidden: []usecase.HiddenFlag{
				{Flag: "--oidc-client-secret", EnvVar: "KUBELOGIN_OIDC_CLIENT_SECRET", Written: true},
				{Flag: "--oidc-request-header=X-Key", EnvVar: "KUBELOGIN_OIDC_REQUEST_HEADER", Written: true},
				{Flag: "--password", EnvVar: "KUBELOGIN_PASSWORD"},
			},
		},
		{
			name:      "flags from the environment are not reproduced",
			args:      []string{"--oidc-issuer-url=https://i"},
			env:       map[string]string{"KUBELOGIN_OIDC_CLIENT_ID": "c", "KUBELOGIN_OIDC_CLIENT_SECRET": "s"},
			wantExec:  []string{"--oidc-issuer-url=https://i"},
			wantShown: []string{"--oidc-issuer-url=https://i"},
		},
		{
			name:      "login hint",
			args:      []string{"--oidc-issuer-url=https://i", "--oidc-client-id=c", "--oidc-login-hint=alice@example.com"},
			wantExec:  []string{"--oidc-issuer-url=https://i", "--oidc-client-id=c", "--oidc-login-hint=alice@example.com"},
			wantShown: []string{"--oidc-issuer-url=https://i", "--oidc-client-id=c", "--oidc-login-hint=alice@example.com"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var o setupOptions
			f := pflag.NewFlagSet("setup", pflag.ContinueOnError)
			o.addFlags(f)
			if err := f.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			given := map[string]bool{}
			f.Visit(func(fl *pflag.Flag) { given[fl.Name] = true })
			if _, err := applyFlagEnv(f, func(k string) string { return tc.env[k] }); err != nil {
				t.Fatal(err)
			}
			exec, shown, hidden := execArgs(f, given)
			if diff := cmp.Diff(tc.wantExec, exec); diff != "" {
				t.Errorf("exec (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantShown, shown); diff != "" {
				t.Errorf("shown (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantHidden, hidden); diff != "" {
				t.Errorf("hidden (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoginHintIsAnExtraParam(t *testing.T) {
	in, _, err := parse(t, "--oidc-issuer-url=https://i", "--oidc-client-id=c", "--oidc-login-hint=bob@example.com", "--oidc-auth-request-extra-params=prompt=login")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"login_hint": "bob@example.com", "prompt": "login"}, in.Provider.AuthRequestExtraParams); diff != "" {
		t.Error(diff)
	}
	same, _, _ := parse(t, "--oidc-issuer-url=https://i", "--oidc-client-id=c", "--oidc-auth-request-extra-params=login_hint=bob@example.com", "--oidc-auth-request-extra-params=prompt=login")
	if !cmp.Equal(in.Provider.AuthRequestExtraParams, same.Provider.AuthRequestExtraParams) {
		t.Error("--oidc-login-hint differs from the same extra parameter")
	}
	_, _, err = parse(t, "--oidc-issuer-url=https://i", "--oidc-client-id=c", "--oidc-login-hint=a", "--oidc-auth-request-extra-params=login_hint=b")
	if err == nil || err.Error() != "--oidc-login-hint=a and --oidc-auth-request-extra-params=login_hint=b disagree: give one of them" {
		t.Errorf("err = %v", err)
	}
}
