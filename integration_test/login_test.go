package integration_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
	"github.com/kubelogin/kubelogin/internal/token"
)

func TestFirstLoginThenCacheWithProviderStopped(t *testing.T) {
	e := newEnv(t, oidcfake.Config{TLS: true})
	first := mustCredential(t, e.getToken("--oidc-use-pkce"))
	if got := e.launches(); got != 1 {
		t.Fatalf("browser launches = %d, want 1", got)
	}
	if first.APIVersion != "client.authentication.k8s.io/v1" || first.Kind != "ExecCredential" {
		t.Errorf("apiVersion/kind = %s/%s", first.APIVersion, first.Kind)
	}
	claims, err := token.DecodeClaims(first.Status.Token)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Status.ExpirationTimestamp.Equal(claims.Expiry) {
		t.Errorf("expirationTimestamp %s, want the token's exp %s", first.Status.ExpirationTimestamp, claims.Expiry)
	}
	auth := e.provider.LastAuthRequest()
	if auth.Get("code_challenge_method") != "S256" || auth.Get("nonce") == "" || auth.Get("state") == "" {
		t.Errorf("authorization request lacks PKCE, nonce or state: %v", auth)
	}
	if got := auth.Get("redirect_uri"); !strings.HasPrefix(got, "http://localhost:") || strings.HasSuffix(got, "/") {
		t.Errorf("redirect_uri = %q, want http://localhost:<port> without a trailing slash", got)
	}
	if !strings.Contains(e.browserLog(), "done Logged in") {
		t.Errorf("the browser did not see the success page:\n%s", e.browserLog())
	}

	// Cache: 0700 directory, 0600 file.
	name, _ := e.onlyEntry()
	assertMode(t, e.cacheDir, 0o700)
	assertMode(t, filepath.Join(e.cacheDir, name), 0o600)

	e.provider.Close()
	second := mustCredential(t, e.getToken("--oidc-use-pkce"))
	if second.Status.Token != first.Status.Token {
		t.Error("the second run did not return the cached token")
	}
	if got := e.launches(); got != 1 {
		t.Errorf("browser launches = %d after a cached run, want 1", got)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %o, want %o", path, got, want)
	}
}

func TestExecCredentialAPIVersions(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	for _, tc := range []struct {
		name, execInfo, want string
	}{
		{"v1", `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":true}}`, "client.authentication.k8s.io/v1"},
		{"v1beta1", `{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{}}`, "client.authentication.k8s.io/v1beta1"},
		{"unset", "", "client.authentication.k8s.io/v1beta1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.execInfo = tc.execInfo
			c := mustCredential(t, e.getToken())
			if c.APIVersion != tc.want {
				t.Errorf("apiVersion = %q, want %q", c.APIVersion, tc.want)
			}
		})
	}
	e.execInfo = `{"apiVersion":"client.authentication.k8s.io/v2"}`
	mustFail(t, e.getToken(), `asks for apiVersion "client.authentication.k8s.io/v2"`)
	if got := e.launches(); got != 1 {
		t.Errorf("browser launches = %d, want 1 (one login shared by all runs)", got)
	}
}

// An expired token refreshed silently: TestInProcessExpiredTokenIsRefreshedSilently
// (in-process, with a clock it moves forward instead of a sleep).

func TestForceRefreshRotatesAndStores(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	mustCredential(t, e.getToken("--oidc-extra-scope=email,profile"))
	for i := range 3 {
		mustCredential(t, e.getToken("--oidc-extra-scope=email,profile", "--force-refresh"))
		if got := e.provider.TokenRequests("refresh_token"); got != i+1 {
			t.Fatalf("refresh requests = %d, want %d", got, i+1)
		}
	}
	if got := e.provider.RefreshTokenReuses(); got != 0 {
		t.Errorf("the provider saw %d reused refresh tokens", got)
	}
	form, _ := e.provider.LastTokenRequest()
	if got := form.Get("scope"); got != "openid email profile" {
		t.Errorf("refresh scope = %q", got)
	}
	if got := e.launches(); got != 1 {
		t.Errorf("browser launches = %d, want 1", got)
	}
}

func TestRefreshRejectedLogsInAgain(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	mustCredential(t, e.getToken())
	e.provider.RevokeRefreshTokens()
	mustCredential(t, e.getToken("--force-refresh"))
	if got := e.launches(); got != 2 {
		t.Errorf("browser launches = %d, want 2 (login after a refused refresh)", got)
	}
}

func TestRefreshWithoutIDToken(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	mustCredential(t, e.getToken())
	e.provider.SetFaults(oidcfake.Faults{NoIDTokenOnRefresh: true})
	r := e.getToken("--force-refresh")
	mustCredential(t, r)
	if !strings.Contains(r.stderr, "sent no ID token") {
		t.Errorf("stderr does not say why it logs in again:\n%s", r.stderr)
	}
	if got := e.launches(); got != 2 {
		t.Errorf("browser launches = %d, want 2", got)
	}

	// In access-token mode a refresh without an ID token is fine.
	mustCredential(t, e.getToken("--oidc-use-access-token"))
	launches := e.launches()
	mustCredential(t, e.getToken("--oidc-use-access-token", "--force-refresh"))
	if got := e.launches(); got != launches {
		t.Errorf("access-token mode logged in again instead of using the refresh")
	}
}

func TestCorruptCacheEntryIsAMiss(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	mustCredential(t, e.getToken())
	name, _ := e.onlyEntry()
	for _, garbage := range []string{"", "{", "not json at all", `{"version":1,"id_token":42}`, `[]`} {
		if err := os.WriteFile(filepath.Join(e.cacheDir, name), []byte(garbage), 0o600); err != nil {
			t.Fatal(err)
		}
		r := e.getToken("-v1")
		mustCredential(t, r)
		if !strings.Contains(r.stderr, "unreadable") {
			t.Errorf("-v1 does not mention the unreadable entry %q:\n%s", garbage, r.stderr)
		}
	}
	e.onlyEntry() // repaired
}

func TestLocalhostResolvedToIPv6(t *testing.T) {
	if !ipv6Loopback() {
		t.Skip("no IPv6 loopback on this machine")
	}
	e := newEnv(t, oidcfake.Config{})
	e.how = "ipv6"
	mustCredential(t, e.getToken())
	if !strings.Contains(e.browserLog(), "done Logged in") {
		t.Errorf("the browser did not reach the callback over [::1]:\n%s", e.browserLog())
	}
}

func TestSkipOpenBrowserPrintsTheURL(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	r := e.getToken("--skip-open-browser", "--authentication-timeout-sec=1")
	mustFail(t, r, "Please visit the following URL in your browser: "+e.provider.Issuer()+"/authorize?", "no login within 1s")
	if got := e.launches(); got != 0 {
		t.Errorf("browser launches = %d with --skip-open-browser", got)
	}
}

func TestOpenURLAfterAuthentication(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	mustCredential(t, e.getToken("--open-url-after-authentication="+e.provider.Issuer()+"/.well-known/openid-configuration"))
	if !strings.Contains(e.browserLog(), "done {") {
		t.Errorf("the browser was not sent to the page after the login:\n%s", e.browserLog())
	}
}

func TestDebugLogsNeverShowSecrets(t *testing.T) {
	e := newEnv(t, oidcfake.Config{ClientSecret: "client-secret-value"})
	login := e.getToken("-v3", "--oidc-client-secret=client-secret-value")
	mustCredential(t, login)
	refresh := e.getToken("-v3", "--oidc-client-secret=client-secret-value", "--force-refresh")
	mustCredential(t, refresh)
	_, entry := e.onlyEntry()
	form, _ := e.provider.LastTokenRequest()
	secrets := []string{"client-secret-value", entry["id_token"].(string), entry["refresh_token"].(string),
		entry["access_token"].(string), form.Get("refresh_token")}
	for _, r := range []result{login, refresh} {
		for _, s := range secrets {
			if s != "" && strings.Contains(r.stderr, s) {
				t.Errorf("stderr at -v3 contains a secret (%.12s…):\n%s", s, r.stderr)
			}
		}
		if !strings.Contains(r.stderr, "[redacted]") || !strings.Contains(r.stderr, "http: POST") {
			t.Errorf("-v3 did not log the token request:\n%s", r.stderr)
		}
	}
}
