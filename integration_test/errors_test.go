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
		{"both required", []string{"get-token"}, "error: --oidc-issuer-url and --oidc-client-id are missing (or set KUBELOGIN_OIDC_ISSUER_URL and KUBELOGIN_OIDC_CLIENT_ID), e.g. --oidc-issuer-url=https://issuer.example.com --oidc-client-id=YOUR_CLIENT_ID"},
		{"issuer not a URL", []string{"get-token", "--oidc-issuer-url=not-a-url", "--oidc-client-id=x"}, "error: --oidc-issuer-url=not-a-url is not a URL: give the provider's issuer with its scheme, e.g. https://issuer.example.com"},
		{"issuer without scheme", []string{"get-token", "--oidc-issuer-url=issuer.example.com/realms/x", "--oidc-client-id=x"}, "error: --oidc-issuer-url=issuer.example.com/realms/x is not a URL"},
		{"issuer over http", []string{"get-token", "--oidc-issuer-url=http://issuer.example.com", "--oidc-client-id=x"}, "error: --oidc-issuer-url=http://issuer.example.com uses http:// to a host that is not this machine: use https:// (tokens and codes would cross the network in clear text, and kube-apiserver accepts only https issuers)"},
		{"issuer is the discovery URL", []string{"get-token", "--oidc-issuer-url=https://issuer.example.com/.well-known/openid-configuration", "--oidc-client-id=x"}, "error: --oidc-issuer-url=https://issuer.example.com/.well-known/openid-configuration is a discovery document, not the issuer: drop /.well-known/openid-configuration from it"},
		{"password without username", e.args("--password=hunter2"), "error: --password is given without --username: add --username=USER (the password grant logs in as that user)"},
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

// TestInvalidEnvironmentValues: a bad KUBELOGIN_* value is reported by the
// variable's name, and the value is never echoed (it may be a secret set in the
// wrong variable).
func TestInvalidEnvironmentValues(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	for _, tc := range []struct{ env, value, want string }{
		{"KUBELOGIN_GRANT_TYPE", "s3cr3t-grant", "error: environment variable KUBELOGIN_GRANT_TYPE is not one of auto, authcode, authcode-keyboard, password, device-code, client-credentials"},
		{"KUBELOGIN_OIDC_REQUEST_TIMEOUT", "s3cr3t-timeout", "error: environment variable KUBELOGIN_OIDC_REQUEST_TIMEOUT is not a valid --oidc-request-timeout: want a duration such as 30s or 2m"},
		{"KUBELOGIN_AUTHENTICATION_TIMEOUT_SEC", "-5", "error: environment variable KUBELOGIN_AUTHENTICATION_TIMEOUT_SEC must be a positive number of seconds"},
		{"KUBELOGIN_OIDC_ISSUER_URL", "s3cr3t-issuer", "error: environment variable KUBELOGIN_OIDC_ISSUER_URL is not a URL"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			args := []string{"get-token", "--oidc-client-id=x", "--token-cache-dir=" + e.cacheDir}
			if tc.env != "KUBELOGIN_OIDC_ISSUER_URL" {
				args = append(args, "--oidc-issuer-url="+e.provider.Issuer())
			}
			r := e.runWith(runOpts{env: []string{tc.env + "=" + tc.value}}, args...)
			mustFail(t, r, tc.want)
			oneLine(t, r)
			if strings.Contains(r.stderr, tc.value) {
				t.Errorf("the value of %s was echoed:\n%s", tc.env, r.stderr)
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
