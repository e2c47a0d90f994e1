package acceptance

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/acceptance_test/harness"
)

// report logs a block of text line by line, each line prefixed so that
// `make acceptance-test` (which greps for "acceptance:") shows it.
func report(t *testing.T, title, text string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		t.Logf("acceptance: %s| %s", title, line)
	}
}

// newUser makes a user with kubectl of version minor and a kubeconfig with
// the given exec entry. When the test fails, its cleanup prints Dex's log
// tail, the proxy's counts and the browser's output.
func newUser(t *testing.T, minor string, e harness.Exec) *harness.User {
	t.Helper()
	u, err := stack.NewUser(t.TempDir(), minor)
	if err != nil {
		fatalf(t, "make user: %v", err)
	}
	if err := u.WriteKubeconfig(e); err != nil {
		fatalf(t, "write kubeconfig: %v", err)
	}
	t.Cleanup(func() {
		if err := u.WaitBrowsers(context.Background(), 30*time.Second); err != nil {
			report(t, "browser", err.Error())
			errorf(t, "a browser program did not finish its login")
		}
		if t.Failed() {
			report(t, "proxy", "requests to Dex so far: "+stack.Proxy.Snapshot().String())
			report(t, "browser", u.BrowserOutputs())
			report(t, "dex log", stack.Dex.Tail(40))
		}
	})
	return u
}

// loginFlags are the suite's usual get-token flags plus extra ones.
func loginFlags(t *testing.T, inlineCA bool, extra ...string) []string {
	t.Helper()
	flags, err := stack.LoginFlags(inlineCA)
	if err != nil {
		fatalf(t, "login flags: %v", err)
	}
	return append(flags, extra...)
}

// mustSucceed fails the test, showing what the user saw, unless r exited 0.
func mustSucceed(t *testing.T, r *harness.Result) {
	t.Helper()
	if !r.OK() {
		report(t, "user saw", r.String())
		fatalf(t, "%s: exit %d, want 0", r.Command, r.ExitCode)
	}
}

// skipIfUnsupported skips the test when the plugin says a feature is not
// there yet: a line with "not available", or cobra's "unknown command".
func skipIfUnsupported(t *testing.T, r *harness.Result, feature string) {
	t.Helper()
	if r.OK() {
		return
	}
	out := r.Output()
	for _, marker := range []string{"not available", "unknown command"} {
		if strings.Contains(out, marker) {
			t.Skipf("acceptance: SKIP: kubelogin does not support %s yet (it said %q)", feature, firstLineWith(out, marker))
		}
	}
}

// skipUnlessCommand skips the test when `kubectl oidc-login --help` does not
// list the subcommand. (Without it, cobra would hand the subcommand's flags to
// the root command and answer "unknown flag".)
func skipUnlessCommand(t *testing.T, ctx context.Context, u *harness.User, name string) {
	t.Helper()
	r := u.Kubectl(ctx, "oidc-login", "--help")
	mustSucceed(t, r)
	commands, _, _ := strings.Cut(r.Stdout+r.Stderr, "Flags:")
	for _, line := range strings.Split(commands, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == name && strings.HasPrefix(line, "  ") {
			return
		}
	}
	t.Skipf("acceptance: SKIP: kubelogin has no %q command yet (not in `kubectl oidc-login --help`)", name)
}

func firstLineWith(text, substr string) string {
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, substr) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// wantLaunches checks how many times the browser was opened so far.
func wantLaunches(t *testing.T, u *harness.User, want int) {
	t.Helper()
	launches := u.BrowserLaunches()
	if len(launches) != want {
		var urls []string
		for _, l := range launches {
			urls = append(urls, l.URL)
		}
		errorf(t, "browser launches = %d, want %d (%v)", len(launches), want, urls)
	}
}

// wantGrant checks how many token requests of a grant type Dex received in delta.
func wantGrant(t *testing.T, delta harness.Counts, grant string, want int) {
	t.Helper()
	if got := delta.Grants[grant]; got != want {
		errorf(t, "token requests with grant_type=%s = %d, want %d (all: %s)", grant, got, want, delta)
	}
}

// Grant types as the token endpoint sees them.
const (
	grantAuthCode = "authorization_code"
	grantRefresh  = "refresh_token"
	grantPassword = "password"
	grantDevice   = "urn:ietf:params:oauth:grant-type:device_code"
)

// whoami returns the username the API server sees for the user: `kubectl
// auth whoami`, or a SelfSubjectReview created with `kubectl create --raw`
// for a kubectl whose whoami speaks an API version the server no longer serves.
func whoami(t *testing.T, ctx context.Context, u *harness.User) string {
	t.Helper()
	r := u.Kubectl(ctx, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
	if r.OK() {
		return strings.TrimSpace(r.Stdout)
	}
	review := filepath.Join(u.Home, "selfsubjectreview.json")
	body := `{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`
	if err := os.WriteFile(review, []byte(body), 0o600); err != nil {
		fatalf(t, "%v", err)
	}
	raw := u.Kubectl(ctx, "create", "--raw", "/apis/authentication.k8s.io/v1/selfsubjectreviews", "-f", review)
	if !raw.OK() {
		report(t, "user saw", r.String())
		report(t, "user saw", raw.String())
		fatalf(t, "neither kubectl auth whoami nor a SelfSubjectReview worked")
	}
	var ssr struct {
		Status struct {
			UserInfo struct {
				Username string `json:"username"`
			} `json:"userInfo"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(raw.Stdout), &ssr); err != nil {
		fatalf(t, "parse SelfSubjectReview %q: %v", raw.Stdout, err)
	}
	return ssr.Status.UserInfo.Username
}

// wantUser checks that the API server sees Dex's user.
func wantUser(t *testing.T, ctx context.Context, u *harness.User) {
	t.Helper()
	if got := whoami(t, ctx, u); got != harness.Username {
		errorf(t, "the API server sees user %q, want %q", got, harness.Username)
	}
}

// grantView makes sure Dex's user may read the cluster.
func grantView(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := stack.GrantView(ctx); err != nil {
		fatalf(t, "grant view: %v", err)
	}
}

// getPodsUntilAllowed runs `kubectl get pods` until RBAC has caught up with a
// new binding (a few hundred milliseconds at most).
func getPodsUntilAllowed(t *testing.T, ctx context.Context, u *harness.User) *harness.Result {
	t.Helper()
	var r *harness.Result
	for range 20 {
		r = u.Kubectl(ctx, "get", "pods")
		if r.OK() || !strings.Contains(r.Stderr, "Forbidden") {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	mustSucceed(t, r)
	return r
}

// readCache reads the user's token cache, failing the test on error.
func readCache(t *testing.T, dir string) []harness.CacheEntry {
	t.Helper()
	entries, err := harness.ReadCache(dir)
	if err != nil {
		fatalf(t, "read token cache %s: %v", dir, err)
	}
	return entries
}

// oneCacheEntry reads the user's single token cache entry.
func oneCacheEntry(t *testing.T, u *harness.User) harness.CacheEntry {
	t.Helper()
	entries := readCache(t, u.CacheDir())
	if len(entries) != 1 {
		fatalf(t, "token cache %s has %d entries with tokens, want 1: %v", u.CacheDir(), len(entries), entries)
	}
	return entries[0]
}

// parallel runs f n times at once and returns the results in order.
func parallel(n int, f func(i int) *harness.Result) []*harness.Result {
	results := make([]*harness.Result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = f(i) })
	}
	wg.Wait()
	return results
}

// useIDTokenExpiry restarts Dex with a short ID-token lifetime for this test,
// and with the default one afterwards.
func useIDTokenExpiry(t *testing.T, ctx context.Context, d time.Duration) {
	t.Helper()
	if err := stack.RestartDex(ctx, d); err != nil {
		fatalf(t, "restart Dex with idTokens %s: %v", d, err)
	}
	t.Cleanup(func() {
		if err := stack.RestartDex(context.Background(), harness.DefaultIDTokenExpiry); err != nil {
			errorf(t, "restart Dex with the default expiry: %v", err)
		}
	})
}

// sleepUntilExpired waits until the entry's ID token is past its exp (so
// past any margin kubelogin applies before it).
func sleepUntilExpired(t *testing.T, e harness.CacheEntry) {
	t.Helper()
	exp, err := e.IDTokenExpiry()
	if err != nil {
		fatalf(t, "ID token in %s: %v", e.Path, err)
	}
	wait := time.Until(exp) + time.Second
	t.Logf("acceptance: waiting %s for the ID token to expire", wait.Round(100*time.Millisecond))
	time.Sleep(wait)
}

// errorf marks the test failed with a message whose every line `make
// acceptance-test` shows (it greps for "acceptance:").
func errorf(t *testing.T, format string, args ...any) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimRight(fmt.Sprintf(format, args...), "\n"), "\n") {
		t.Log("acceptance: FAIL: " + line)
	}
	t.Fail()
}

// fatalf is errorf, then stops the test.
func fatalf(t *testing.T, format string, args ...any) {
	t.Helper()
	errorf(t, format, args...)
	t.FailNow()
}
