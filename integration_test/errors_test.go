package integration_test

import (
	"net"
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

func TestMissingFlags(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"issuer", []string{"get-token", "--oidc-client-id=x"}, "error: --oidc-issuer-url is missing"},
		{"client", []string{"get-token", "--oidc-issuer-url=" + e.provider.Issuer()}, "error: --oidc-client-id is missing"},
		{"grant", e.args("--grant-type=magic"), "--grant-type=magic is not one of auto, authcode"},
		{"unknown flag", e.args("--oidc-issuer=x"), "unknown flag: --oidc-issuer"},
		{"pkce", e.args("--oidc-pkce-method=plain"), "--oidc-pkce-method=plain is not one of auto, no, S256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run(tc.args...)
			mustFail(t, r, tc.want)
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 {
				t.Errorf("want a one-line error, got %d lines:\n%s", n+1, r.stderr)
			}
		})
	}
}

func TestUnreachableProvider(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	e.provider.Close()
	mustFail(t, e.getToken(), "error: discover the provider: "+e.provider.Issuer()+"/.well-known/openid-configuration refused the connection: "+
		"is the provider up? check the host and port of --oidc-issuer-url")
	if e.launches() != 0 {
		t.Error("a browser was opened for an unreachable provider")
	}
}

func TestHangingProviderTimesOut(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	e.provider.SetFaults(oidcfake.Faults{Hang: true})
	mustFail(t, e.getToken("--oidc-request-timeout=1s"), "error: discover the provider: no answer from "+e.provider.Issuer()+
		"/.well-known/openid-configuration within 1s: is the provider up? (if it is only slow, raise --oidc-request-timeout)")
}

func TestRefreshFailingForANetworkReasonKeepsTheCache(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	mustCredential(t, e.getToken())
	_, before := e.onlyEntry()
	e.provider.SetFaults(oidcfake.Faults{Status: 503})
	mustFail(t, e.getToken("--force-refresh"), "503", "the cached token was kept")
	if e.launches() != 1 {
		t.Error("a provider outage opened the browser")
	}
	_, after := e.onlyEntry()
	if before["refresh_token"] != after["refresh_token"] {
		t.Error("the cache entry changed after a failed refresh")
	}
	e.provider.SetFaults(oidcfake.Faults{})
	mustCredential(t, e.getToken("--force-refresh"))
	if e.launches() != 1 {
		t.Error("the refresh after the outage opened the browser")
	}
}

func TestBadIDTokensAreRejected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults oidcfake.Faults
		want   string
	}{
		{"wrong audience", oidcfake.Faults{WrongAudience: true}, "expected audience"},
		{"wrong issuer", oidcfake.Faults{WrongIssuer: true}, "issued by a different provider"},
		{"wrong nonce", oidcfake.Faults{WrongNonce: true}, "nonce does not match"},
		{"bad signature", oidcfake.Faults{BadSignature: true}, "failed to verify signature"},
		{"alg none", oidcfake.Faults{AlgNone: true}, "failed verification"},
		{"expired", oidcfake.Faults{ExpiredIDToken: true}, "token is expired"},
		{"discovery lies about the issuer", oidcfake.Faults{DiscoveryIssuer: "https://evil.example.com"}, `the provider says its issuer is "https://evil.example.com"`},
		{"provider refuses", oidcfake.Faults{AuthError: "access_denied"}, "the provider refused the login: access_denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, oidcfake.Config{})
			e.provider.SetFaults(tc.faults)
			mustFail(t, e.getToken(), tc.want)
			if len(e.cacheEntries()) != 0 {
				t.Error("a rejected token was cached")
			}
		})
	}
}

func TestForgedStateIsIgnored(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	e.how = "state"
	mustFail(t, e.getToken("--authentication-timeout-sec=2"), "no login within 2s")
	if !strings.Contains(e.browserLog(), "400") {
		t.Errorf("the forged callback was not refused:\n%s", e.browserLog())
	}
}

func TestCallbackWithForeignHostIsRefused(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	e.how = "host:attacker.example.com"
	mustFail(t, e.getToken("--authentication-timeout-sec=2"), "no login within 2s")
	if !strings.Contains(e.browserLog(), "403") {
		t.Errorf("the rebinding request was not refused:\n%s", e.browserLog())
	}
}

func TestBusyPorts(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	var addrs []string
	for range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		addrs = append(addrs, l.Addr().String())
	}
	r := e.run(append(removeFlag(e.args(), "--listen-address"), "--listen-address="+addrs[0]+","+addrs[1])...)
	mustFail(t, r, "cannot listen on "+addrs[0]+", "+addrs[1])

	// A busy first address moves on to the next one.
	r = e.run(append(removeFlag(e.args(), "--listen-address"), "-v1", "--listen-address="+addrs[0]+",127.0.0.1:0")...)
	mustCredential(t, r)
	if !strings.Contains(r.stderr, addrs[0]+" is in use, trying the next address") {
		t.Errorf("-v1 does not say the port was busy:\n%s", r.stderr)
	}
}

func TestRedirectURLMustMatchTheListenPort(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	mustFail(t, e.getToken("--oidc-redirect-url=http://localhost:8123/callback", "--listen-address=127.0.0.1:8124"),
		"--oidc-redirect-url http://localhost:8123/callback has port 8123, but no --listen-address uses that port")
}

func TestRedirectURLPathIsTheCallbackPath(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	args := e.args("--oidc-redirect-url=http://localhost:" + itoa(port) + "/callback")
	args = removeFlag(args, "--listen-address")
	mustCredential(t, e.run(args...))
	if got := e.provider.LastAuthRequest().Get("redirect_uri"); got != "http://localhost:"+itoa(port)+"/callback" {
		t.Errorf("redirect_uri = %q", got)
	}
}
