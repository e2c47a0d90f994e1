package acceptance

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/acceptance_test/harness"
)

// grantTokenExchange is RFC 8693's grant type, as the token endpoint sees it.
const grantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"

// One kubeconfig, two clusters, one user entry with provideClusterInfo, on
// Keycloak: one browser login at kubelogin-exchange, then a token per
// cluster by Keycloak's standard token exchange (audience=<cluster>), which
// narrows the access token's aud to that cluster. Each kube-apiserver takes
// only its own audience: it is shown only its own, refuses the other's
// token, and after the 20 s tokens expire each cluster gets a new one
// without a browser (one refresh of the login, one exchange per cluster).
func TestKeycloakMultiClusterTokenExchangePerCluster(t *testing.T) {
	ctx := context.Background()
	kc := keycloakWithAPIServer(t)
	cs := startClusters(t, "for Keycloak's audiences", func() (*harness.Clusters, error) { return stack.StartKeycloakClusters(ctx, kc) })
	flags := kcFlags(kc, harness.KeycloakExchangeClientID, "--oidc-client-secret="+harness.KeycloakExchangeSecret)
	u := newKeycloakUser(t, kc, true, flags)
	if err := u.WriteMultiClusterKubeconfig(cs.List, flags); err != nil {
		fatalf(t, "write the kubeconfig: %v", err)
	}

	// One login, an exchange per cluster.
	delta := everyCluster(t, ctx, u, cs.List, kc.Proxy)
	wantLaunches(t, u, 1)
	wantGrant(t, delta, grantAuthCode, 1)
	wantGrant(t, delta, grantTokenExchange, len(cs.List))
	wantGrant(t, delta, grantRefresh, 0)
	wantOnlyOwnAudience(t, cs.List, nil)
	tokens := clusterTokens(t, u, cs.List)

	// The cached path: no request to Keycloak.
	if delta := everyCluster(t, ctx, u, cs.List, kc.Proxy); len(delta.Paths) != 0 {
		errorf(t, "the cached tokens cost requests to Keycloak: %s", delta)
	}

	// Replays: each server refuses the other's token.
	wantReplaysRefused(t, cs.List, tokens)

	// After expiry: one refresh of the login, an exchange per cluster.
	seenBefore := waitForExpiry(t, cs.List, tokens)
	delta = everyCluster(t, ctx, u, cs.List, kc.Proxy)
	wantLaunches(t, u, 1)
	wantGrant(t, delta, grantAuthCode, 0)
	wantGrant(t, delta, grantRefresh, 1)
	wantGrant(t, delta, grantTokenExchange, len(cs.List))
	wantOnlyOwnAudience(t, cs.List, seenBefore)
	wantRenewed(t, u, cs.List, tokens, seenBefore)

	// Logout revokes the login's refresh token and forgets both clusters'
	// tokens (they name no refresh token: nothing to revoke); the next call
	// logs in again.
	before := kc.Proxy.Snapshot()
	r := u.Run(ctx, "kubelogin", append([]string{"logout"}, flags...)...)
	mustSucceed(t, r)
	delta = kc.Proxy.Snapshot().Sub(before)
	if n := delta.Paths["/realms/"+harness.KeycloakRealm+kcRevokePath]; n != 1 {
		errorf(t, "revocation requests = %d, want 1 (%s)", n, delta)
	}
	if !strings.Contains(r.Stdout, "2 cluster tokens") {
		report(t, "logout said", r.String())
		errorf(t, "logout did not say it removed the 2 cluster tokens")
	}
	if entries := readCache(t, u.CacheDir()); len(entries) != 0 {
		errorf(t, "the cache still has %d entries with tokens after logout", len(entries))
	}
	wantClusterUser(t, ctx, u, cs.List[1], cs.List)
	wantLaunches(t, u, 2)
	report(t, "requests", fmt.Sprintf("first login for %d clusters: 1 browser login, %d exchanges; renewal: 1 refresh, %d exchanges", len(cs.List), len(cs.List), len(cs.List)))
}
