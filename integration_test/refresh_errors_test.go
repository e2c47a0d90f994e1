package integration_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// TestRefreshErrorsEndTheRunAndKeepTheToken: when a refresh fails for any
// reason but invalid_grant, a new login would fail the same way, so the run
// ends at once with one line naming the cause and the fix, opens no browser
// and keeps the cached refresh token: once the cause is gone, the next run
// refreshes silently. invalid_grant alone logs in again.
func TestRefreshErrorsEndTheRunAndKeepTheToken(t *testing.T) {
	const body = "<html><body>proxy-page-secret</body></html>"
	for _, tc := range []struct {
		name   string
		faults oidcfake.Faults
		args   []string
		// retry are the flags of the run after the cause is gone: after a
		// network failure, runs within 30 s fail at once unless --force-refresh
		// (the unreachable window, see docs/token-cache.md).
		retry []string
		want  string // after "error: refresh the token (the cached token was kept): "; {issuer} stands for the issuer
	}{
		{name: "invalid_client", faults: oidcfake.Faults{RefreshError: "invalid_client", RefreshStatus: 401},
			want: "the provider rejected the client credentials (401 invalid_client: injected fault): check --oidc-client-secret"},
		{name: "unauthorized_client", faults: oidcfake.Faults{RefreshError: "unauthorized_client"},
			want: "the provider does not let this client refresh tokens (400 unauthorized_client: injected fault): check --oidc-client-id, and allow the refresh_token grant for it at the provider"},
		{name: "invalid_scope", faults: oidcfake.Faults{RefreshError: "invalid_scope"},
			want: "the provider refused the scopes (400 invalid_scope: injected fault): check --oidc-extra-scope"},
		{name: "400 text/html", faults: oidcfake.Faults{RefreshStatus: 400, RefreshContentType: "text/html; charset=utf-8", RefreshBody: body},
			want: "the provider answered 400 with text/html, not an OAuth error: is a proxy in between? check HTTPS_PROXY and NO_PROXY"},
		{name: "400 empty", faults: oidcfake.Faults{RefreshStatus: 400},
			want: "the provider answered 400 with an empty body, not an OAuth error: is a proxy in between? check HTTPS_PROXY and NO_PROXY"},
		{name: "5xx", faults: oidcfake.Faults{RefreshStatus: 502, RefreshContentType: "text/html", RefreshBody: body},
			want: "the provider failed (502 with text/html): try again later, or ask its administrators"},
		{name: "connection refused", faults: oidcfake.Faults{Refuse: true}, retry: []string{"--force-refresh"},
			want: "{issuer}/token refused the connection: is the provider up? check the host and port of --oidc-issuer-url"},
		{name: "timeout", faults: oidcfake.Faults{Hang: true}, args: []string{"--oidc-request-timeout=1s"}, retry: []string{"--force-refresh"},
			want: "no answer from {issuer}/token within 1s: is the provider up? (if it is only slow, raise --oidc-request-timeout)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, oidcfake.Config{IDTokenTTL: 2 * time.Second})
			first := mustCredential(t, e.getToken(tc.args...))
			_, before := e.onlyEntry()
			time.Sleep(time.Until(first.Status.ExpirationTimestamp))

			e.provider.SetFaults(tc.faults)
			start := time.Now()
			r := e.getToken(tc.args...)
			took := time.Since(start)
			mustFail(t, r, "error: refresh the token (the cached token was kept): "+strings.ReplaceAll(tc.want, "{issuer}", e.provider.Issuer())+"\n")
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 {
				t.Errorf("want one line, got %d:\n%s", n+1, r.stderr)
			}
			if strings.Contains(r.stderr, "proxy-page-secret") {
				t.Errorf("the message quotes the response body:\n%s", r.stderr)
			}
			if took > 10*time.Second {
				t.Errorf("the run took %s to fail", took)
			}
			if got := e.launches(); got != 1 {
				t.Errorf("browser launches = %d after the failed refresh, want 1 (the first login)", got)
			}
			if _, after := e.onlyEntry(); after["refresh_token"] != before["refresh_token"] {
				t.Error("the cached refresh token was not kept")
			}

			e.provider.SetFaults(oidcfake.Faults{})
			e.provider.ResetCounts()
			second := mustCredential(t, e.getToken(append(tc.args, tc.retry...)...))
			if second.Status.Token == first.Status.Token {
				t.Error("got the expired token back")
			}
			if got := e.provider.TokenRequests("refresh_token"); got != 1 {
				t.Errorf("refresh requests = %d after the cause was gone, want 1", got)
			}
			if got := e.launches(); got != 1 {
				t.Errorf("browser launches = %d after the cause was gone, want 1 (a silent refresh)", got)
			}
		})
	}
}

// TestRefreshInvalidGrantLogsInAgain is the one refresh failure that opens
// the browser: the refresh token is no longer good.
func TestRefreshInvalidGrantLogsInAgain(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	mustCredential(t, e.getToken())
	e.provider.SetFaults(oidcfake.Faults{RefreshError: "invalid_grant"})
	r := e.getToken("--force-refresh", "-v1")
	mustCredential(t, r)
	if got := e.launches(); got != 2 {
		t.Errorf("browser launches = %d, want 2 (a login after invalid_grant)", got)
	}
	if !strings.Contains(r.stderr, "the provider refused the refresh token (the provider answered 400 invalid_grant: injected fault); logging in again") {
		t.Errorf("-v1 does not say why it logs in again:\n%s", r.stderr)
	}
}

// TestNoAnswerNamesTheURLOnceAndTheFix: a provider that cannot be reached
// over TLS or by name fails at once with one line that names the URL once
// and the flag to check, and opens no browser.
func TestNoAnswerNamesTheURLOnceAndTheFix(t *testing.T) {
	e := newEnv(t, oidcfake.Config{TLS: true})
	plain := newEnv(t, oidcfake.Config{})
	plainHTTPS := "https://" + strings.TrimPrefix(plain.provider.Issuer(), "http://")
	for _, tc := range []struct {
		name, issuer string
		args         []string
		want         string
	}{
		{"CA not given", e.provider.Issuer(), removeFlag(e.args(), "--certificate-authority"),
			"error: discover the provider: " + e.provider.Issuer() + "/.well-known/openid-configuration presents a certificate signed by an authority this machine does not trust: " +
				"give the CA with --certificate-authority or --certificate-authority-data\n"},
		{"https to a plain port", plainHTTPS, append(removeFlag(plain.args(), "--oidc-issuer-url"), "--oidc-issuer-url="+plainHTTPS),
			"error: discover the provider: " + plainHTTPS + "/.well-known/openid-configuration does not answer TLS: check the scheme (https or http) and port of --oidc-issuer-url\n"},
		{"unknown host", "https://kubelogin-test.invalid", append(removeFlag(plain.args(), "--oidc-issuer-url"), "--oidc-issuer-url=https://kubelogin-test.invalid"),
			"): check --oidc-issuer-url, your DNS or VPN\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run(tc.args...)
			mustFail(t, r, tc.want)
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 {
				t.Errorf("want one line, got %d:\n%s", n+1, r.stderr)
			}
			if n := strings.Count(r.stderr, tc.issuer); n != 1 {
				t.Errorf("the issuer is named %d times, want once:\n%s", n, r.stderr)
			}
			if e.launches()+plain.launches() != 0 {
				t.Error("a browser was opened")
			}
		})
	}
}
