package acceptance

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/acceptance_test/harness"
)

// A user with DROP_IN.md's first kubeconfig (plugin called directly, v1,
// interactiveMode IfAvailable) runs kubectl for the first time: one browser
// login, then RBAC decides.
func TestFirstKubectlCallLogsInThroughTheBrowser(t *testing.T) {
	ctx := context.Background()
	if err := stack.RevokeView(ctx); err != nil {
		fatalf(t, "revoke view: %v", err)
	}
	u := newUser(t, "1.33", harness.Exec{
		APIVersion:      harness.ExecV1,
		InteractiveMode: "IfAvailable",
		Flags:           loginFlags(t, false),
	})
	before := stack.Proxy.Snapshot()

	r := u.Kubectl(ctx, "get", "pods")
	if r.OK() || !strings.Contains(r.Stderr, "Forbidden") || !strings.Contains(r.Stderr, harness.Username) {
		report(t, "user saw", r.String())
		fatalf(t, "first `kubectl get pods` without a binding: want Forbidden for %s", harness.Username)
	}
	wantLaunches(t, u, 1)
	if got := u.BrowserLaunches()[0].URL; !strings.HasPrefix(got, stack.Issuer+"/auth?") {
		errorf(t, "the browser opened %s, want Dex's authorization endpoint %s/auth", got, stack.Issuer)
	}
	if err := u.WaitBrowsers(ctx, 30*time.Second); err != nil {
		errorf(t, "browser: %v", err)
	}

	wantUser(t, ctx, u)

	grantView(t, ctx)
	r = getPodsUntilAllowed(t, ctx, u)
	if !strings.Contains(r.Output(), "No resources found") {
		errorf(t, "kubectl get pods printed %q, want \"No resources found\"", r.Output())
	}

	// One login for all of it: one browser, one code exchange, nothing else.
	wantLaunches(t, u, 1)
	delta := stack.Proxy.Snapshot().Sub(before)
	wantGrant(t, delta, grantAuthCode, 1)
	if delta.Tokens() != 1 {
		errorf(t, "token requests = %d, want 1 (%s)", delta.Tokens(), delta)
	}

	// DROP_IN.md: cache files 0600 in a 0700 directory.
	e := oneCacheEntry(t, u)
	if e.Mode != 0o600 {
		errorf(t, "cache file %s has mode %o, want 600", e.Path, e.Mode)
	}
	if info, err := os.Stat(u.CacheDir()); err != nil {
		errorf(t, "cache dir: %v", err)
	} else if info.Mode().Perm() != 0o700 {
		errorf(t, "cache dir %s has mode %o, want 700", u.CacheDir(), info.Mode().Perm())
	}
}

// With --local-server-cert the login callback is served over HTTPS. A real
// browser must get through it: Chromium offers HTTP/2 and takes what the
// server's TLS handshake offers, which a Go client in the integration tests
// does not show (a build of net/http that offered h2 and could not speak it
// passed them).
func TestBrowserLoginThroughAnHTTPSCallback(t *testing.T) {
	ctx := context.Background()
	grantView(t, ctx)
	u := newUser(t, "1.33", harness.Exec{Flags: loginFlags(t, false,
		"--local-server-cert="+stack.TLS.ServerCert, "--local-server-key="+stack.TLS.ServerKey)})
	before := stack.Proxy.Snapshot()

	r := u.Kubectl(ctx, "get", "pods")
	mustSucceed(t, r)
	wantLaunches(t, u, 1)
	if got, want := u.BrowserLaunches()[0].URL, "redirect_uri="+url.QueryEscape("https://localhost:8000"); !strings.Contains(got, want) {
		errorf(t, "the browser opened %s, want %s in it", got, want)
	}
	if err := u.WaitBrowsers(ctx, 30*time.Second); err != nil {
		errorf(t, "browser: %v", err)
	}
	wantGrant(t, stack.Proxy.Snapshot().Sub(before), grantAuthCode, 1)
	wantUser(t, ctx, u)
}

// With a token in the cache, kubectl keeps working while Dex is down, and
// no browser opens.
func TestSecondCallWorksFromTheCacheWhileDexIsDown(t *testing.T) {
	ctx := context.Background()
	grantView(t, ctx)
	u := newUser(t, "1.33", harness.Exec{APIVersion: harness.ExecV1, Flags: loginFlags(t, false)})

	mustSucceed(t, u.Kubectl(ctx, "get", "pods"))
	wantLaunches(t, u, 1)

	stack.Proxy.Stop()
	t.Cleanup(func() {
		if err := stack.Proxy.Start(); err != nil {
			errorf(t, "restart the proxy: %v", err)
		}
	})
	mustSucceed(t, u.Kubectl(ctx, "get", "pods"))
	wantUser(t, ctx, u)
	wantLaunches(t, u, 1)
}

// A background tool (an IDE, k9s) runs kubectl with no terminal: with a token
// in the cache it works, and no browser opens.
func TestBackgroundToolWithoutATerminalUsesTheCache(t *testing.T) {
	ctx := context.Background()
	grantView(t, ctx)
	u := newUser(t, "1.33", harness.Exec{
		APIVersion:      harness.ExecV1,
		InteractiveMode: "IfAvailable",
		Flags:           loginFlags(t, false),
	})
	mustSucceed(t, u.Kubectl(ctx, "get", "pods"))
	wantLaunches(t, u, 1)

	before := stack.Proxy.Snapshot()
	mustSucceed(t, u.RunWithoutTerminal(ctx, "kubectl", "get", "pods"))
	wantLaunches(t, u, 1)
	if delta := stack.Proxy.Snapshot().Sub(before); delta.Tokens() != 0 {
		errorf(t, "token requests = %d, want 0 (%s)", delta.Tokens(), delta)
	}
}
