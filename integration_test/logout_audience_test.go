package integration_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// tokenFiles reads the token cache entries and audiences files of dir by
// name: what a login leaves that logout must remove.
func tokenFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range dirFiles(t, dir) {
		if strings.HasPrefix(name, "provider-") || !strings.HasSuffix(name, ".json") && !strings.HasSuffix(name, ".audiences") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = string(b)
	}
	return out
}

// Logout with get-token's flags, --request-audience included, removes the
// login, the tokens cached from it for each cluster (Dex cross-client: the
// audiences file names them) and that file, and says so; the logins of
// another account and of another issuer, with a cluster of the same name,
// are untouched; the next cluster token needs a new login.
func TestLogoutRemovesTheClustersTokensCrossClient(t *testing.T) {
	s := newShell(t, oidcfake.Config{})
	// Another account at the same provider, and another issuer, each with
	// a token for cluster-a in the same cache.
	mustCredential(t, s.getToken(crossClientScopes, "--oidc-login-hint=bob@example.com", "--request-audience=cluster-a"))
	other := newEnv(t, oidcfake.Config{})
	other.cacheDir = s.cacheDir
	otherToken := mustCredential(t, other.getToken(crossClientScopes, "--request-audience=cluster-a")).Status.Token
	others := tokenFiles(t, s.cacheDir)
	if len(others) != 6 {
		t.Fatalf("the other logins left %v, want two logins, their clusters' tokens and audiences files", slices.Sorted(maps.Keys(others)))
	}

	for _, aud := range []string{"cluster-a", "cluster-b"} {
		mustCredential(t, s.getToken(crossClientScopes, "--request-audience="+aud))
	}
	if n := len(tokenFiles(t, s.cacheDir)); n != 10 {
		t.Fatalf("%d token files, want 10 (the login, two clusters, its audiences file, and the others')", n)
	}
	launches := s.launches()

	r := mustRun(t, s.kubelogin(append([]string{"logout"}, s.loginFlags(crossClientScopes, "--request-audience=cluster-a")...)...))
	if !strings.Contains(r.stdout, "Removed "+s.provider.Issuer()) || !strings.Contains(r.stdout, "\nRemoved 2 cluster tokens of this login (cluster-a, cluster-b).\n") {
		t.Errorf("logout says:\n%s", r.stdout)
	}
	assertNoTokens(t, s, r.stdout+r.stderr)
	if diff := cmp.Diff(others, tokenFiles(t, s.cacheDir)); diff != "" {
		t.Errorf("after logout, the token files (-the other logins' +left):\n%s", diff)
	}
	if s.provider.Count("revoke") != 1 {
		t.Errorf("%d revocation requests, want 1 (the login's refresh token)", s.provider.Count("revoke"))
	}

	// Nothing of the login is left: a cluster's token needs a new login.
	mustCredential(t, s.getToken(crossClientScopes, "--request-audience=cluster-b"))
	if got := s.launches(); got != launches+1 {
		t.Errorf("%d logins after logout, want 1", got-launches)
	}
	if c := mustCredential(t, other.getToken(crossClientScopes, "--request-audience=cluster-a")); c.Status.Token != otherToken {
		t.Error("the other issuer's cluster token was not the cached one")
	}
}

// With token exchange there is no audiences file: logout finds the
// clusters' tokens by their aud claim (and their key), and removes them.
func TestLogoutRemovesTheClustersTokensExchange(t *testing.T) {
	s := newShell(t, oidcfake.Config{TokenExchange: &oidcfake.TokenExchangeConfig{Audiences: []string{"cluster-a", "cluster-b"}}})
	mustCredential(t, s.getToken("--oidc-login-hint=bob@example.com", "--request-audience=cluster-a"))
	others := tokenFiles(t, s.cacheDir)
	for _, aud := range []string{"cluster-a", "cluster-b"} {
		mustCredential(t, s.getToken("--request-audience="+aud))
	}
	if n := len(tokenFiles(t, s.cacheDir)); n != len(others)+3 || len(audienceFiles(t, s.cacheDir)) != 0 {
		t.Fatalf("%d token files, want %d, and no audiences file", n, len(others)+3)
	}
	launches := s.launches()

	r := mustRun(t, s.kubelogin(append([]string{"logout"}, s.loginFlags()...)...))
	if !strings.Contains(r.stdout, "\nRemoved 2 cluster tokens of this login (cluster-a, cluster-b).\n") {
		t.Errorf("logout says:\n%s", r.stdout)
	}
	if diff := cmp.Diff(others, tokenFiles(t, s.cacheDir)); diff != "" {
		t.Errorf("after logout, the token files (-the other login's +left):\n%s", diff)
	}
	mustCredential(t, s.getToken("--request-audience=cluster-a"))
	if got := s.launches(); got != launches+1 {
		t.Errorf("%d logins after logout, want 1", got-launches)
	}
}
