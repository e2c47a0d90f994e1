package integration_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// requests counts what the provider received, all endpoints together.
func (e *env) requests() (total, discovery, jwks, token int) {
	discovery, jwks, token = e.provider.Count("discovery"), e.provider.Count("jwks"), e.provider.Count("token")
	return discovery + jwks + token + e.provider.Count("authorize"), discovery, jwks, token
}

func TestRefreshWithKnownMetadataIsOneRequest(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	mustCredential(t, e.getToken())
	e.provider.ResetCounts()
	mustCredential(t, e.getToken("--force-refresh"))
	if total, d, j, tok := e.requests(); total != 1 || tok != 1 {
		t.Errorf("warm refresh made %d requests (discovery %d, jwks %d, token %d), want only the token request", total, d, j, tok)
	}
}

func TestColdRefreshIsAtMostThreeRequestsThenOne(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	mustCredential(t, e.getToken())
	meta, _ := filepath.Glob(filepath.Join(e.cacheDir, "provider-*.json"))
	if len(meta) != 1 {
		t.Fatalf("provider metadata files: %v", meta)
	}
	os.Remove(meta[0])
	e.provider.ResetCounts()
	mustCredential(t, e.getToken("--force-refresh"))
	if total, d, j, tok := e.requests(); total != 3 || d != 1 || j != 1 || tok != 1 {
		t.Errorf("cold refresh: %d requests (discovery %d, jwks %d, token %d), want 1 each", total, d, j, tok)
	}
	e.provider.ResetCounts()
	mustCredential(t, e.getToken("--force-refresh"))
	if total, _, _, _ := e.requests(); total != 1 {
		t.Errorf("the refresh after a cold one made %d requests, want 1", total)
	}
}

func TestRotatedSigningKeyIsFetchedOnce(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	mustCredential(t, e.getToken())
	e.provider.SetFaults(oidcfake.Faults{UnknownKid: true})
	e.provider.ResetCounts()
	mustCredential(t, e.getToken("--force-refresh"))
	if _, _, j, tok := e.requests(); j != 1 || tok != 1 {
		t.Errorf("jwks %d, token %d; want the keys fetched once for the new kid", j, tok)
	}
	e.provider.ResetCounts()
	mustCredential(t, e.getToken("--force-refresh"))
	if total, _, _, _ := e.requests(); total != 1 {
		t.Errorf("after the key rotation a refresh made %d requests, want 1", total)
	}
}

func TestThirtyConcurrentRunsOneRefresh(t *testing.T) {
	e := newEnv(t, oidcfake.Config{IDTokenTTL: 4 * time.Second})
	first := mustCredential(t, e.getToken())
	time.Sleep(time.Until(first.Status.ExpirationTimestamp))
	e.provider.ResetCounts()
	for _, r := range e.runParallel(30) {
		mustCredential(t, r)
	}
	if got := e.provider.TokenRequests("refresh_token"); got != 1 {
		t.Errorf("refresh requests = %d for 30 concurrent runs, want 1", got)
	}
	if total, _, _, _ := e.requests(); total != 1 {
		t.Errorf("30 concurrent runs made %d requests, want 1", total)
	}
}

func TestShortLivedOpaqueAccessTokenIsServedFromTheCache(t *testing.T) {
	e := newEnv(t, oidcfake.Config{ClientSecret: "s3cret", AccessTokenTTL: 20 * time.Second})
	args := []string{"--grant-type=client-credentials", "--oidc-use-access-token", "--oidc-client-secret=s3cret"}
	first := mustCredential(t, e.getToken(args...))
	second := mustCredential(t, e.getToken(args...))
	if first.Status.Token != second.Status.Token || e.provider.TokenRequests("client_credentials") != 1 {
		t.Errorf("a 20 s opaque access token was not reused (token requests %d)", e.provider.TokenRequests("client_credentials"))
	}
}
