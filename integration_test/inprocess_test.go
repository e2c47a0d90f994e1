package integration_test

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/di"
	"github.com/kubelogin/kubelogin/internal/system"
	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
	"github.com/kubelogin/kubelogin/internal/token"
)

// The in-process tests run the fully wired command line (di.NewCmdForTest)
// against the in-process provider over real HTTP, with their own streams, a
// clock they move forward and a browser that is an HTTP client. They are for
// what only needs time to pass; what needs real processes (locks, signals,
// concurrency, kubectl, terminals) runs the built binary.

// fakeClock is the clock of the plugin and of the provider alike.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// httpBrowser follows the login URL through the provider to the plugin's
// loopback server, as the scripted browser of the out-of-process tests does.
type httpBrowser struct {
	mu       sync.Mutex
	launches int
}

func (b *httpBrowser) Open(url, _ string, failed func(error)) error {
	b.mu.Lock()
	b.launches++
	b.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := oidcfake.BrowseWith(ctx, &http.Client{Timeout: 20 * time.Second}, url); err != nil && failed != nil {
			failed(err)
		}
	}()
	return nil
}

func (b *httpBrowser) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.launches
}

// inproc is one in-process test's world.
type inproc struct {
	t        *testing.T
	clock    *fakeClock
	provider *oidcfake.Provider
	browser  *httpBrowser
	cacheDir string
	home     string
	env      map[string]string
}

func newInproc(t *testing.T, cfg oidcfake.Config) *inproc {
	t.Helper()
	clock := &fakeClock{now: time.Now().Truncate(time.Second)}
	cfg.Now = clock.Now
	p, err := oidcfake.Start(cfg)
	if err != nil {
		t.Fatalf("start provider: %v", err)
	}
	t.Cleanup(p.Close)
	dir := t.TempDir()
	return &inproc{t: t, clock: clock, provider: p, browser: &httpBrowser{}, cacheDir: dir + "/cache", home: dir,
		env: map[string]string{"KUBERNETES_EXEC_INFO": `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}`}}
}

// run runs the wired command line with args and returns what it left.
func (w *inproc) run(args ...string) result {
	w.t.Helper()
	var stdout, stderr bytes.Buffer
	sys := system.OS{
		Stdin:          strings.NewReader(""),
		Stdout:         &stdout,
		Stderr:         &stderr,
		Getenv:         func(k string) string { return w.env[k] },
		Now:            w.clock.Now,
		OpenBrowser:    w.browser.Open,
		UserHomeDir:    func() (string, error) { return w.home, nil },
		CanOpenBrowser: func() bool { return true },
		RunCommand:     system.RunCommand,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := di.NewCmdForTest(sys).Run(ctx, args)
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// getToken runs get-token with the flags of env.args, less the browser command.
func (w *inproc) getToken(extra ...string) result {
	w.t.Helper()
	return w.run(append([]string{"get-token",
		"--oidc-issuer-url=" + w.provider.Issuer(),
		"--oidc-client-id=kubelogin",
		"--token-cache-dir=" + w.cacheDir,
		"--listen-address=127.0.0.1:0",
		"--authentication-timeout-sec=20",
	}, extra...)...)
}

// entry returns the single token cache entry, as env.onlyEntry does.
func (w *inproc) entry() map[string]any {
	w.t.Helper()
	e := &env{t: w.t, cacheDir: w.cacheDir}
	_, m := e.onlyEntry()
	return m
}

func TestInProcessExpiredTokenIsRefreshedSilently(t *testing.T) {
	w := newInproc(t, oidcfake.Config{IDTokenTTL: time.Hour})
	first := mustCredential(t, w.getToken())
	before := w.entry()
	if got := w.browser.count(); got != 1 {
		t.Fatalf("browser launches = %d, want 1", got)
	}

	// Within its lifetime (less the margin) the token is served from the cache.
	w.clock.Advance(30 * time.Minute)
	if again := mustCredential(t, w.getToken()); again.Status.Token != first.Status.Token {
		t.Error("a valid token was not served from the cache")
	}
	if got := w.provider.TokenRequests("refresh_token"); got != 0 {
		t.Errorf("refresh requests = %d while the token is valid, want 0", got)
	}

	// Past its expiry: one refresh, no browser.
	w.clock.Advance(31 * time.Minute)
	w.provider.ResetCounts()
	second := mustCredential(t, w.getToken())
	if second.Status.Token == first.Status.Token {
		t.Fatal("got the expired token back")
	}
	if !second.Status.ExpirationTimestamp.Equal(w.clock.Now().Add(time.Hour)) {
		t.Errorf("expiry %s, want the fake clock's now + 1h (%s)", second.Status.ExpirationTimestamp, w.clock.Now().Add(time.Hour))
	}
	if got := w.provider.TokenRequests("refresh_token"); got != 1 {
		t.Errorf("refresh requests = %d, want 1", got)
	}
	if got := w.browser.count(); got != 1 {
		t.Errorf("browser launches = %d, want 1 (no login for a refresh)", got)
	}
	if after := w.entry(); before["refresh_token"] == after["refresh_token"] {
		t.Error("the rotated refresh token was not stored")
	}
	form, _ := w.provider.LastTokenRequest()
	if got := form.Get("scope"); got != "openid" {
		t.Errorf("refresh scope = %q, want the original scopes", got)
	}
}

// TestInProcessStandaloneRefreshesAnExpiredToken: the bare command (the
// standalone mode) refreshes an expired auth-provider token without the
// browser and writes the new tokens into the kubeconfig.
func TestInProcessStandaloneRefreshesAnExpiredToken(t *testing.T) {
	w := newInproc(t, oidcfake.Config{IDTokenTTL: time.Hour})
	kubeconfig := filepath.Join(w.home, ".kube", "config")
	writeText(t, kubeconfig, legacyKubeconfig(&shell{env: &env{provider: w.provider}}, "oidc", ""))
	w.env = map[string]string{"KUBECONFIG": kubeconfig}
	flags := []string{"--listen-address=127.0.0.1:0", "--authentication-timeout-sec=20"}

	r := w.run(flags...)
	if r.code != 0 || w.browser.count() != 1 {
		t.Fatalf("login: exit %d, launches %d, stderr:\n%s", r.code, w.browser.count(), r.stderr)
	}
	cfg := authProviderConfig(t, kubeconfig, "oidc")
	c, err := token.DecodeClaims(cfg["id-token"])
	if err != nil || cfg["refresh-token"] == "" {
		t.Fatalf("written auth-provider config: claims %+v, %v", c, err)
	}

	// Past the ID token's expiry: refreshed without the browser.
	w.clock.Advance(c.Expiry.Sub(w.clock.Now()) + time.Second)
	w.provider.ResetCounts()
	r = w.run(flags...)
	if r.code != 0 {
		t.Fatalf("refresh: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if w.provider.TokenRequests("refresh_token") != 1 || w.browser.count() != 1 {
		t.Errorf("refreshes %d, launches %d", w.provider.TokenRequests("refresh_token"), w.browser.count())
	}
	after := authProviderConfig(t, kubeconfig, "oidc")
	if after["id-token"] == cfg["id-token"] || after["refresh-token"] == cfg["refresh-token"] {
		t.Error("the refreshed tokens were not written")
	}
	if c2, err := token.DecodeClaims(after["id-token"]); err != nil {
		t.Errorf("the new ID token: %v", err)
	} else if want := w.clock.Now().Add(time.Hour); !c2.Expiry.Equal(want) {
		t.Errorf("the new ID token expires at %s, want the fake clock's now + 1h, %s", c2.Expiry, want)
	}
	if strings.Contains(r.stderr, after["id-token"]) || strings.Contains(r.stderr, after["refresh-token"]) {
		t.Error("a token was printed")
	}
}
