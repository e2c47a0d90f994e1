package integration_test

import (
	"sync"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// runParallel starts n plugin runs at once and returns their results.
func (e *env) runParallel(n int, extra ...string) []result {
	e.t.Helper()
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = e.getToken(extra...) })
	}
	wg.Wait()
	return results
}

func TestConcurrentRunsShareOneLoginAndOneRefresh(t *testing.T) {
	e := newEnv(t, oidcfake.Config{IDTokenTTL: 3 * time.Second})
	var expiry time.Time
	for _, r := range e.runParallel(10) {
		expiry = mustCredential(t, r).Status.ExpirationTimestamp
	}
	if got := e.launches(); got != 1 {
		t.Errorf("browser launches = %d for 10 concurrent runs, want 1", got)
	}
	if got := e.provider.TokenRequests("authorization_code"); got != 1 {
		t.Errorf("code exchanges = %d, want 1", got)
	}

	time.Sleep(time.Until(expiry))
	e.provider.ResetCounts()
	for _, r := range e.runParallel(10) {
		mustCredential(t, r)
	}
	if got := e.provider.TokenRequests("refresh_token"); got != 1 {
		t.Errorf("refresh requests = %d for 10 concurrent runs, want 1", got)
	}
	if got := e.provider.RefreshTokenReuses(); got != 0 {
		t.Errorf("refresh token reused %d times", got)
	}
	if got := e.launches(); got != 1 {
		t.Errorf("browser launches = %d after the refresh, want 1", got)
	}
}

func TestFailedLoginDoesNotCascadeBrowserTabs(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	e.how = "none" // the user never finishes the login
	results := e.runParallel(6, "--authentication-timeout-sec=2")
	for _, r := range results {
		mustFail(t, r)
	}
	if got := e.launches(); got != 1 {
		t.Errorf("browser launches = %d, want 1: waiting processes must fail fast with the first one's error", got)
	}
	failedFast := 0
	for _, r := range results {
		if contains(r.stderr, "another kubelogin process failed to log in") {
			failedFast++
		}
	}
	if failedFast != 5 {
		t.Errorf("%d runs failed fast, want 5", failedFast)
	}

	// A new run after the failure tries again.
	e.how = ""
	mustCredential(t, e.getToken())
	if got := e.launches(); got != 2 {
		t.Errorf("browser launches = %d, want 2", got)
	}
}
