package acceptance

import (
	"context"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/acceptance_test/harness"
)

// shortIDTokens is the ID-token lifetime of the refresh scenarios: long
// enough for a kubectl call under load, short enough to wait for.
const shortIDTokens = 12 * time.Second

// parallelCalls is how many kubectl processes the concurrency scenarios run at once.
const parallelCalls = 8

// When the ID token has expired, the next kubectl call refreshes it silently
// with the refresh token: one refresh request, no browser, a rotated refresh
// token in the cache.
func TestExpiredTokenIsRefreshedSilently(t *testing.T) {
	ctx := context.Background()
	grantView(t, ctx)
	useIDTokenExpiry(t, ctx, shortIDTokens)
	u := newUser(t, "1.33", harness.Exec{APIVersion: harness.ExecV1, Flags: loginFlags(t, false)})

	mustSucceed(t, u.Kubectl(ctx, "get", "pods"))
	wantLaunches(t, u, 1)
	first := oneCacheEntry(t, u)
	if first.RefreshToken == "" {
		fatalf(t, "no refresh token in the cache after the login (%s)", first.Path)
	}
	firstExp, err := first.IDTokenExpiry()
	if err != nil {
		fatalf(t, "%v", err)
	}
	sleepUntilExpired(t, first)

	before := stack.Proxy.Snapshot()
	mustSucceed(t, u.Kubectl(ctx, "get", "pods"))
	delta := stack.Proxy.Snapshot().Sub(before)
	wantGrant(t, delta, grantRefresh, 1)
	wantGrant(t, delta, grantAuthCode, 0)
	wantLaunches(t, u, 1)

	second := oneCacheEntry(t, u)
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
		errorf(t, "the refresh token in the cache did not change (Dex rotates refresh tokens)")
	}
	if exp, err := second.IDTokenExpiry(); err != nil || !exp.After(firstExp) {
		errorf(t, "the cached ID token expires at %v (%v), want after the old one's %v", exp, err, firstExp)
	}
}

// Eight kubectl processes at once with an expired token share one refresh:
// Dex sees exactly one refresh request, and no browser opens.
func TestParallelKubectlCallsShareOneRefresh(t *testing.T) {
	ctx := context.Background()
	grantView(t, ctx)
	useIDTokenExpiry(t, ctx, shortIDTokens)
	u := newUser(t, "1.33", harness.Exec{APIVersion: harness.ExecV1, Flags: loginFlags(t, false)})

	mustSucceed(t, u.Kubectl(ctx, "get", "pods"))
	wantLaunches(t, u, 1)
	sleepUntilExpired(t, oneCacheEntry(t, u))

	before := stack.Proxy.Snapshot()
	results := parallel(parallelCalls, func(int) *harness.Result { return u.Kubectl(ctx, "get", "pods") })
	for _, r := range results {
		mustSucceed(t, r)
	}
	delta := stack.Proxy.Snapshot().Sub(before)
	wantGrant(t, delta, grantRefresh, 1)
	wantGrant(t, delta, grantAuthCode, 0)
	wantLaunches(t, u, 1)
}

// Eight kubectl processes at once with an empty cache share one login:
// exactly one browser opens and Dex sees one code exchange.
func TestParallelKubectlCallsOnAnEmptyCacheOpenOneBrowser(t *testing.T) {
	ctx := context.Background()
	grantView(t, ctx)
	u := newUser(t, "1.33", harness.Exec{APIVersion: harness.ExecV1, Flags: loginFlags(t, false)})

	before := stack.Proxy.Snapshot()
	results := parallel(parallelCalls, func(int) *harness.Result { return u.Kubectl(ctx, "get", "pods") })
	for _, r := range results {
		mustSucceed(t, r)
	}
	delta := stack.Proxy.Snapshot().Sub(before)
	wantLaunches(t, u, 1)
	wantGrant(t, delta, grantAuthCode, 1)
	wantGrant(t, delta, grantRefresh, 0)
}
