package integration_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// audienceFiles lists the <key>.audiences files of dir.
func audienceFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, f := range dirFiles(t, dir) {
		if strings.HasSuffix(f, ".audiences") {
			out = append(out, f)
		}
	}
	return out
}

// The cache of a login serving two clusters (Dex cross-client): the login's
// entry, one per audience, and <key>.audiences. status shows the three
// entries and not the audiences file; clean --issuer, logout and clean
// remove the audiences file with its login, and clean an orphan one.
// (logout removes the clusters' tokens too: see logout_audience_test.go.)
func TestAudienceEntriesInStatusAndClean(t *testing.T) {
	s := newShell(t, oidcfake.Config{})
	login := func() {
		t.Helper()
		for _, aud := range []string{"cluster-a", "cluster-b"} {
			mustCredential(t, s.getToken(crossClientScopes, "--request-audience="+aud))
		}
		if n, a := len(s.cacheEntries()), audienceFiles(t, s.cacheDir); n != 3 || len(a) != 1 {
			t.Fatalf("%d cache entries and audience files %v, want 3 and one", n, a)
		}
	}
	login()
	rows := s.statusJSON()
	if len(rows) != 3 {
		t.Errorf("status shows %d entries, want 3 (the login, cluster-a, cluster-b): %v", len(rows), rows)
	}
	r := mustRun(t, s.kubelogin(append([]string{"status"}, s.cacheFlags()...)...))
	if strings.Contains(r.stdout+r.stderr, "audiences") || strings.Contains(r.stdout+r.stderr, "not kubelogin's") {
		t.Errorf("status shows the audiences file:\n%s%s", r.stdout, r.stderr)
	}

	// clean with a filter: the login goes with its audiences file.
	r = mustRun(t, s.kubelogin(append([]string{"clean", "--issuer=" + s.provider.Issuer()}, s.cacheFlags()...)...))
	if a := audienceFiles(t, s.cacheDir); len(a) != 0 || strings.Contains(r.stdout, "not kubelogin's") {
		t.Errorf("clean --issuer left %v:\n%s", a, r.stdout)
	}

	// logout: the same.
	login()
	mustRun(t, s.kubelogin(append([]string{"logout"}, s.loginFlags(crossClientScopes)...)...))
	if a := audienceFiles(t, s.cacheDir); len(a) != 0 {
		t.Errorf("logout left %v", a)
	}
	mustRun(t, s.kubelogin(append([]string{"clean"}, s.cacheFlags()...)...))

	// clean: everything, an orphan audiences file too, and the directory.
	login()
	orphan := filepath.Join(s.cacheDir, strings.Repeat("ab", 32)+".audiences")
	writeText(t, orphan, `["cluster-z"]`)
	r = mustRun(t, s.kubelogin(append([]string{"clean"}, s.cacheFlags()...)...))
	if left := dirFiles(t, s.cacheDir); len(left) != 0 || strings.Contains(r.stdout, "not kubelogin's") {
		t.Errorf("clean left %v:\n%s", left, r.stdout)
	}
}

// With --token-cache-storage=keyring, the audience entries are keyring items
// like the login's (a marker file each, no token file); a cached cluster
// token costs no request; clean --issuer removes the items, the markers
// and the audiences file.
func TestKeyringStorageAudiences(t *testing.T) {
	requireKeyring(t)
	s := newShell(t, oidcfake.Config{})
	flags := func(aud string) []string {
		return append([]string{"get-token"}, s.loginFlags(crossClientScopes, "--token-cache-storage=keyring", "--request-audience="+aud)...)
	}
	tokens := map[string]string{}
	for _, aud := range []string{"cluster-a", "cluster-b"} {
		c := mustCredential(t, s.kubelogin(flags(aud)...))
		if got := audiences(t, c.Status.Token); !slices.Contains(got, aud) || len(got) != 2 {
			t.Errorf("%s: aud %v", aud, got)
		}
		tokens[aud] = c.Status.Token
	}
	markers, _ := filepath.Glob(filepath.Join(s.cacheDir, "*.keyring"))
	if len(markers) != 3 || len(s.cacheEntries()) != 0 || len(audienceFiles(t, s.cacheDir)) != 1 {
		t.Fatalf("markers %v, %d token files, audiences %v: want 3, 0, one", markers, len(s.cacheEntries()), audienceFiles(t, s.cacheDir))
	}
	var keys []string
	for _, m := range markers {
		key := strings.TrimSuffix(filepath.Base(m), ".keyring")
		keys = append(keys, key)
		t.Cleanup(func() { _ = keyring.Delete("kubelogin", key) })
	}
	s.provider.ResetCounts()
	for _, aud := range []string{"cluster-a", "cluster-b"} {
		if c := mustCredential(t, s.kubelogin(flags(aud)...)); c.Status.Token != tokens[aud] {
			t.Errorf("%s: the cached token was not used", aud)
		}
	}
	if n := s.provider.Count("token"); n != 0 || s.launches() != 1 {
		t.Errorf("cached clusters made %d token requests, %d logins; want 0 and 1", n, s.launches())
	}
	// With a filter, clean deletes each login (no sweep of leftovers).
	mustRun(t, s.kubelogin(append([]string{"clean", "--issuer=" + s.provider.Issuer()}, s.cacheFlags()...)...))
	markers, _ = filepath.Glob(filepath.Join(s.cacheDir, "*.keyring"))
	if a := audienceFiles(t, s.cacheDir); len(markers) != 0 || len(a) != 0 {
		t.Errorf("clean left markers %v and audiences %v", markers, a)
	}
	for _, key := range keys {
		if _, err := keyring.Get("kubelogin", key); err == nil {
			t.Errorf("clean left keyring item %s", key[:12])
		}
	}
}

// A provider whose token exchange answers an access token when asked for an
// ID token: after the login, one error line saying what to do.
func TestRequestAudienceByExchangeWithoutIDToken(t *testing.T) {
	e := newEnv(t, oidcfake.Config{TokenExchange: &oidcfake.TokenExchangeConfig{Audiences: []string{"cluster-a"}}})
	e.provider.SetFaults(oidcfake.Faults{NoIDTokenExchange: true})
	r := e.getToken("--request-audience=cluster-a")
	mustFail(t, r, "error: the provider's token exchange for audience cluster-a issued no ID token and an opaque access token: add --oidc-use-access-token if the API server accepts its access tokens")
	if n := strings.Count(r.stderr, "error:"); n != 1 {
		t.Errorf("%d error lines, want 1:\n%s", n, r.stderr)
	}
	// With --oidc-use-access-token the exchanged access token is the credential.
	c := mustCredential(t, e.getToken("--request-audience=cluster-a", "--oidc-use-access-token"))
	if strings.Count(c.Status.Token, ".") == 2 {
		t.Errorf("the credential is a JWT, want the exchanged access token")
	}
}
