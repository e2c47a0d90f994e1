package acceptance

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

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
	start := time.Now()
	cs, err := stack.StartKeycloakClusters(ctx, kc)
	if err != nil {
		fatalf(t, "start the clusters: %v", err)
	}
	t.Cleanup(cs.Stop)
	logf("two kube-apiservers for Keycloak's audiences up in %s", time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			for _, c := range cs.List {
				report(t, c.Name+" saw", fmt.Sprint(c.Proxy.Seen()))
				report(t, c.Name+" log", c.Tail(20))
			}
		}
	})
	flags := kcFlags(kc, harness.KeycloakExchangeClientID, "--oidc-client-secret="+harness.KeycloakExchangeSecret)
	u := newKeycloakUser(t, kc, true, flags)
	if err := u.WriteMultiClusterKubeconfig(cs.List, flags); err != nil {
		fatalf(t, "write the kubeconfig: %v", err)
	}

	// One login, an exchange per cluster.
	before := kc.Proxy.Snapshot()
	for _, c := range cs.List {
		wantClusterUser(t, ctx, u, c, cs.List)
	}
	delta := kc.Proxy.Snapshot().Sub(before)
	wantLaunches(t, u, 1)
	wantGrant(t, delta, grantAuthCode, 1)
	wantGrant(t, delta, grantTokenExchange, len(cs.List))
	wantGrant(t, delta, grantRefresh, 0)
	wantOnlyOwnAudience(t, cs.List, nil)
	tokens := clusterTokens(t, u, cs.List)

	// The cached path: no request to Keycloak.
	before = kc.Proxy.Snapshot()
	for _, c := range cs.List {
		wantClusterUser(t, ctx, u, c, cs.List)
	}
	if delta := kc.Proxy.Snapshot().Sub(before); len(delta.Paths) != 0 {
		errorf(t, "the cached tokens cost requests to Keycloak: %s", delta)
	}

	// Replays: each server refuses the other's token.
	for i, c := range cs.List {
		other := cs.List[(i+1)%len(cs.List)]
		if got := selfSubjectReview(t, c, tokens[c.Name]); got != http.StatusCreated {
			errorf(t, "%s's own token sent to %s: HTTP %d, want 201", c.Name, c.Name, got)
		}
		if got := selfSubjectReview(t, other, tokens[c.Name]); got != http.StatusUnauthorized {
			errorf(t, "%s's token replayed to %s: HTTP %d, want 401", c.Name, other.Name, got)
		}
	}
	for _, c := range cs.List {
		report(t, "servers", fmt.Sprintf("%s saw %s", c.Name, summarize(c.Proxy.Seen())))
	}

	// After expiry: one refresh of the login, an exchange per cluster.
	var latest time.Time
	for _, tok := range tokens {
		if exp, err := harness.JWTExpiry(tok); err == nil && exp.After(latest) {
			latest = exp
		}
	}
	wait := time.Until(latest) + time.Second
	t.Logf("acceptance: waiting %s for both clusters' tokens to expire", wait.Round(100*time.Millisecond))
	time.Sleep(wait)
	seenBefore := map[string]int{}
	for _, c := range cs.List {
		seenBefore[c.Name] = len(c.Proxy.Seen())
	}
	before = kc.Proxy.Snapshot()
	for _, c := range cs.List {
		wantClusterUser(t, ctx, u, c, cs.List)
	}
	delta = kc.Proxy.Snapshot().Sub(before)
	wantLaunches(t, u, 1)
	wantGrant(t, delta, grantAuthCode, 0)
	wantGrant(t, delta, grantRefresh, 1)
	wantGrant(t, delta, grantTokenExchange, len(cs.List))
	wantOnlyOwnAudience(t, cs.List, seenBefore)
	renewed := clusterTokens(t, u, cs.List)
	for _, c := range cs.List {
		if renewed[c.Name] == tokens[c.Name] {
			errorf(t, "%s's token did not change after it expired", c.Name)
		}
	}

	// Logout revokes the login's refresh token and forgets both clusters'
	// tokens (they name no refresh token: nothing to revoke); the next call
	// logs in again.
	before = kc.Proxy.Snapshot()
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
