package acceptance

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/acceptance_test/harness"
)

// multiClusterIDTokens is Dex's ID-token lifetime in the multi-cluster
// scenario: long enough for a login, both clusters and the replays under
// load, short enough to wait for the renewals.
const multiClusterIDTokens = 20 * time.Second

// One kubeconfig, two clusters, one user entry (provideClusterInfo, each
// cluster's audience in its exec extension), two real kube-apiservers each
// accepting only its own audience (AuthenticationConfiguration): one browser
// login serves both; each server is shown only its own audience and refuses
// the other's token; after expiry both renew without a browser.
func TestMultiClusterOneLoginTokenPerCluster(t *testing.T) {
	ctx := context.Background()
	cs := startClusters(t, "with --authentication-config", func() (*harness.Clusters, error) { return stack.StartClusters(ctx) })
	useIDTokenExpiry(t, ctx, multiClusterIDTokens)

	var scopes []string
	for _, c := range cs.List {
		scopes = append(scopes, "audience:server:client_id:"+c.Audience)
	}
	u := newUser(t, "1.33", harness.Exec{Flags: loginFlags(t, false)})
	if err := u.WriteMultiClusterKubeconfig(cs.List, loginFlags(t, false, "--oidc-extra-scope="+strings.Join(scopes, ","))); err != nil {
		fatalf(t, "write the kubeconfig: %v", err)
	}

	// One login, a token per cluster.
	delta := everyCluster(t, ctx, u, cs.List, stack.Proxy)
	wantLaunches(t, u, 1)
	wantGrant(t, delta, grantAuthCode, 1)
	wantGrant(t, delta, grantRefresh, len(cs.List)) // one cross-client refresh per cluster
	wantOnlyOwnAudience(t, cs.List, nil)
	tokens := clusterTokens(t, u, cs.List)

	// Replays: each server refuses the other's token.
	wantReplaysRefused(t, cs.List, tokens)

	// After expiry each cluster renews its own token, no browser.
	seenBefore := waitForExpiry(t, cs.List, tokens)
	delta = everyCluster(t, ctx, u, cs.List, stack.Proxy)
	wantLaunches(t, u, 1)
	wantGrant(t, delta, grantAuthCode, 0)
	wantGrant(t, delta, grantRefresh, len(cs.List))
	wantOnlyOwnAudience(t, cs.List, seenBefore)
	wantRenewed(t, u, cs.List, tokens, seenBefore)

	t.Run("kubeconfig written by setup --cluster-audience", func(t *testing.T) { setupWrittenKubeconfig(t, ctx, cs) })
	t.Run("a CI job's token exchanged at Dex for one cluster's", func(t *testing.T) { ciTokenExchange(t, ctx, cs) })
}

// A CI job holds an ID token of the suite's Dex (here from the password
// grant) and no browser: --grant-type=token-exchange at a second Dex whose
// oidc connector trusts the first (Dex's connector_id), asking for cluster
// a's cross-client audience, gives a token cluster a takes (as ci:<email>,
// its claim mapping for that issuer) and cluster b refuses.
func ciTokenExchange(t *testing.T, ctx context.Context, cs *harness.Clusters) {
	a, b := cs.List[0], cs.List[1]
	subject, err := stack.PasswordIDToken(ctx)
	if err != nil {
		fatalf(t, "get the CI job's token: %v", err)
	}
	flags := []string{
		"--oidc-issuer-url=" + cs.Exchange.Issuer,
		"--oidc-client-id=" + harness.ExchangeClientID,
		"--oidc-client-secret=" + harness.ExchangeSecret,
		"--grant-type=token-exchange",
		"--token-exchange-subject-token-env=CI_JOB_JWT",
		"--token-exchange-subject-token-type=id-token",
		"--oidc-extra-scope=email,audience:server:client_id:" + a.Audience, // Dex puts email in the token only for its scope
		"--oidc-auth-request-extra-params=connector_id=" + harness.ExchangeConnectorID,
		"--certificate-authority=" + stack.TLS.CACert,
	}
	u := newUser(t, "1.33", harness.Exec{Flags: flags, Server: a.Server})
	u.ExtraEnv = append(u.ExtraEnv, "CI_JOB_JWT="+subject)
	t.Cleanup(func() {
		if t.Failed() {
			report(t, "exchange dex log", cs.Exchange.Tail(30))
		}
	})
	seen := len(a.Proxy.Seen())
	r := u.RunWithoutTerminal(ctx, "kubectl", "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
	mustSucceed(t, r)
	if got, want := strings.TrimSpace(r.Stdout), "ci:"+harness.Username; got != want {
		errorf(t, "%s sees %q, want %q (a token of the exchange Dex)", a.Name, got, want)
	}
	wantLaunches(t, u, 0)
	for _, s := range a.Proxy.Seen()[seen:] {
		if s.Audience != a.Audience+","+harness.ExchangeClientID || s.Status >= 400 {
			errorf(t, "%s's server saw %+v, want aud [%s %s], let in", a.Name, s, a.Audience, harness.ExchangeClientID)
		}
	}
	e := oneCacheEntry(t, u)
	tok := cmp.Or(e.IDToken, e.AccessToken)
	if got := selfSubjectReview(t, b, tok); got != http.StatusUnauthorized {
		errorf(t, "the CI token for %s replayed to %s: HTTP %d, want 401", a.Name, b.Name, got)
	}
}

// The same with the kubeconfig kubelogin setup writes: from a kubeconfig
// holding only the clusters, `setup --write-kubeconfig --cluster-audience`
// (one browser login, without the cache) writes the user and a context per
// cluster, and kubectl 1.33 then gets each cluster its own token with one
// more login for both.
func setupWrittenKubeconfig(t *testing.T, ctx context.Context, cs *harness.Clusters) {
	u := newUser(t, "1.33", harness.Exec{Flags: loginFlags(t, false)})
	if err := u.WriteClusters(cs.List); err != nil {
		fatalf(t, "write the clusters: %v", err)
	}
	args := []string{"setup", "--write-kubeconfig", "--exec-form=direct"}
	var scopes []string
	for _, c := range cs.List {
		args = append(args, "--cluster-audience="+c.Name+"="+c.Audience)
		scopes = append(scopes, "audience:server:client_id:"+c.Audience)
	}
	args = append(args, loginFlags(t, false, "--oidc-extra-scope="+strings.Join(scopes, ","))...)
	r := u.Run(ctx, "kubelogin", args...)
	mustSucceed(t, r)
	wantLaunches(t, u, 1)
	seen := map[string]int{}
	for _, c := range cs.List {
		seen[c.Name] = len(c.Proxy.Seen())
	}
	before := stack.Proxy.Snapshot()
	for _, c := range cs.List {
		r := u.Kubectl(ctx, "--context="+harness.UserName+"@"+c.Name, "auth", "whoami", "-o", "json")
		mustSucceed(t, r)
		if !strings.Contains(r.Stdout, harness.Username) {
			errorf(t, "%s: whoami %s", c.Name, r.Stdout)
		}
	}
	delta := stack.Proxy.Snapshot().Sub(before)
	wantLaunches(t, u, 2) // setup's own login does not fill the cache
	wantGrant(t, delta, grantAuthCode, 1)
	wantGrant(t, delta, grantRefresh, len(cs.List))
	wantOnlyOwnAudience(t, cs.List, seen)
}

// startClusters starts the scenario's clusters with start, stops them when
// the test ends, and reports what each server saw and logged if it failed.
func startClusters(t *testing.T, what string, start func() (*harness.Clusters, error)) *harness.Clusters {
	t.Helper()
	began := time.Now()
	cs, err := start()
	if err != nil {
		fatalf(t, "start the clusters: %v", err)
	}
	t.Cleanup(cs.Stop)
	logf("two kube-apiservers %s up in %s", what, time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			for _, c := range cs.List {
				report(t, c.Name+" saw", fmt.Sprint(c.Proxy.Seen()))
				report(t, c.Name+" log", c.Tail(20))
			}
		}
	})
	return cs
}

// wantReplaysRefused sends each cluster's token to its own server (let in:
// the token itself is fine) and to the next cluster's, which must refuse it
// and record that it saw that audience; then reports what each server saw.
func wantReplaysRefused(t *testing.T, clusters []*harness.Cluster, tokens map[string]string) {
	t.Helper()
	for i, c := range clusters {
		other := clusters[(i+1)%len(clusters)]
		if got := selfSubjectReview(t, c, tokens[c.Name]); got != http.StatusCreated {
			errorf(t, "%s's own token sent to %s: HTTP %d, want 201", c.Name, c.Name, got)
		}
		if got := selfSubjectReview(t, other, tokens[c.Name]); got != http.StatusUnauthorized {
			errorf(t, "%s's token replayed to %s: HTTP %d, want 401", c.Name, other.Name, got)
		}
		seen := other.Proxy.Seen()
		last := seen[len(seen)-1]
		if !slices.Contains(strings.Split(last.Audience, ","), c.Audience) || last.Status != http.StatusUnauthorized {
			errorf(t, "%s's server recorded %+v for the replay, want aud %s and 401", other.Name, last, c.Audience)
		}
	}
	for _, c := range clusters {
		report(t, "servers", fmt.Sprintf("%s saw %s", c.Name, summarize(c.Proxy.Seen())))
	}
}

// waitForExpiry sleeps until every cluster's token has expired and returns
// how many bearer tokens each server has seen so far.
func waitForExpiry(t *testing.T, clusters []*harness.Cluster, tokens map[string]string) map[string]int {
	t.Helper()
	var latest time.Time
	for _, tok := range tokens {
		if exp, err := harness.JWTExpiry(tok); err == nil && exp.After(latest) {
			latest = exp
		}
	}
	wait := time.Until(latest) + time.Second
	t.Logf("acceptance: waiting %s for both clusters' tokens to expire", wait.Round(100*time.Millisecond))
	time.Sleep(wait)
	seen := map[string]int{}
	for _, c := range clusters {
		seen[c.Name] = len(c.Proxy.Seen())
	}
	return seen
}

// wantRenewed checks that each cluster's cached token changed since tokens
// and that its server was sent a token after seenBefore.
func wantRenewed(t *testing.T, u *harness.User, clusters []*harness.Cluster, tokens map[string]string, seenBefore map[string]int) {
	t.Helper()
	renewed := clusterTokens(t, u, clusters)
	for _, c := range clusters {
		if renewed[c.Name] == tokens[c.Name] {
			errorf(t, "%s's token did not change after it expired", c.Name)
		}
		if len(c.Proxy.Seen()) == seenBefore[c.Name] {
			errorf(t, "%s's server saw no request after the renewal", c.Name)
		}
	}
}

// everyCluster runs wantClusterUser on each cluster and returns what the
// provider's proxy saw meanwhile.
func everyCluster(t *testing.T, ctx context.Context, u *harness.User, cs []*harness.Cluster, proxy *harness.Proxy) harness.Counts {
	t.Helper()
	before := proxy.Snapshot()
	for _, c := range cs {
		wantClusterUser(t, ctx, u, c, cs)
	}
	return proxy.Snapshot().Sub(before)
}

// wantClusterUser runs `kubectl --context=CLUSTER auth whoami` and checks
// that the server names the scenario's user and saw a token whose aud holds this
// cluster and no other (the AudienceExtraKey claim mapping).
func wantClusterUser(t *testing.T, ctx context.Context, u *harness.User, c *harness.Cluster, all []*harness.Cluster) {
	t.Helper()
	r := u.Kubectl(ctx, "--context="+c.Name, "auth", "whoami", "-o", "json")
	mustSucceed(t, r)
	var ssr struct {
		Status struct {
			UserInfo struct {
				Username string              `json:"username"`
				Extra    map[string][]string `json:"extra"`
			} `json:"userInfo"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &ssr); err != nil {
		fatalf(t, "parse the SelfSubjectReview of %s %q: %v", c.Name, r.Stdout, err)
	}
	if got := ssr.Status.UserInfo.Username; got != c.User {
		errorf(t, "%s sees user %q, want %q", c.Name, got, c.User)
	}
	aud := ssr.Status.UserInfo.Extra[harness.AudienceExtraKey]
	for _, other := range all {
		if got, want := slices.Contains(aud, other.Audience), other == c; got != want {
			errorf(t, "%s authenticated a token with aud %v: has %s = %v, want %v", c.Name, aud, other.Audience, got, want)
		}
	}
}

// wantOnlyOwnAudience checks, from each server's proxy, that every bearer
// token a cluster was sent (after the first from[cluster]) named that cluster and no
// other, and was let in.
func wantOnlyOwnAudience(t *testing.T, clusters []*harness.Cluster, from map[string]int) {
	t.Helper()
	for _, c := range clusters {
		seen := c.Proxy.Seen()
		if len(seen) <= from[c.Name] {
			errorf(t, "%s's server saw no bearer token", c.Name)
		}
		for _, s := range seen[from[c.Name]:] {
			auds := strings.Split(s.Audience, ",")
			for _, other := range clusters {
				if slices.Contains(auds, other.Audience) != (other == c) || s.Status >= 400 {
					errorf(t, "%s's server saw %+v, want only tokens for %s, let in", c.Name, s, c.Audience)
				}
			}
		}
	}
}

// clusterTokens finds each cluster's token in the user's cache: the JWT of
// an entry (its ID token, or with Keycloak its access token) whose aud names
// that cluster and no other.
func clusterTokens(t *testing.T, u *harness.User, clusters []*harness.Cluster) map[string]string {
	t.Helper()
	tokens := map[string]string{}
	entries := readCache(t, u.CacheDir())
	for _, e := range entries {
		for _, tok := range []string{e.IDToken, e.AccessToken} {
			if mine := onlyCluster(tok, clusters); mine != "" {
				tokens[mine] = tok
			}
		}
	}
	for _, c := range clusters {
		if tokens[c.Name] == "" {
			fatalf(t, "no cache entry of %s holds a token for %s alone (%d entries)", u.CacheDir(), c.Name, len(entries))
		}
	}
	return tokens
}

// onlyCluster is the name of the one cluster whose audience the JWT tok
// names, or "" (not a JWT, or for none or several).
func onlyCluster(tok string, clusters []*harness.Cluster) string {
	claims, err := harness.JWTClaims(tok)
	if err != nil {
		return ""
	}
	var auds []string
	switch a := claims["aud"].(type) {
	case string:
		auds = []string{a}
	case []any:
		for _, v := range a {
			auds = append(auds, fmt.Sprint(v))
		}
	}
	var mine []string
	for _, c := range clusters {
		if slices.Contains(auds, c.Audience) {
			mine = append(mine, c.Name)
		}
	}
	if len(mine) != 1 {
		return ""
	}
	return mine[0]
}

// selfSubjectReview sends a SelfSubjectReview to the cluster's server (its
// proxy) with a bearer token, as `curl -H "Authorization: Bearer …"` would,
// and returns the HTTP status. The token is never printed.
func selfSubjectReview(t *testing.T, c *harness.Cluster, token string) int {
	t.Helper()
	tlsCfg, err := stack.TLS.ClientTLS(false)
	if err != nil {
		fatalf(t, "%v", err)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	body := []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`)
	req, err := http.NewRequest(http.MethodPost, c.Server+"/apis/authentication.k8s.io/v1/selfsubjectreviews", bytes.NewReader(body))
	if err != nil {
		fatalf(t, "%v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		fatalf(t, "POST a SelfSubjectReview to %s: %v", c.Name, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// summarize counts what a server saw by audience and status.
func summarize(seen []harness.Seen) string {
	counts := map[string]int{}
	var keys []string
	for _, s := range seen {
		k := fmt.Sprintf("aud=[%s] %d", s.Audience, s.Status)
		if counts[k] == 0 {
			keys = append(keys, k)
		}
		counts[k]++
	}
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s ×%d", k, counts[k])
	}
	return b.String()
}

// Dex issues a refresh token only with offline_access, and a token per
// cluster (cross-client) is obtained with it: without it, the login says
// what to add, after one browser login.
func TestMultiClusterNeedsOfflineAccess(t *testing.T) {
	ctx := context.Background()
	var flags []string
	for _, f := range loginFlags(t, false) {
		if f != "--oidc-extra-scope=offline_access" {
			flags = append(flags, f)
		}
	}
	u := newUser(t, "1.33", harness.Exec{Flags: flags})
	args := append([]string{"get-token", "--request-audience=cluster-a", "--oidc-extra-scope=audience:server:client_id:cluster-a"}, flags...)
	r := u.Run(ctx, "kubelogin", args...)
	want := "error: the provider's login gave no refresh token, which --request-audience needs with cross-client audiences: add --oidc-extra-scope=offline_access"
	if r.OK() || !strings.Contains(r.Stderr, want) {
		report(t, "user saw", r.String())
		errorf(t, "want the error %q", want)
	}
	wantLaunches(t, u, 1)
}
