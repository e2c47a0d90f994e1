package oidc

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// tokenProvider serves discovery whose token endpoint is tokenURL, or its
// own /token answered by token when tokenURL is "". It counts the token
// requests.
func tokenProvider(t *testing.T, tokenURL string, token http.HandlerFunc) (*Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			u := tokenURL
			if u == "" {
				u = srv.URL + "/token"
			}
			json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/auth",
				"token_endpoint": u, "jwks_uri": srv.URL + "/keys"})
		case "/token":
			n.Add(1)
			token(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	hc := srv.Client()
	hc.Timeout = 500 * time.Millisecond
	return New(Config{IssuerURL: srv.URL, ClientID: "kubelogin", ClientSecret: "s3cret", HTTPClient: hc, Log: logger.New(nil)}), &n
}

func answer(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
}

// TestRefreshErrors: only invalid_grant asks for a login; every other failure
// is one line with its cause and what to do, never quoting the body, after
// exactly one token request.
func TestRefreshErrors(t *testing.T) {
	const echo = `"echo":"s3cret refresh-token-value"`
	refused := func() string { // a port nobody listens on
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return "http://" + l.Addr().String() + "/token"
	}()
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(hung.Close)
	t.Cleanup(func() { close(release) })

	for _, tc := range []struct {
		name     string
		tokenURL string // "" = the fixture's /token
		token    http.HandlerFunc
		want     string // "{token}" stands for the token endpoint
		login    bool
		oauth    bool // an OAuth error answer (*TokenError with a code)
	}{
		{name: "invalid_grant", token: answer(400, "application/json", `{"error":"invalid_grant","error_description":"refresh token expired",`+echo+`}`),
			want: "the provider answered 400 invalid_grant: refresh token expired", login: true, oauth: true},
		{name: "invalid_client", token: answer(401, "application/json", `{"error":"invalid_client","error_description":"bad secret",`+echo+`}`),
			want: "the provider rejected the client credentials (401 invalid_client: bad secret): check --oidc-client-secret", oauth: true},
		{name: "unauthorized_client", token: answer(400, "application/json", `{"error":"unauthorized_client",`+echo+`}`),
			want: "the provider does not let this client refresh tokens (400 unauthorized_client): check --oidc-client-id, and allow the refresh_token grant for it at the provider", oauth: true},
		{name: "invalid_scope", token: answer(400, "application/json", `{"error":"invalid_scope","error_description":"Invalid scopes: groups"}`),
			want: "the provider refused the scopes (400 invalid_scope: Invalid scopes: groups): check --oidc-extra-scope", oauth: true},
		{name: "other OAuth error", token: answer(400, "application/json", `{"error":"invalid_request","error_description":"what?"}`),
			want: "the provider answered 400 invalid_request: what?", oauth: true},
		{name: "400 text/html", token: answer(400, "text/html; charset=utf-8", "<html>s3cret refresh-token-value</html>"),
			want: "the provider answered 400 with text/html, not an OAuth error: is a proxy in between? check HTTPS_PROXY and NO_PROXY"},
		{name: "400 empty", token: answer(400, "", ""),
			want: "the provider answered 400 with an empty body, not an OAuth error: is a proxy in between? check HTTPS_PROXY and NO_PROXY"},
		{name: "502 text/plain", token: answer(502, "text/plain", "upstream s3cret"),
			want: "the provider failed (502 with text/plain): try again later, or ask its administrators"},
		{name: "503 OAuth", token: answer(503, "application/json", `{"error":"temporarily_unavailable"}`),
			want: "the provider failed (503 temporarily_unavailable): try again later, or ask its administrators", oauth: true},
		{name: "200 not JSON", token: answer(200, "text/html", "<html>s3cret</html>"),
			want: "{token} answered text/html, not JSON: check --oidc-issuer-url and any proxy in between"},
		{name: "200 without access_token", token: answer(200, "application/json", `{"token_type":"Bearer"}`),
			want: "the provider's token answer has no access_token"},
		{name: "connection refused", tokenURL: refused,
			want: "{token} refused the connection: is the provider up? check the host and port of --oidc-issuer-url"},
		{name: "timeout", tokenURL: hung.URL + "/token",
			want: "no answer from {token} within 500ms: is the provider up? (if it is only slow, raise --oidc-request-timeout)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, n := tokenProvider(t, tc.tokenURL, tc.token)
			m, err := c.Metadata(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Refresh(t.Context(), "refresh-token-value", true)
			want := strings.ReplaceAll(tc.want, "{token}", m.TokenEndpoint)
			if err == nil || err.Error() != want {
				t.Fatalf("err = %v\nwant  %s", err, want)
			}
			if LoginRequired(err) != tc.login || oauthAnswer(err) != tc.oauth {
				t.Errorf("LoginRequired = %t, OAuth answer = %t; want %t, %t", LoginRequired(err), oauthAnswer(err), tc.login, tc.oauth)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "refresh-token-value") {
				t.Error("the error quotes the response body or the request")
			}
			if tc.tokenURL == "" && n.Load() != 1 {
				t.Errorf("%d token requests, want 1", n.Load())
			}
		})
	}
}

// TestRefreshSendsTheScopes: x/oauth2's refresher sends no scope, but Okta
// (like the in-process provider) returns an ID token on refresh only when
// the request names openid, so Refresh sends the original scopes, and keeps
// the refresh token when the answer has none (RFC 6749 section 6).
func TestRefreshSendsTheScopes(t *testing.T) {
	p, err := oidcfake.Start(oidcfake.Config{NoRotation: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	c := New(Config{IssuerURL: p.Issuer(), ClientID: "kubelogin", ExtraScopes: []string{"email"}, Log: logger.New(nil)})
	login, err := c.PasswordGrant(t.Context(), "admin@example.com", "password", true)
	if err != nil {
		t.Fatal(err)
	}
	p.ResetCounts()
	set, err := c.Refresh(t.Context(), login.RefreshToken, true)
	if err != nil {
		t.Fatal(err)
	}
	form, _ := p.LastTokenRequest()
	if got := form.Get("scope"); got != "openid email" {
		t.Errorf("refresh scope = %q, want the original scopes", got)
	}
	if set.IDToken == "" || set.RefreshToken != login.RefreshToken {
		t.Errorf("refreshed set: ID token %t, same refresh token %t", set.IDToken != "", set.RefreshToken == login.RefreshToken)
	}
	if n := p.Count("token"); n != 1 {
		t.Errorf("%d token requests per refresh, want 1", n)
	}
	// x/oauth2's own refresher sends no scope: the reason Refresh does not use it.
	conf := &oauth2.Config{ClientID: "kubelogin", Scopes: []string{"openid", "email"},
		Endpoint: oauth2.Endpoint{TokenURL: p.Issuer() + "/token", AuthStyle: oauth2.AuthStyleInParams}}
	if _, err := conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: login.RefreshToken}).Token(); err != nil {
		t.Fatal(err)
	}
	if form, _ := p.LastTokenRequest(); form.Has("scope") {
		t.Errorf("x/oauth2's refresher now sends scope %q: Refresh can use it", form.Get("scope"))
	}
}

// TestRefreshKeepsTheRefreshToken: an answer without a refresh token leaves
// the old one in use (RFC 6749 section 6).
func TestRefreshKeepsTheRefreshToken(t *testing.T) {
	c, _ := tokenProvider(t, "", answer(200, "application/json", `{"access_token":"a","token_type":"Bearer","expires_in":60}`))
	set, err := c.Refresh(t.Context(), "refresh-token-value", false)
	if err != nil {
		t.Fatal(err)
	}
	if set.RefreshToken != "refresh-token-value" || set.AccessToken != "a" {
		t.Errorf("refresh token %q, access token %q", set.RefreshToken, set.AccessToken)
	}
}

// TestClientCredentialsExtraParams: extra parameters go along, and one named
// scope replaces the client's scopes, as it did before x/oauth2 sent them.
func TestClientCredentialsExtraParams(t *testing.T) {
	var form url.Values
	c, _ := tokenProvider(t, "", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		form = r.PostForm
		answer(200, "application/json", `{"access_token":"a"}`)(w, r)
	})
	for _, tc := range []struct {
		extra     map[string]string
		wantScope string
	}{
		{map[string]string{"audience": "k8s"}, "openid"},
		{map[string]string{"audience": "k8s", "scope": "api://k8s/.default"}, "api://k8s/.default"},
	} {
		if _, err := c.ClientCredentialsGrant(t.Context(), nil, tc.extra, false); err != nil {
			t.Fatal(err)
		}
		if form.Get("scope") != tc.wantScope || form.Get("audience") != "k8s" || form.Get("grant_type") != "client_credentials" {
			t.Errorf("extra %v: form %v", tc.extra, form)
		}
	}
}

// TestTokenExpiryByTheInjectedClock: x/oauth2 dates expires_in by the wall
// clock; the set is dated by Config.Now.
func TestTokenExpiryByTheInjectedClock(t *testing.T) {
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, body := range []string{`{"access_token":"a","expires_in":120}`, `{"access_token":"a","expires_in":"120"}`} {
		c, _ := tokenProvider(t, "", answer(200, "application/json", body))
		c.cfg.Now = func() time.Time { return now }
		set, err := c.ClientCredentialsGrant(t.Context(), nil, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		if want := now.Add(2 * time.Minute); !set.AccessTokenExpiry.Equal(want) || !set.ObtainedAt.Equal(now) {
			t.Errorf("%s: expiry %s, obtained %s; want %s, %s", body, set.AccessTokenExpiry, set.ObtainedAt, want, now)
		}
	}
}

// TestNetworkErrors: each failure without an HTTP answer names the URL once
// and says what to do.
func TestNetworkErrors(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(tlsSrv.Close)
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)
	closer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			c.Close()
		}
	}))
	t.Cleanup(closer.Close)
	wrongHost := "https://localhost:" + tlsSrv.URL[strings.LastIndex(tlsSrv.URL, ":")+1:] // the certificate names 127.0.0.1, ::1, example.com
	for _, tc := range []struct {
		name, issuer, want string
	}{
		{"wrong host", wrongHost, "discover the provider: the certificate of " + wrongHost + "/.well-known/openid-configuration is not valid for its host (x509: certificate is valid for example.com, *.example.com, not localhost): check --oidc-issuer-url"},
		{"closed without answering", closer.URL, "discover the provider: " + closer.URL + "/.well-known/openid-configuration closed the connection without answering: is a proxy or firewall in between? try again"},
		{"unknown CA", tlsSrv.URL, "discover the provider: " + tlsSrv.URL + "/.well-known/openid-configuration presents a certificate signed by an authority this machine does not trust: " +
			"give the CA with --certificate-authority or --certificate-authority-data"},
		{"TLS to a plain port", "https://" + strings.TrimPrefix(plain.URL, "http://"), "discover the provider: https://" + strings.TrimPrefix(plain.URL, "http://") +
			"/.well-known/openid-configuration does not answer TLS: check the scheme (https or http) and port of --oidc-issuer-url"},
		{"unknown host", "http://kubelogin-test.invalid", "discover the provider: cannot resolve the host of http://kubelogin-test.invalid/.well-known/openid-configuration (lookup kubelogin-test.invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hc := &http.Client{Timeout: 5 * time.Second}
			if tc.name == "wrong host" {
				hc = tlsSrv.Client() // trusts the CA
			}
			c := New(Config{IssuerURL: tc.issuer, ClientID: "kubelogin", HTTPClient: hc, Log: logger.New(nil)})
			_, err := c.Metadata(t.Context())
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant  %s", err, tc.want)
			}
			if tc.name == "unknown host" && !strings.HasSuffix(err.Error(), "): check --oidc-issuer-url, your DNS or VPN") {
				t.Errorf("err = %v, want it to end with what to check", err)
			}
			if strings.Count(err.Error(), tc.issuer) != 1 {
				t.Errorf("the URL is not named exactly once: %v", err)
			}
			var ne *NetError
			if !errors.As(err, &ne) {
				t.Error("not a *NetError")
			}
		})
	}
}

// TestDiscoveryErrors: an answer that is not a discovery document names the
// URL once and what to do.
func TestDiscoveryErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer http.HandlerFunc
		want   string // after "discover the provider: {issuer}/.well-known/openid-configuration "
	}{
		{"not found", answer(404, "text/plain", "no"), "answered 404 Not Found: check --oidc-issuer-url (its path, realm or tenant)"},
		{"5xx", answer(502, "text/html", "<html>"), "answered 502 Bad Gateway: the provider is failing; try again later, or ask its administrators"},
		{"429", answer(429, "application/json", "{}"), "answered 429 Too Many Requests: the provider is rate limiting; try again in a minute"},
		{"HTML", answer(200, "text/html; charset=utf-8", "<html>s3cret</html>"), "answered text/html, not JSON: check --oidc-issuer-url and any proxy in between"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.answer)
			t.Cleanup(srv.Close)
			c := New(Config{IssuerURL: srv.URL, ClientID: "kubelogin", HTTPClient: srv.Client(), Log: logger.New(nil)})
			_, err := c.Metadata(t.Context())
			if want := "discover the provider: " + srv.URL + "/.well-known/openid-configuration " + tc.want; err == nil || err.Error() != want {
				t.Errorf("err = %v\nwant  %s", err, want)
			}
		})
	}
}

// memoryStore is a MetadataStore in memory.
type memoryStore map[string][]byte

func (s memoryStore) LoadMetadata(issuer string) ([]byte, error) {
	if b, ok := s[issuer]; ok {
		return b, nil
	}
	return nil, errors.New("not found")
}
func (s memoryStore) SaveMetadata(issuer string, b []byte) error { s[issuer] = b; return nil }
func (s memoryStore) DeleteMetadata(issuer string) error         { delete(s, issuer); return nil }

// TestFailedRefreshForgetsTheMetadataUnlessTheProviderAnswered: after a
// refresh that got no OAuth answer the endpoint may have moved, so the cached
// discovery is dropped; an OAuth error proves the endpoint right and keeps it.
func TestFailedRefreshForgetsTheMetadataUnlessTheProviderAnswered(t *testing.T) {
	for _, tc := range []struct {
		name       string
		token      http.HandlerFunc
		wantForget bool
	}{
		{"OAuth error", answer(401, "application/json", `{"error":"invalid_client"}`), false},
		{"proxy page", answer(404, "text/html", "<html>"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := tokenProvider(t, "", tc.token)
			store := memoryStore{}
			c.cfg.MetadataStore = store
			if _, err := c.Metadata(t.Context()); err != nil || len(store) != 1 {
				t.Fatalf("discovery: %v, %d cached", err, len(store))
			}
			cached := New(c.cfg) // the next run, from the cached metadata
			if _, err := cached.Refresh(t.Context(), "refresh-token-value", true); err == nil {
				t.Fatal("no error")
			}
			if forgot := len(store) == 0; forgot != tc.wantForget {
				t.Errorf("metadata forgotten: %t, want %t", forgot, tc.wantForget)
			}
		})
	}
}

func TestTokenErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  TokenError
		want string
	}{
		{TokenError{Status: 401, Code: "invalid_client", Description: "bad\nsecret"}, "the provider answered 401 invalid_client: bad secret"},
		{TokenError{Status: 400, ContentType: "text/html"}, "the provider answered 400 with text/html, not an OAuth error (is a proxy in between?)"},
		{TokenError{Status: 403}, "the provider answered 403 with an empty body, not an OAuth error (is a proxy in between?)"},
		{TokenError{Status: 503, Code: "temporarily_unavailable"}, "the provider answered 503 temporarily_unavailable (the provider is failing: try again later)"},
		{TokenError{Status: 429}, "the provider answered 429 with an empty body (the provider is rate limiting: try again in a minute)"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}
