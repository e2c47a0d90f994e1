package integration_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// Secrets of the redaction table: unique strings, so that any occurrence in
// an output is a leak.
const (
	redactClientSecret = "cs-Rd4x-client-secret"
	redactPassword     = "pw-Rd4x-password"
	redactHeader       = "hv-Rd4x-header-value"
	redactOldIDToken   = "it-Rd4x-old-id-token"
	redactOldRefresh   = "rt-Rd4x-old-refresh-token"
)

// secretArgs are the secret flags in one argument form: "--flag=VALUE"
// (joined) or "--flag", "VALUE" (two argv items, as kubeconfigs often
// carry them).
func secretArgs(joined bool) []string {
	if joined {
		return []string{"--oidc-client-secret=" + redactClientSecret, "--password=" + redactPassword, "--oidc-request-header=X-Api-Key=" + redactHeader}
	}
	return []string{"--oidc-client-secret", redactClientSecret, "--password", redactPassword, "--oidc-request-header", "X-Api-Key=" + redactHeader}
}

// yamlList is args as a YAML flow list.
func yamlList(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// kubeconfigWithSecrets has a user "oidc" that runs kubelogin with the secret
// flags in one form and an obsolete flag (so convert-kubeconfig changes it),
// and a legacy auth-provider user with its client secret and tokens.
func kubeconfigWithSecrets(issuer string, joined bool) string {
	args := append([]string{"oidc-login", "get-token", "--oidc-issuer-url=" + issuer, "--oidc-client-id=kubelogin", "--grant-type=password", "--username=admin@example.com"}, secretArgs(joined)...)
	args = append(args, "--listen-port=8000")
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: "https://127.0.0.1:6443"}
contexts:
- name: prod
  context: {cluster: prod, user: oidc}
current-context: prod
users:
- name: oidc
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: kubectl
      args: %s
- name: legacy
  user:
    auth-provider:
      name: oidc
      config:
        idp-issuer-url: %s
        client-id: kubelogin
        client-secret: %s
        id-token: %s
        refresh-token: %s
`, yamlList(args), issuer, redactClientSecret, redactOldIDToken, redactOldRefresh)
}

// TestEveryOutputRedactsSecrets runs every command that prints command lines
// or kubeconfig content, at -v3, with the secret flags in both argument
// forms, and searches stdout and stderr for every secret: the client secret,
// the password, a request header's value, the auth-provider's tokens and the
// tokens issued.
func TestEveryOutputRedactsSecrets(t *testing.T) {
	paths := []struct {
		name string
		run  func(s *shell, joined bool) []result
	}{
		{"setup (printed command)", func(s *shell, joined bool) []result {
			return []result{mustRun(t, s.kubelogin(append(append([]string{"setup", "-v3"}, s.passwordFlags()...), secretArgs(joined)...)...))}
		}},
		{"setup --write-kubeconfig (diff of a user with secrets)", func(s *shell, joined bool) []result {
			writeText(t, s.kubeconfig, kubeconfigWithSecrets(s.provider.Issuer(), joined))
			return []result{mustRun(t, s.kubelogin(append(append([]string{"setup", "-v3", "--write-kubeconfig", "--context=prod"}, s.passwordFlags()...), secretArgs(joined)...)...))}
		}},
		{"convert-kubeconfig --dry-run (diff and report)", func(s *shell, joined bool) []result {
			writeText(t, s.kubeconfig, kubeconfigWithSecrets(s.provider.Issuer(), joined))
			r := mustRun(t, s.kubelogin("convert-kubeconfig", "-v3", "--dry-run"))
			if !strings.Contains(r.stdout, "[redacted]") {
				t.Errorf("the diff shows no redacted value: did it show the users at all?\n%s", r.stdout)
			}
			return []result{r}
		}},
		{"convert-kubeconfig (written)", func(s *shell, joined bool) []result {
			writeText(t, s.kubeconfig, kubeconfigWithSecrets(s.provider.Issuer(), joined))
			return []result{mustRun(t, s.kubelogin("convert-kubeconfig", "-v3"))}
		}},
		{"status after get-token", func(s *shell, joined bool) []result {
			g := s.run(append(append([]string{"get-token", "-v3"}, s.passwordFlags()...), secretArgs(joined)...)...)
			mustCredential(t, g)
			return []result{g, mustRun(t, s.kubelogin(append([]string{"status", "-v3"}, s.cacheFlags()...)...)),
				mustRun(t, s.kubelogin(append([]string{"status", "-o", "json", "-v3"}, s.cacheFlags()...)...))}
		}},
		{"standalone mode (auth-provider tokens refreshed, then a login)", func(s *shell, joined bool) []result {
			writeText(t, s.kubeconfig, kubeconfigWithSecrets(s.provider.Issuer(), joined))
			args := append(append([]string{"-v3", "--user=legacy"}, s.standaloneFlags("--grant-type=password", "--username=admin@example.com")...), secretArgs(joined)...)
			r := mustRun(t, s.kubelogin(args...))
			return []result{r}
		}},
	}
	for _, p := range paths {
		for _, joined := range []bool{true, false} {
			form := "--flag VALUE"
			if joined {
				form = "--flag=VALUE"
			}
			t.Run(p.name+", "+form, func(t *testing.T) {
				s := newShell(t, oidcfake.Config{ClientSecret: redactClientSecret, Users: map[string]string{"admin@example.com": redactPassword}}).withPlugin()
				results := p.run(s, joined)
				secrets := map[string]string{"client secret": redactClientSecret, "password": redactPassword, "header value": redactHeader,
					"old ID token": redactOldIDToken, "old refresh token": redactOldRefresh}
				for _, e := range s.cacheEntries() {
					for _, k := range []string{"id_token", "refresh_token", "access_token"} {
						if v, _ := e[k].(string); v != "" {
							secrets["cached "+k] = v
						}
					}
				}
				if _, err := os.Stat(s.kubeconfig); err == nil {
					if u := loadKubeconfig(t, s.kubeconfig).AuthInfos["legacy"]; u != nil && u.AuthProvider != nil {
						for _, k := range []string{"id-token", "refresh-token"} {
							if v := u.AuthProvider.Config[k]; v != "" {
								secrets["written "+k] = v
							}
						}
					}
				}
				for i, r := range results {
					out := r.stderr
					if i > 0 || !strings.HasPrefix(r.stdout, "{") { // an ExecCredential carries a token by design
						out += r.stdout
					}
					for what, v := range secrets {
						if strings.Contains(out, v) {
							t.Errorf("output %d shows the %s:\n%s", i, what, out)
						}
					}
				}
			})
		}
	}
}

// passwordFlags are loginFlags for the password grant (so that --password
// is used, not only carried).
func (s *shell) passwordFlags() []string {
	return s.loginFlags("--grant-type=password", "--username=admin@example.com")
}
