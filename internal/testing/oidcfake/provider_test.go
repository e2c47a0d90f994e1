package oidcfake_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// start starts a provider that is closed when the test ends.
func start(t *testing.T, cfg oidcfake.Config) *oidcfake.Provider {
	t.Helper()
	p, err := oidcfake.Start(cfg)
	if err != nil {
		t.Fatalf("start provider: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// callback starts the loopback server of a client: it hands the query of
// each request to the returned channel and answers "logged in".
func callback(t *testing.T) (redirectURI string, got <-chan url.Values) {
	t.Helper()
	ch := make(chan url.Values, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ch <- r.URL.Query()
		io.WriteString(w, "logged in")
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/callback", ch
}

// oauth2Config returns the client's configuration for p.
func oauth2Config(p *oidcfake.Provider, redirectURI string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:    "kubelogin",
		RedirectURL: redirectURI,
		Scopes:      []string{oidc.ScopeOpenID, "email"},
		Endpoint: oauth2.Endpoint{
			AuthURL:       p.Issuer() + "/authorize",
			TokenURL:      p.Issuer() + "/token",
			DeviceAuthURL: p.Issuer() + "/device/code",
		},
	}
}

// authorize runs the browser part of the authorization code flow and
// returns the code.
func authorize(t *testing.T, p *oidcfake.Provider, conf *oauth2.Config, got <-chan url.Values, opts ...oauth2.AuthCodeOption) string {
	t.Helper()
	body, err := p.Browse(t.Context(), conf.AuthCodeURL("state-1", opts...))
	if err != nil {
		t.Fatalf("browse: %v", err)
	}
	if body != "logged in" {
		t.Errorf("final page = %q, want %q", body, "logged in")
	}
	q := <-got
	if q.Get("state") != "state-1" || q.Get("code") == "" {
		t.Fatalf("callback query = %v, want a code and state-1", q)
	}
	return q.Get("code")
}

// errorCode returns the OAuth error code of err, or "".
func errorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

func TestDiscovery(t *testing.T) {
	tests := []struct {
		name    string
		methods []string
		want    []string
	}{
		{name: "default", methods: nil, want: []string{"S256"}},
		{name: "both", methods: []string{"S256", "plain"}, want: []string{"S256", "plain"}},
		{name: "none", methods: []string{}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, oidcfake.Config{PKCEMethods: tt.methods})
			provider, err := oidc.NewProvider(t.Context(), p.Issuer())
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}
			var doc struct {
				Methods []string `json:"code_challenge_methods_supported"`
				Device  string   `json:"device_authorization_endpoint"`
				Revoke  string   `json:"revocation_endpoint"`
			}
			if err := provider.Claims(&doc); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(doc.Methods, tt.want) {
				t.Errorf("code_challenge_methods_supported = %q, want %q", doc.Methods, tt.want)
			}
			if doc.Device != p.Issuer()+"/device/code" || doc.Revoke != p.Issuer()+"/revoke" {
				t.Errorf("device/revocation endpoints = %q, %q", doc.Device, doc.Revoke)
			}
			for _, path := range []string{"/.well-known/openid-configuration", "/keys"} {
				resp, err := http.Get(p.Issuer() + path)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if cc := resp.Header.Get("Cache-Control"); cc != "max-age=3600" {
					t.Errorf("%s: Cache-Control = %q", path, cc)
				}
			}
		})
	}
}

func TestAuthCodeRoundTrip(t *testing.T) {
	p := start(t, oidcfake.Config{Groups: []string{"admins"}})
	redirectURI, got := callback(t)
	conf := oauth2Config(p, redirectURI)
	verifier := oauth2.GenerateVerifier()
	code := authorize(t, p, conf, got, oauth2.S256ChallengeOption(verifier), oidc.Nonce("n-1"))
	tok, err := conf.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	provider, err := oidc.NewProvider(t.Context(), p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	rawIDToken, _ := tok.Extra("id_token").(string)
	idToken, err := provider.Verifier(&oidc.Config{ClientID: "kubelogin"}).Verify(t.Context(), rawIDToken)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	if err := idToken.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	var claims struct {
		Email  string   `json:"email"`
		Groups []string `json:"groups"`
	}
	if err := idToken.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idToken.Nonce != "n-1" || idToken.Subject != "08a8684b-db88-4b73-90a9-3cd1661f5466" ||
		claims.Email != "admin@example.com" || !slices.Equal(claims.Groups, []string{"admins"}) {
		t.Errorf("claims: nonce %q sub %q %+v", idToken.Nonce, idToken.Subject, claims)
	}
	if tok.RefreshToken == "" || tok.TokenType != "Bearer" || tok.Expiry.IsZero() {
		t.Errorf("token response: refresh token %t, type %q, expiry %v", tok.RefreshToken != "", tok.TokenType, tok.Expiry)
	}
	info, err := provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
	if err != nil || info.Email != "admin@example.com" {
		t.Errorf("userinfo: %v, %+v", err, info)
	}
	if got := p.LastAuthRequest().Get("code_challenge_method"); got != "S256" {
		t.Errorf("LastAuthRequest code_challenge_method = %q", got)
	}
	if form, _ := p.LastTokenRequest(); form.Get("code_verifier") != verifier {
		t.Errorf("LastTokenRequest code_verifier = %q", form.Get("code_verifier"))
	}
	counts := map[string]int{"authorize": p.Count("authorize"), "token": p.Count("token"),
		"authorization_code": p.TokenRequests("authorization_code")}
	for name, n := range counts {
		if n != 1 {
			t.Errorf("count %s = %d, want 1", name, n)
		}
	}
	p.ResetCounts()
	if p.Count("token") != 0 {
		t.Errorf("after ResetCounts, token count = %d", p.Count("token"))
	}
}

func TestTLS(t *testing.T) {
	p := start(t, oidcfake.Config{TLS: true})
	if !strings.HasPrefix(p.Issuer(), "https://127.0.0.1:") {
		t.Errorf("issuer = %q", p.Issuer())
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(p.CACertPEM()) {
		t.Fatalf("CACertPEM is not a PEM certificate")
	}
	if _, err := http.Get(p.Issuer() + "/keys"); err == nil {
		t.Errorf("a client that does not trust the CA connected")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if _, err := oidc.NewProvider(oidc.ClientContext(t.Context(), client), p.Issuer()); err != nil {
		t.Errorf("discovery over TLS: %v", err)
	}
	redirectURI, got := callback(t)
	authorize(t, p, oauth2Config(p, redirectURI), got) // Browse trusts the CA
}

// postToken posts form to the token endpoint and decodes the JSON answer.
func postToken(t *testing.T, p *oidcfake.Provider, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(p.Issuer()+"/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode token response: %v", err)
	}
	return resp.StatusCode, body
}

// clock is a settable clock for Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
