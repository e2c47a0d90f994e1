package integration_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
	"github.com/kubelogin/kubelogin/internal/token"
)

// providerRequests is the number of requests the provider received, at every
// endpoint.
func providerRequests(p *oidcfake.Provider) int {
	n := 0
	for _, e := range []string{"discovery", "jwks", "authorize", "token", "device", "device_verify", "revoke", "userinfo", "other"} {
		n += p.Count(e)
	}
	return n
}

// rawAud is the aud claim of a JWT as it is written: a string or a list.
func rawAud(t *testing.T, jwt string) any {
	t.Helper()
	c, err := token.DecodeClaims(jwt)
	if err != nil {
		t.Fatalf("the credential is not a JWT: %v", err)
	}
	m, err := c.Map()
	if err != nil {
		t.Fatal(err)
	}
	return m["aud"]
}

// TestRequestAudienceByKeycloakExchange: Keycloak 26's standard token
// exchange puts the audience on the access token only (the ID token it
// issues keeps the client's aud). One browser login; each cluster's token is
// the exchanged access token, a JWT whose aud is exactly that cluster,
// obtained in one request, cached (no request at all) until its own exp,
// then exchanged again without a browser. An audience the provider does not
// know is one line, and no browser.
func TestRequestAudienceByKeycloakExchange(t *testing.T) {
	const ttl = 10 * time.Minute // Keycloak's ID and access tokens live as long
	w := newInproc(t, oidcfake.Config{IDTokenTTL: ttl, AccessTokenTTL: ttl,
		TokenExchange: &oidcfake.TokenExchangeConfig{Audiences: []string{"cluster-a", "cluster-b"}, AudienceOnAccessToken: true}})
	tokens := map[string]credential{}
	for _, aud := range []string{"cluster-a", "cluster-b"} {
		w.provider.ResetCounts()
		c := mustCredential(t, w.getToken("--request-audience="+aud))
		if got := rawAud(t, c.Status.Token); got != aud {
			t.Errorf("aud of %s's token = %v, want exactly %q", aud, got, aud)
		}
		if !c.Status.ExpirationTimestamp.Equal(w.clock.Now().Add(ttl)) {
			t.Errorf("%s: expiry %s, want the token's exp %s", aud, c.Status.ExpirationTimestamp, w.clock.Now().Add(ttl))
		}
		if n := w.provider.TokenRequests("urn:ietf:params:oauth:grant-type:token-exchange"); n != 1 {
			t.Errorf("%s cost %d exchanges, want 1", aud, n)
		}
		tokens[aud] = c
	}
	if tokens["cluster-a"].Status.Token == tokens["cluster-b"].Status.Token {
		t.Error("both clusters got the same token")
	}
	if n := w.browser.count(); n != 1 {
		t.Errorf("%d browser logins for 2 clusters, want 1", n)
	}
	// Each cluster's entry holds its token alone, as the one credential:
	// no access token that another use could send elsewhere.
	clusters := 0
	for name, entry := range (&env{t: t, cacheDir: w.cacheDir}).cacheEntries() {
		if entry["refresh_token"] != nil {
			continue // the login's
		}
		clusters++
		if entry["access_token"] != nil || (entry["id_token"] != tokens["cluster-a"].Status.Token && entry["id_token"] != tokens["cluster-b"].Status.Token) {
			t.Errorf("cluster entry %s holds an access token, or not the cluster's token as its credential", name[:12])
		}
	}
	if clusters != 2 {
		t.Errorf("%d cluster entries, want 2", clusters)
	}

	// Cached: no request to the provider, until the token's exp less the margin.
	w.clock.Advance(ttl - 2*time.Minute)
	w.provider.ResetCounts()
	for _, aud := range []string{"cluster-a", "cluster-b"} {
		if c := mustCredential(t, w.getToken("--request-audience="+aud)); c.Status.Token != tokens[aud].Status.Token {
			t.Errorf("%s: the cached token was not used", aud)
		}
	}
	if n := providerRequests(w.provider); n != 0 {
		t.Errorf("cached clusters made %d requests to the provider, want 0", n)
	}

	// Expired: exchanged again (after the login's refresh), no browser.
	w.clock.Advance(2 * time.Minute)
	w.provider.ResetCounts()
	c := mustCredential(t, w.getToken("--request-audience=cluster-a"))
	if c.Status.Token == tokens["cluster-a"].Status.Token || rawAud(t, c.Status.Token) != "cluster-a" {
		t.Errorf("after its expiry cluster-a got the old token back, or one with aud %v", rawAud(t, c.Status.Token))
	}
	if n, b := w.provider.TokenRequests("urn:ietf:params:oauth:grant-type:token-exchange"), w.browser.count(); n != 1 || b != 1 {
		t.Errorf("an expired cluster token cost %d exchanges and %d browser logins in all, want 1 and 1", n, b)
	}

	// Unknown to the provider: one line, no browser.
	r := w.getToken("--request-audience=cluster-z")
	want := "error: audience cluster-z is not a client of the provider (Keycloak: of the realm): check --request-audience or the cluster's audience (--token-exchange-audience with --grant-type=token-exchange) (400 invalid_client: Audience not found)"
	if r.code == 0 || strings.TrimSpace(r.stderr) != want {
		t.Errorf("cluster-z: exit %d, stderr:\n%s\nwant the line\n%s", r.code, r.stderr, want)
	}
	oneLine(t, r)
	if n := w.browser.count(); n != 1 {
		t.Errorf("an unknown audience opened the browser (%d logins)", n)
	}
}

// TestRequestAudienceRefreshesAnExpiredSubject: a provider whose access
// tokens end before its ID tokens. The login is still good by its ID token,
// but its access token, the subject of the exchange, has expired: the login
// is refreshed first (no browser), then the exchange, which the provider
// would refuse for the expired subject.
func TestRequestAudienceRefreshesAnExpiredSubject(t *testing.T) {
	w := newInproc(t, oidcfake.Config{IDTokenTTL: 30 * time.Minute, AccessTokenTTL: 5 * time.Minute,
		TokenExchange: &oidcfake.TokenExchangeConfig{Audiences: []string{"cluster-a", "cluster-b"}, AudienceOnAccessToken: true}})
	mustCredential(t, w.getToken("--request-audience=cluster-a"))
	w.clock.Advance(6 * time.Minute)
	w.provider.ResetCounts()
	c := mustCredential(t, w.getToken("--request-audience=cluster-b"))
	if got := rawAud(t, c.Status.Token); got != "cluster-b" {
		t.Errorf("aud of cluster-b's token = %v", got)
	}
	if r, x, b := w.provider.TokenRequests("refresh_token"), w.provider.TokenRequests("urn:ietf:params:oauth:grant-type:token-exchange"), w.browser.count(); r != 1 || x != 1 || b != 1 {
		t.Errorf("%d refreshes, %d exchanges, %d browser logins in all; want 1, 1, 1", r, x, b)
	}
}
