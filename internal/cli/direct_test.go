package cli

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/system"
	"github.com/kubelogin/kubelogin/internal/usecase"
)

// TestGetTokenDirectAsTheCommand: Run reads a get-token command line without
// cobra when it can (getTokenDirect). For every command line, the input that
// reaches the use-case, the output and the exit code must be those of the
// whole command tree, and the command lines that parse and check must take
// the direct way (or the test would compare cobra with itself).
func TestGetTokenDirectAsTheCommand(t *testing.T) {
	base := []string{"get-token", "--oidc-issuer-url=https://issuer.example", "--oidc-client-id=kube"}
	for _, tc := range []struct {
		name   string
		args   []string
		env    map[string]string
		direct bool
	}{
		{"minimal", base, nil, true},
		{"-v1 and a scope from the environment", append(base, "-v1"), map[string]string{"KUBELOGIN_OIDC_EXTRA_SCOPE": "groups"}, true},
		{"issuer and client from the environment", []string{"get-token", "-v", "1"}, map[string]string{"KUBELOGIN_OIDC_ISSUER_URL": "https://issuer.example", "KUBELOGIN_OIDC_CLIENT_ID": "kube"}, true},
		{"KUBELOGIN_V", base, map[string]string{"KUBELOGIN_V": "2"}, true},
		{"obsolete flags warn", append(base, "--listen-port=12345", "--oidc-redirect-url-hostname=localhost"), nil, true},
		{"deprecated --oidc-use-pkce", append(base, "--oidc-use-pkce"), nil, true},
		{"password grant by --username", append(base, "--username=alice", "-v1"), nil, true},
		{"repeated and comma scopes", append(base, "--oidc-extra-scope=email", "--oidc-extra-scope=profile,groups"), nil, true},
		{"params, headers, secret", append(base, "--oidc-auth-request-extra-params=prompt=consent", "--oidc-request-header=X-Team=a", "--oidc-client-secret=hunter2"), nil, true},
		{"no cache, device code", append(base, "--token-cache-storage=none", "--grant-type=device-code"), nil, true},
		{"cache dir from KUBECACHEDIR", base, map[string]string{"KUBECACHEDIR": "/kc"}, true},
		{"client credentials", append(base, "--grant-type=client-credentials", "--oidc-client-secret=s"), nil, true},
		{"request audience", append(base, "--request-audience=cluster-a"), nil, true},
		{"token exchange", append(base, "--grant-type=token-exchange", "--token-exchange-subject-token-env=CI_TOKEN", "--token-exchange-audience=cluster-a"), map[string]string{"CI_TOKEN": "x"}, true},
		{"flags after --", append(base, "--"), nil, true},
		{"--help", append(base, "--help"), nil, false},
		{"-h", []string{"get-token", "-h"}, nil, false},
		{"unknown flag", append(base, "--bogus"), nil, false},
		{"an argument", append(base, "extra"), nil, false},
		{"bad grant type", append(base, "--grant-type=nope"), nil, false},
		{"bad grant type from the environment", base, map[string]string{"KUBELOGIN_GRANT_TYPE": "nope"}, false},
		{"bad number from the environment", base, map[string]string{"KUBELOGIN_V": "x"}, false},
		{"client id missing", []string{"get-token", "--oidc-issuer-url=https://issuer.example"}, nil, false},
		{"client id missing, at -v1, a variable set", []string{"get-token", "--oidc-issuer-url=https://issuer.example", "-v1"}, map[string]string{"KUBELOGIN_OIDC_EXTRA_SCOPE": "groups"}, false},
		{"not get-token", []string{"version"}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type result struct {
				Code   int
				Output string
				Ran    bool
				Input  usecase.GetTokenInput
			}
			run := func(whole bool) (r result) {
				var out strings.Builder
				c := &Cmd{
					OS: system.OS{Stdout: &out, Stderr: &out,
						Getenv:      func(k string) string { return tc.env[k] },
						UserHomeDir: func() (string, error) { return "/home/u", nil }},
					Log: logger.New(&out),
					runGetToken: func(_ context.Context, in usecase.GetTokenInput) error {
						r.Ran, r.Input = true, in
						return errors.New("stop here")
					},
				}
				c.Log.Debugf(1, "at level 1") // shows whether each way set the level
				if !whole {
					r.Code = c.Run(context.Background(), tc.args)
				} else {
					root := c.root()
					root.SetArgs(tc.args)
					r.Code = c.exit(context.Background(), root.ExecuteContext(context.Background()))
				}
				c.Log.Debugf(1, "still at level 1")
				c.Log.Debugf(2, "at level 2")
				r.Output = out.String()
				return r
			}
			_, direct := (&Cmd{OS: system.OS{Getenv: func(k string) string { return tc.env[k] }, UserHomeDir: func() (string, error) { return "/home/u", nil }}, Log: logger.New(nil)}).getTokenDirect(tc.args)
			if direct != tc.direct {
				t.Errorf("getTokenDirect ok = %v, want %v", direct, tc.direct)
			}
			got, want := run(false), run(true)
			if diff := cmp.Diff(want, got, cmp.Exporter(func(reflect.Type) bool { return true })); diff != "" {
				t.Errorf("Run differs from the whole tree (-whole +Run):\n%s", diff)
			}
			if tc.direct && !want.Ran {
				t.Errorf("the whole tree did not run get-token: %s", want.Output)
			}
		})
	}
}
