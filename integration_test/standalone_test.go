package integration_test

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
	"github.com/kubelogin/kubelogin/internal/token"
)

// legacyKubeconfig has a user with the "auth-provider: oidc" that kubectl
// 1.25 and older ran, as the incumbent's standalone mode expects it.
func legacyKubeconfig(s *shell, user string, extra string) string {
	ca := ""
	if pem := s.provider.CACertPEM(); pem != nil {
		ca = "        idp-certificate-authority-data: " + base64.StdEncoding.EncodeToString(pem) + "\n"
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://127.0.0.1:6443
contexts:
- name: prod
  context:
    cluster: prod
    user: %[1]s
current-context: prod
users:
- name: %[1]s
  user:
    auth-provider:
      name: oidc
      config:
        idp-issuer-url: %[2]s
        client-id: kubelogin
        extra-scopes: email,groups
%[3]s%[4]s`, user, s.provider.Issuer(), ca, extra)
}

// standaloneFlags are the bare command's flags for the scripted browser.
func (s *shell) standaloneFlags(extra ...string) []string {
	self, _ := os.Executable()
	return append([]string{"--listen-address=127.0.0.1:0", "--browser-command=" + self, "--authentication-timeout-sec=20"}, extra...)
}

func authProviderConfig(t *testing.T, path, user string) map[string]string {
	t.Helper()
	u := loadKubeconfig(t, path).AuthInfos[user]
	if u == nil || u.AuthProvider == nil {
		t.Fatalf("user %s has no auth-provider in %s", user, path)
	}
	return u.AuthProvider.Config
}

func TestStandaloneLogsInRefreshesAndWritesTokens(t *testing.T) {
	s := newShell(t, oidcfake.Config{TLS: true})
	writeText(t, s.kubeconfig, legacyKubeconfig(s, "oidc", ""))

	r := mustRun(t, s.kubelogin(s.standaloneFlags()...))
	if r.stdout != "" {
		t.Errorf("stdout = %q, want nothing", r.stdout)
	}
	if !strings.Contains(r.stderr, "You got a valid token until") || s.launches() != 1 {
		t.Errorf("launches %d, stderr:\n%s", s.launches(), r.stderr)
	}
	if got := s.provider.LastAuthRequest().Get("scope"); got != "openid email groups" {
		t.Errorf("scope = %q, want the auth-provider's extra-scopes", got)
	}
	cfg := authProviderConfig(t, s.kubeconfig, "oidc")
	c, err := token.DecodeClaims(cfg["id-token"])
	if err != nil || c.Issuer != s.provider.Issuer() || cfg["refresh-token"] == "" {
		t.Fatalf("written auth-provider config: claims %+v, %v", c, err)
	}
	if cfg["idp-issuer-url"] != s.provider.Issuer() || cfg["extra-scopes"] != "email,groups" {
		t.Errorf("the rest of the auth-provider changed: %v", cfg)
	}
	if strings.Contains(r.stderr, cfg["id-token"]) || strings.Contains(r.stderr, cfg["refresh-token"]) {
		t.Error("a token was printed")
	}
	if len(backups(s.kubeconfig)) != 0 {
		t.Error("the standalone mode keeps backups of tokens")
	}
	if n := len(s.cacheEntries()); n != 0 {
		t.Errorf("the standalone mode wrote %d token cache entries", n)
	}

	// A valid token is kept.
	r = mustRun(t, s.kubelogin(s.standaloneFlags()...))
	if !strings.Contains(r.stderr, "You already have a valid token until") || s.launches() != 1 {
		t.Errorf("second run: launches %d, stderr:\n%s", s.launches(), r.stderr)
	}
	// An expired one is refreshed without the browser:
	// TestInProcessStandaloneRefreshesAnExpiredToken moves a clock instead of sleeping.
}

// --kubeconfig, --context and --user select the user as kubectl does, and
// the tokens go into the file that defines it.
func TestStandaloneSelectsTheUser(t *testing.T) {
	s := newShell(t, oidcfake.Config{})
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first"), filepath.Join(dir, "second")
	writeText(t, first, "apiVersion: v1\nkind: Config\ncurrent-context: other\ncontexts:\n- name: other\n  context: {cluster: prod, user: static}\nusers:\n- name: static\n  user: {token: abc}\n")
	writeText(t, second, legacyKubeconfig(s, "legacy", ""))
	s.kubeconfig = first + string(os.PathListSeparator) + second

	mustFail(t, s.kubelogin(s.standaloneFlags()...), `user "static" has no oidc auth-provider`, "kubelogin setup")
	mustRun(t, s.kubelogin(s.standaloneFlags("--context=prod")...))
	if authProviderConfig(t, second, "legacy")["id-token"] == "" {
		t.Error("the token was not written to the file defining the user")
	}
	if readText(t, first) != "apiVersion: v1\nkind: Config\ncurrent-context: other\ncontexts:\n- name: other\n  context: {cluster: prod, user: static}\nusers:\n- name: static\n  user: {token: abc}\n" {
		t.Error("the other file changed")
	}

	// --user wins over --context; --kubeconfig replaces KUBECONFIG.
	before := s.launches()
	mustRun(t, s.kubelogin(s.standaloneFlags("--kubeconfig="+second, "--user=legacy", "--context=nope")...))
	if s.launches() != before {
		t.Error("a valid token in the selected user was not used")
	}
	mustFail(t, s.kubelogin(s.standaloneFlags("--kubeconfig="+second, "--user=nobody")...), `user "nobody" is not in the kubeconfig`)
	mustFail(t, s.kubelogin(s.standaloneFlags("--kubeconfig="+filepath.Join(dir, "missing"))...), "no kubeconfig at", "kubelogin setup")
}
