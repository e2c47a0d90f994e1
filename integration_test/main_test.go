// Package integration_test runs the built kubelogin binary, as kubectl does,
// against the in-process OpenID provider (real HTTP: discovery, JWKS, signed
// tokens, PKCE, rotating refresh tokens). The test binary doubles as the
// scripted browser: the plugin runs it as --browser-command.
package integration_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// Environment of the browser mode of this test binary.
const (
	envBrowserMode = "KUBELOGIN_IT_BROWSER"     // set: act as the browser
	envBrowserLog  = "KUBELOGIN_IT_BROWSER_LOG" // file with one line per launch
	envBrowserCA   = "KUBELOGIN_IT_BROWSER_CA"  // CA file of the provider, if TLS
	envBrowserHow  = "KUBELOGIN_IT_BROWSER_HOW" // follow (default), none, ipv6, host:NAME, state
)

var pluginBin string

func TestMain(m *testing.M) {
	// Browser mode; a URL argument also means it, so that a plugin started
	// without the test's environment never makes this binary run the tests.
	if os.Getenv(envBrowserMode) != "" || len(os.Args) == 2 && strings.HasPrefix(os.Args[1], "http") {
		os.Exit(browserMain(os.Args[1:]))
	}
	dir, err := os.MkdirTemp("", "kubelogin-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if cover := os.Getenv(envCoverDir); cover != "" {
		// Every plugin run inherits GOCOVERDIR and leaves its counters there.
		os.Setenv("GOCOVERDIR", cover)
	}
	pluginBin = filepath.Join(dir, "kubelogin")
	if err := buildPlugin(pluginBin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// envCoverDir, when set, builds the plugin with -cover and has every run write
// its coverage counters into that directory (make coverage).
const envCoverDir = "KUBELOGIN_IT_COVERDIR"

// buildPlugin builds cmd/kubelogin into out, with the race detector when the
// tests run with it, with -cover under envCoverDir, and with extra flags.
func buildPlugin(out string, extra ...string) error {
	args := append([]string{"build", "-o", out}, extra...)
	if raceEnabled {
		args = append(args, "-race")
	}
	if os.Getenv(envCoverDir) != "" {
		args = append(args, "-cover", "-coverpkg=github.com/kubelogin/kubelogin/...")
	}
	build := exec.Command("go", append(args, "../cmd/kubelogin")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build kubelogin: %w", err)
	}
	return nil
}

// browserMain is the scripted browser: it logs the launch and follows the
// login URL through the provider to the plugin's loopback server.
func browserMain(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "browser: want one URL, got", args)
		return 2
	}
	authURL := args[0]
	logf := func(format string, a ...any) {
		f, err := os.OpenFile(os.Getenv(envBrowserLog), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err == nil {
			fmt.Fprintf(f, format+"\n", a...)
			f.Close()
		}
	}
	logf("launch %s", authURL)
	how := os.Getenv(envBrowserHow)
	if how == "none" {
		return 0
	}
	client := &http.Client{Timeout: 20 * time.Second}
	if ca := os.Getenv(envBrowserCA); ca != "" {
		pem, _ := os.ReadFile(ca)
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	// Follow the provider's redirects ourselves, so that the callback request
	// can be altered the way a test wants.
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Hostname() != "localhost" {
			return nil
		}
		switch {
		case how == "ipv6":
			req.URL.Host = strings.Replace(req.URL.Host, "localhost", "[::1]", 1)
			req.Host = ""
		case strings.HasPrefix(how, "host:"):
			req.Host = strings.TrimPrefix(how, "host:")
		case how == "state":
			q := req.URL.Query()
			q.Set("state", "forged")
			req.URL.RawQuery = q.Encode()
		}
		return nil
	}
	body, err := oidcfake.BrowseWith(context.Background(), client, authURL)
	if err != nil {
		logf("error %v", err)
		return 1
	}
	logf("done %s", firstLine(body))
	return 0
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "<h1>"); i >= 0 {
		s = s[i+4:]
		if j := strings.Index(s, "</h1>"); j >= 0 {
			s = s[:j]
		}
	}
	return s
}

// env is one test's world: a provider, a cache directory, a browser log.
type env struct {
	t        *testing.T
	provider *oidcfake.Provider
	cacheDir string
	browser  string // browser log file
	caFile   string
	how      string
	execInfo string
	listen   string // --listen-address
}

func newEnv(t *testing.T, cfg oidcfake.Config) *env {
	t.Helper()
	listen := "127.0.0.1:0"
	if cfg.ClientSecret != "" && cfg.RedirectURIs == nil {
		// A confidential client may use only its registered redirect URIs,
		// as with Dex and Keycloak: register http://localhost:PORT for a
		// free port and listen there, as users do with 8000 and 18000.
		port := freePort(t)
		cfg.RedirectURIs = []string{"http://localhost:" + port}
		listen = "127.0.0.1:" + port
	}
	p, err := oidcfake.Start(cfg)
	if err != nil {
		t.Fatalf("start provider: %v", err)
	}
	t.Cleanup(p.Close)
	dir := t.TempDir()
	e := &env{t: t, provider: p, cacheDir: filepath.Join(dir, "cache"), browser: filepath.Join(dir, "browser.log"), listen: listen,
		execInfo: `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}`}
	if pem := p.CACertPEM(); pem != nil {
		e.caFile = filepath.Join(dir, "ca.crt")
		if err := os.WriteFile(e.caFile, pem, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// result is what one plugin run left.
type result struct {
	stdout, stderr string
	code           int
}

// args are the flags every run gets: the provider, a free port, the browser.
func (e *env) args(extra ...string) []string {
	self, _ := os.Executable()
	a := []string{"get-token",
		"--oidc-issuer-url=" + e.provider.Issuer(),
		"--oidc-client-id=kubelogin",
		"--token-cache-dir=" + e.cacheDir,
		"--listen-address=" + e.listen,
		"--browser-command=" + self,
		"--authentication-timeout-sec=20",
	}
	if e.caFile != "" {
		a = append(a, "--certificate-authority="+e.caFile)
	}
	return append(a, extra...)
}

// run runs the plugin with args (the flags of args() are not added).
func (e *env) run(args ...string) result {
	e.t.Helper()
	return e.runWith(runOpts{}, args...)
}

// getToken runs get-token with the standard flags plus extra.
func (e *env) getToken(extra ...string) result {
	e.t.Helper()
	return e.run(e.args(extra...)...)
}

// launches counts the browser launches so far.
func (e *env) launches() int {
	b, err := os.ReadFile(e.browser)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "launch ")
}

func (e *env) browserLog() string {
	b, _ := os.ReadFile(e.browser)
	return string(b)
}

// credential decodes an ExecCredential from stdout.
type credential struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Status     struct {
		Token               string    `json:"token"`
		ExpirationTimestamp time.Time `json:"expirationTimestamp"`
	} `json:"status"`
}

func mustCredential(t *testing.T, r result) credential {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("kubelogin exited %d\nstderr:\n%s", r.code, r.stderr)
	}
	var c credential
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil {
		t.Fatalf("stdout is not an ExecCredential: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	if c.Status.Token == "" {
		t.Fatalf("ExecCredential without a token: %s", r.stdout)
	}
	return c
}

// mustFail checks a run failed with a message containing every want.
func mustFail(t *testing.T, r result, wants ...string) {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("kubelogin succeeded, want failure\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout must stay empty on failure, got %q", r.stdout)
	}
	for _, w := range wants {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
}

// cacheEntries returns the token cache entries (*.json) by name.
func (e *env) cacheEntries() map[string]map[string]any {
	out := map[string]map[string]any{}
	files, _ := filepath.Glob(filepath.Join(e.cacheDir, "*.json"))
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "provider-") {
			continue // the provider metadata cache, not a token entry
		}
		b, err := os.ReadFile(f)
		if err != nil {
			e.t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			e.t.Fatalf("cache entry %s: %v", f, err)
		}
		out[filepath.Base(f)] = m
	}
	return out
}

// onlyEntry returns the single cache entry.
func (e *env) onlyEntry() (string, map[string]any) {
	e.t.Helper()
	entries := e.cacheEntries()
	if len(entries) != 1 {
		e.t.Fatalf("want 1 cache entry, got %d", len(entries))
	}
	for k, v := range entries {
		return k, v
	}
	return "", nil
}

func query(u string) url.Values {
	p, _ := url.Parse(u)
	return p.Query()
}
