package integration_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// deadProvider is an HTTPS server that completes the TLS handshake and then
// never answers: the hardest case of a dead provider (a hung backend behind a
// load balancer). It counts the connections it accepted.
func deadProvider(t *testing.T) (issuer, caFile string, conns *atomic.Int32) {
	t.Helper()
	done := make(chan struct{})
	conns = new(atomic.Int32)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(func() { close(done); srv.Close() })
	caFile = filepath.Join(t.TempDir(), "dead-ca.crt")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv.URL, caFile, conns
}

// TestDeadProviderUnderKubectl runs the plugin six times in a row, as client-go
// does for one kubectl command whose plugin keeps failing, against a provider
// that never answers: only the first run waits for the request timeout; the
// others fail at once with the same cause and how long it is remembered.
func TestDeadProviderUnderKubectl(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	issuer, caFile, conns := deadProvider(t)
	const timeout = 3 * time.Second
	args := []string{"get-token", "--oidc-issuer-url=" + issuer, "--oidc-client-id=kubelogin",
		"--token-cache-dir=" + e.cacheDir, "--certificate-authority=" + caFile,
		"--oidc-request-timeout=" + timeout.String(), "--browser-command=" + os.Args[0], "--listen-address=127.0.0.1:0"}
	start := time.Now()
	var first, later result
	for i := range 6 {
		r := e.run(args...)
		if r.code == 0 {
			t.Fatalf("run %d succeeded against a dead provider", i+1)
		}
		oneLine(t, r)
		if i == 0 {
			first = r
		} else {
			later = r
		}
	}
	total := time.Since(start)
	if !strings.Contains(first.stderr, "--oidc-request-timeout") {
		t.Errorf("the first run does not name --oidc-request-timeout:\n%s", first.stderr)
	}
	for _, want := range []string{"error: the provider " + issuer + " did not answer within 3s (--oidc-request-timeout)", "ago; kubelogin tries it again in", "(--force-refresh tries at once)"} {
		if !strings.Contains(later.stderr, want) {
			t.Errorf("a later run's message lacks %q:\n%s", want, later.stderr)
		}
	}
	// Without the window: 6 × 3 s. With it: one timeout and five quick runs.
	if limit := timeout + 12*time.Second; total > limit {
		t.Errorf("6 runs took %s, want at most %s (one request timeout and quick failures)", total.Round(time.Millisecond), limit)
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("the dead provider saw %d connections, want 1 (later runs must not ask it again)", got)
	}
	if e.launches() != 0 {
		t.Error("a browser was opened for a provider that does not answer")
	}

	// --force-refresh asks the provider at once.
	r := e.run(append(args, "--force-refresh")...)
	mustFail(t, r, "--oidc-request-timeout")
	if got := conns.Load(); got != 2 {
		t.Errorf("with --force-refresh the provider saw %d connections in all, want 2", got)
	}

	// After the window the provider is asked again.
	markers, _ := filepath.Glob(filepath.Join(e.cacheDir, "provider-*.unreachable"))
	if len(markers) != 1 {
		t.Fatalf("want one unreachable marker, got %v", markers)
	}
	agePast(t, markers[0], 31*time.Second)
	e.run(args...)
	if got := conns.Load(); got != 3 {
		t.Errorf("after the window the provider saw %d connections in all, want 3", got)
	}
}

// agePast moves the unreachable marker's time back by d.
func agePast(t *testing.T, path string, d time.Duration) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	at, err := time.Parse(time.RFC3339Nano, m["at"].(string))
	if err != nil {
		t.Fatal(err)
	}
	m["at"] = at.Add(-d).Format(time.RFC3339Nano)
	b, _ = json.Marshal(m)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestUnreachableMarkerNeverHidesAValidToken: a cached token that is still
// valid is served whatever the marker says; a provider that answers again
// clears it.
func TestUnreachableMarkerNeverHidesAValidToken(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	mustCredential(t, e.getToken())
	e.provider.SetFaults(oidcfake.Faults{Hang: true})
	// --force-refresh asks the provider although the token is valid: no
	// waiting for its expiry.
	mustFail(t, e.getToken("--oidc-request-timeout=1s", "--force-refresh"), "--oidc-request-timeout")
	markers, _ := filepath.Glob(filepath.Join(e.cacheDir, "provider-*.unreachable"))
	if len(markers) != 1 {
		t.Fatalf("want one unreachable marker after a timeout, got %v", markers)
	}
	// The provider is back: --force-refresh reaches it and the marker goes.
	e.provider.SetFaults(oidcfake.Faults{})
	second := mustCredential(t, e.getToken("--force-refresh"))
	if markers, _ := filepath.Glob(filepath.Join(e.cacheDir, "provider-*.unreachable")); len(markers) != 0 {
		t.Errorf("the marker survived a successful refresh: %v", markers)
	}
	// A fresh marker does not hide the valid token.
	if err := os.WriteFile(markers0(e), []byte(`{"at":"`+time.Now().Format(time.RFC3339Nano)+`","reason":"did not answer"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	e.provider.ResetCounts()
	third := mustCredential(t, e.getToken())
	if third.Status.Token != second.Status.Token {
		t.Error("a valid cached token was not served while the provider was marked unreachable")
	}
	if e.provider.Count("discovery")+e.provider.TokenRequests("refresh_token") != 0 {
		t.Error("the cached run made requests")
	}
	if e.launches() != 1 {
		t.Errorf("browser launches = %d, want 1", e.launches())
	}
}

// markers0 is the path of the unreachable marker of the env's issuer.
func markers0(e *env) string {
	metas, _ := filepath.Glob(filepath.Join(e.cacheDir, "provider-*.json"))
	if len(metas) != 1 {
		e.t.Fatalf("want one provider metadata file, got %v", metas)
	}
	return strings.TrimSuffix(metas[0], ".json") + ".unreachable"
}

// TestNobodyToLogIn: no browser can open and neither stdin nor stderr is a
// terminal (an IDE, a cron job): the run fails at once instead of waiting the
// authentication timeout for nobody.
func TestNobodyToLogIn(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	args := removeFlag(e.args(), "--browser-command")
	start := time.Now()
	r := e.runWith(headless, args...)
	elapsed := time.Since(start)
	mustFail(t, r, "error: no login can complete here: no browser can be opened (no display) and neither stdin nor stderr is a terminal: run the same kubectl command once in a terminal, or use --grant-type=device-code, or --grant-type=client-credentials for machines")
	oneLine(t, r)
	if elapsed > 2*time.Second {
		t.Errorf("took %s to give up, want at most 2s", elapsed.Round(time.Millisecond))
	}
	if e.provider.Count("authorize") != 0 {
		t.Error("an authorization request was made")
	}
	if len(e.cacheEntries()) != 0 {
		t.Error("something was cached")
	}
}

// TestSomebodyToLogIn: the plugin keeps waiting when a person can act: with
// --skip-open-browser given, or with stderr on a terminal.
func TestSomebodyToLogIn(t *testing.T) {
	t.Run("skip-open-browser", func(t *testing.T) {
		e := newEnv(t, oidcfake.Config{})
		args := removeFlag(e.args("--skip-open-browser"), "--authentication-timeout-sec")
		r := e.runWith(headless, append(args, "--authentication-timeout-sec=2")...)
		mustFail(t, r, "Please visit the following URL in your browser", "no login within 2s")
	})
	t.Run("terminal", func(t *testing.T) {
		e := newEnv(t, oidcfake.Config{})
		args := removeFlag(removeFlag(e.args(), "--browser-command"), "--authentication-timeout-sec")
		p := e.startPTY(headless, append(args, "--authentication-timeout-sec=2")...)
		p.waitFor(`Please visit the following URL in your browser`)
		r := p.wait()
		if r.code == 0 || !strings.Contains(r.stderr, "no login within 2s") {
			t.Errorf("want the login to wait for the person at the terminal; got %d:\n%s", r.code, r.stderr)
		}
	})
}

// TestBrowserLauncherFailsUnattended: a browser that cannot be started, with
// nobody to read the URL, ends the login at once. (A --browser-command that
// starts and later exits non-zero does not: it may have run the browser.)
func TestBrowserLauncherFailsUnattended(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	missing := filepath.Join(t.TempDir(), "no-such-browser")
	args := append(removeFlag(e.args(), "--browser-command"), "--browser-command="+missing)
	start := time.Now()
	r := e.run(args...)
	mustFail(t, r, "error: no login can complete here: the browser could not be opened (fork/exec "+missing+": no such file or directory) and no terminal shows the login URL: run the same kubectl command once in a terminal, or use --browser-command")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s to give up", d.Round(time.Millisecond))
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// writeCallbackCert writes a self-signed certificate for localhost and its
// key, and returns their paths.
func writeCallbackCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cb.crt"), filepath.Join(dir, "cb.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

// TestHTTPSCallback: the callback served over HTTPS with a good pair logs in;
// a missing file, garbage or a mismatched pair fails at once, naming the
// file, before any port is bound or browser opened.
func TestHTTPSCallback(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCallbackCert(t, dir)
	other := filepath.Join(t.TempDir())
	_, otherKey := writeCallbackCert(t, other)
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not PEM at all\n"), 0o600)

	t.Run("good pair", func(t *testing.T) {
		port := freePort(t)
		e := newEnv(t, oidcfake.Config{RedirectURIs: []string{"https://localhost:" + port}})
		e.caFile = cert // the scripted browser trusts the callback's certificate
		args := append(removeFlag(e.args(), "--listen-address"), "--listen-address=127.0.0.1:"+port,
			"--local-server-cert="+cert, "--local-server-key="+key)
		r := e.run(args...)
		if r.code != 0 {
			t.Fatalf("exit %d\n%s\nbrowser:\n%s", r.code, r.stderr, e.browserLog())
		}
		mustCredential(t, r)
		if !strings.Contains(e.browserLog(), "done") {
			t.Errorf("the browser did not finish:\n%s", e.browserLog())
		}
	})
	for _, tc := range []struct {
		name, cert, key, want string
	}{
		{"missing cert", filepath.Join(dir, "nope.crt"), key, "error: read --local-server-cert " + filepath.Join(dir, "nope.crt") + " (give a PEM certificate and its private key): no such file or directory"},
		{"missing key", cert, filepath.Join(dir, "nope.key"), "error: read --local-server-key " + filepath.Join(dir, "nope.key") + " (give a PEM certificate and its private key): no such file or directory"},
		{"garbage cert", garbage, key, "error: --local-server-cert " + garbage + " holds no PEM certificate (give a PEM certificate and its private key)"},
		{"garbage key", cert, garbage, "error: --local-server-key " + garbage + " holds no PEM private key (give a PEM certificate and its private key)"},
		{"mismatched pair", cert, otherKey, "error: --local-server-key " + otherKey + " is not the key of --local-server-cert " + cert + " (give a PEM certificate and its private key)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, oidcfake.Config{})
			start := time.Now()
			r := e.getToken("--local-server-cert="+tc.cert, "--local-server-key="+tc.key)
			mustFail(t, r, tc.want)
			oneLine(t, r)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d.Round(time.Millisecond))
			}
			if e.launches() != 0 || e.provider.Count("discovery") != 0 {
				t.Error("the provider was asked or a browser opened before the certificate was loaded")
			}
		})
	}
}

// TestUnreachableReasons: the runs after one that could not connect or could
// not resolve the provider's host fail at once, saying which.
func TestUnreachableReasons(t *testing.T) {
	closed := newEnv(t, oidcfake.Config{})
	closedIssuer := closed.provider.Issuer()
	closed.provider.Close()
	for _, tc := range []struct{ name, issuer, want string }{
		{"refused", closedIssuer, "error: the provider " + closedIssuer + " could not be connected to "},
		{"unknown host", "https://kubelogin-test.invalid", "error: the provider https://kubelogin-test.invalid could not be resolved (kubelogin-test.invalid) "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, oidcfake.Config{})
			args := append(removeFlag(e.args(), "--oidc-issuer-url"), "--oidc-issuer-url="+tc.issuer)
			first := e.run(args...)
			if first.code == 0 || strings.Contains(first.stderr, "kubelogin tries it again") {
				t.Fatalf("the first run should report the failure itself:\n%s", first.stderr)
			}
			start := time.Now()
			second := e.run(args...)
			mustFail(t, second, tc.want, "ago; kubelogin tries it again in", "(--force-refresh tries at once)")
			oneLine(t, second)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the repeat took %s", d.Round(time.Millisecond))
			}
		})
	}
}

// TestManyCrossClientAudiencesWarn: a token asked with several of Dex's
// cross-client scopes and no cluster audience names every cluster, and each
// accepts it: kubelogin says so when it obtains one, not on cached runs.
func TestManyCrossClientAudiencesWarn(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	scopes := []string{"--oidc-extra-scope=audience:server:client_id:cluster-a", "--oidc-extra-scope=audience:server:client_id:cluster-b"}
	r := e.getToken(scopes...)
	mustCredential(t, r)
	const want = "warning: --oidc-extra-scope asks Dex for the audiences cluster-a, cluster-b: a token obtained without a cluster audience names them all, " +
		"and each of those clusters accepts it; give each cluster its own (provideClusterInfo with the cluster's exec extension, or --request-audience)"
	if !strings.Contains(r.stderr, want) {
		t.Errorf("no warning at login:\n%s", r.stderr)
	}
	if r := e.getToken(scopes...); strings.Contains(r.stderr, "warning:") {
		t.Errorf("a cached run warned:\n%s", r.stderr)
	}
	if r := e.getToken("--oidc-extra-scope=audience:server:client_id:cluster-a", "--force-refresh"); strings.Contains(r.stderr, "warning:") {
		t.Errorf("one peer (the usual Dex setup) warned:\n%s", r.stderr)
	}
}
