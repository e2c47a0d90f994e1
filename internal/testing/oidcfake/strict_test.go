package oidcfake_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// noRedirect is a client that returns redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorizeQuery sends an authorization request for redirectURI and scope
// and returns the response, whose body is closed.
func authorizeQuery(t *testing.T, p *oidcfake.Provider, redirectURI, scope string) *http.Response {
	t.Helper()
	q := url.Values{"client_id": {"kubelogin"}, "response_type": {"code"}, "redirect_uri": {redirectURI},
		"state": {"s"}, "scope": {scope}}
	resp, err := noRedirect.Get(p.Issuer() + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestRedirectURIMustBeRegistered(t *testing.T) {
	const oob = oidcfake.OOBRedirectURI
	confidential := oidcfake.Config{ClientSecret: "s"}
	registered := oidcfake.Config{RedirectURIs: []string{"http://localhost:9000/callback", oob, "http://localhost/any-port"}}
	tests := []struct {
		name     string
		cfg      oidcfake.Config
		redirect string
		want     int // 302 redirect with a code, 200 out-of-band page, 400 refused
	}{
		{"public: localhost, any port", oidcfake.Config{}, "http://localhost:1234/cb", http.StatusFound},
		{"public: 127.0.0.1, any port", oidcfake.Config{}, "http://127.0.0.1:5/", http.StatusFound},
		{"public: out of band", oidcfake.Config{}, oob, http.StatusOK},
		{"public: https", oidcfake.Config{}, "https://localhost:1234/", http.StatusBadRequest},
		{"public: not loopback", oidcfake.Config{}, "http://example.com/cb", http.StatusBadRequest},
		{"public: custom scheme", oidcfake.Config{}, "myapp://localhost/cb", http.StatusBadRequest},
		{"confidential: registered localhost:8000", confidential, "http://localhost:8000", http.StatusFound},
		{"confidential: registered localhost:18000", confidential, "http://localhost:18000", http.StatusFound},
		{"confidential: localhost, other port", confidential, "http://localhost:8001", http.StatusBadRequest},
		{"confidential: trailing slash", confidential, "http://localhost:8000/", http.StatusBadRequest},
		{"confidential: 127.0.0.1, any port", confidential, "http://127.0.0.1:4321", http.StatusFound},
		{"confidential: [::1], any port", confidential, "http://[::1]:4321", http.StatusFound},
		{"confidential: 127.0.0.1, other path", confidential, "http://127.0.0.1:4321/other", http.StatusBadRequest},
		{"confidential: out of band unregistered", confidential, oob, http.StatusBadRequest},
		{"registered: exact", registered, "http://localhost:9000/callback", http.StatusFound},
		{"registered: out of band", registered, oob, http.StatusOK},
		{"registered: other host", registered, "http://127.0.0.1:9000/callback", http.StatusBadRequest},
		{"registered: other port", registered, "http://localhost:9001/callback", http.StatusBadRequest},
		{"registered without a port: any port", registered, "http://localhost:9001/any-port", http.StatusFound},
		{"registered without a port: https", registered, "https://localhost:9001/any-port", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, tt.cfg)
			resp := authorizeQuery(t, p, tt.redirect, "openid")
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want == http.StatusFound {
				loc, err := resp.Location()
				if err != nil || loc.Query().Get("code") == "" || !strings.HasPrefix(loc.String(), tt.redirect) {
					t.Errorf("redirect %v (%v), want a code at %s", loc, err, tt.redirect)
				}
			}
		})
	}
}

// codeFor runs an authorization request for scope to a registered loopback
// callback and returns the code and the redirect URI.
func codeFor(t *testing.T, p *oidcfake.Provider, scope string) (code, redirectURI string) {
	t.Helper()
	redirectURI = "http://127.0.0.1:4321/cb"
	resp := authorizeQuery(t, p, redirectURI, scope)
	loc, err := resp.Location()
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("status %d, location %v (%v); want a code", resp.StatusCode, loc, err)
	}
	return loc.Query().Get("code"), redirectURI
}

func TestIDTokenOnlyWithOpenID(t *testing.T) {
	p := start(t, oidcfake.Config{})
	for _, tt := range []struct {
		scope string
		want  bool
	}{{"openid email", true}, {"email profile", false}, {"", false}} {
		t.Run("code/"+tt.scope, func(t *testing.T) {
			code, redirectURI := codeFor(t, p, tt.scope)
			status, body := postToken(t, p, url.Values{"grant_type": {"authorization_code"}, "client_id": {"kubelogin"},
				"code": {code}, "redirect_uri": {redirectURI}})
			if status != http.StatusOK || (body["id_token"] != nil) != tt.want || body["access_token"] == nil {
				t.Errorf("%d %v, want an ID token: %v", status, body, tt.want)
			}
		})
		t.Run("password/"+tt.scope, func(t *testing.T) {
			status, body := postToken(t, p, url.Values{"grant_type": {"password"}, "client_id": {"kubelogin"},
				"username": {"admin@example.com"}, "password": {"password"}, "scope": {tt.scope}})
			if status != http.StatusOK || (body["id_token"] != nil) != tt.want {
				t.Errorf("%d %v, want an ID token: %v", status, body, tt.want)
			}
		})
	}
	t.Run("refresh without openid", func(t *testing.T) {
		_, body := postToken(t, p, url.Values{"grant_type": {"password"}, "client_id": {"kubelogin"},
			"username": {"admin@example.com"}, "password": {"password"}, "scope": {"openid email"}})
		status, body := postToken(t, p, url.Values{"grant_type": {"refresh_token"}, "client_id": {"kubelogin"},
			"refresh_token": {body["refresh_token"].(string)}, "scope": {"email"}})
		if status != http.StatusOK || body["id_token"] != nil || body["scope"] != "email" {
			t.Errorf("%d %v, want an access token for email alone", status, body)
		}
	})
}

func TestRefreshScopesAtMostGranted(t *testing.T) {
	p := start(t, oidcfake.Config{})
	_, body := postToken(t, p, url.Values{"grant_type": {"password"}, "client_id": {"kubelogin"},
		"username": {"admin@example.com"}, "password": {"password"}, "scope": {"openid email offline_access"}})
	rt := body["refresh_token"].(string)
	refresh := func(scope string) (int, map[string]any) {
		t.Helper()
		form := url.Values{"grant_type": {"refresh_token"}, "client_id": {"kubelogin"}, "refresh_token": {rt}}
		if scope != "" {
			form.Set("scope", scope)
		}
		status, body := postToken(t, p, form)
		if next, ok := body["refresh_token"].(string); ok {
			rt = next
		}
		return status, body
	}
	if status, body := refresh("openid groups"); status != http.StatusBadRequest || body["error"] != "invalid_scope" {
		t.Errorf("a scope beyond the grant: %d %v, want 400 invalid_scope", status, body)
	}
	if status, body := refresh("openid email"); status != http.StatusOK || body["scope"] != "openid email" || body["id_token"] == nil {
		t.Errorf("a subset (after the refused request, the token still works): %d %v", status, body)
	}
	// The rotated token keeps the whole grant, not the subset asked last.
	if status, body := refresh(""); status != http.StatusOK || body["scope"] != "openid email offline_access" {
		t.Errorf("no scope: %d %v, want the granted scopes", status, body)
	}
	if status, body := refresh("openid email offline_access"); status != http.StatusOK {
		t.Errorf("the granted scopes again: %d %v", status, body)
	}
}

func TestClientAuthMethodsEnforced(t *testing.T) {
	const secret = "client-secret"
	type how int
	const (
		none how = iota
		basic
		post
	)
	tests := []struct {
		name    string
		cfg     oidcfake.Config
		how     how
		secret  string
		wantErr string // "" = 200
	}{
		{"public, no secret", oidcfake.Config{}, none, "", ""},
		{"public, Basic without password", oidcfake.Config{}, basic, "", ""},
		{"default methods, Basic", oidcfake.Config{ClientSecret: secret}, basic, secret, ""},
		{"default methods, post", oidcfake.Config{ClientSecret: secret}, post, secret, ""},
		{"confidential, no secret", oidcfake.Config{ClientSecret: secret}, none, "", "invalid_client"},
		{"confidential, wrong secret", oidcfake.Config{ClientSecret: secret}, post, "wrong", "invalid_client"},
		{"confidential, Basic without password", oidcfake.Config{ClientSecret: secret}, basic, "", "invalid_client"},
		{"post only, post", oidcfake.Config{ClientSecret: secret, TokenEndpointAuthMethods: []string{"client_secret_post"}}, post, secret, ""},
		{"post only, Basic", oidcfake.Config{ClientSecret: secret, TokenEndpointAuthMethods: []string{"client_secret_post"}}, basic, secret, "invalid_client"},
		{"Basic only, post", oidcfake.Config{ClientSecret: secret, TokenEndpointAuthMethods: []string{"client_secret_basic"}}, post, secret, "invalid_client"},
		{"Basic only, Basic", oidcfake.Config{ClientSecret: secret, TokenEndpointAuthMethods: []string{"client_secret_basic"}}, basic, secret, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, tt.cfg)
			form := url.Values{"grant_type": {"password"}, "username": {"admin@example.com"}, "password": {"password"}, "scope": {"openid"}}
			if tt.how != basic {
				form.Set("client_id", "kubelogin")
			}
			if tt.how == post {
				form.Set("client_secret", tt.secret)
			}
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, p.Issuer()+"/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.how == basic {
				req.SetBasicAuth("kubelogin", tt.secret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&body)
			switch {
			case tt.wantErr == "" && resp.StatusCode != http.StatusOK:
				t.Errorf("%d %v, want 200", resp.StatusCode, body)
			case tt.wantErr != "" && (resp.StatusCode != http.StatusUnauthorized || body["error"] != tt.wantErr):
				t.Errorf("%d %v, want 401 %s", resp.StatusCode, body, tt.wantErr)
			}
		})
	}
}

func TestAuthorizationResponseIss(t *testing.T) {
	tests := []struct {
		name       string
		cfg        oidcfake.Config
		faults     oidcfake.Faults
		advertised bool
		wantIss    string // "issuer" = Issuer(); "" = absent
	}{
		{name: "default", advertised: true, wantIss: "issuer"},
		{name: "NoIssParameter", cfg: oidcfake.Config{NoIssParameter: true}},
		{name: "wrong iss", faults: oidcfake.Faults{AuthResponseIss: "https://evil.example.com"}, advertised: true, wantIss: "https://evil.example.com"},
		{name: "wrong iss, not advertised", cfg: oidcfake.Config{NoIssParameter: true},
			faults: oidcfake.Faults{AuthResponseIss: "https://evil.example.com"}, wantIss: "https://evil.example.com"},
		{name: "missing iss", faults: oidcfake.Faults{NoAuthResponseIss: true}, advertised: true},
		{name: "error response", faults: oidcfake.Faults{AuthError: "access_denied"}, advertised: true, wantIss: "issuer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, tt.cfg)
			p.SetFaults(tt.faults)
			resp, err := http.Get(p.Issuer() + "/.well-known/openid-configuration")
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			err = json.NewDecoder(resp.Body).Decode(&doc)
			resp.Body.Close()
			if got := doc["authorization_response_iss_parameter_supported"] == true; err != nil || got != tt.advertised {
				t.Errorf("discovery advertises iss: %v (%v), want %v", got, err, tt.advertised)
			}
			resp = authorizeQuery(t, p, "http://localhost:1234/cb", "openid")
			loc, err := resp.Location()
			if err != nil {
				t.Fatalf("status %d: %v", resp.StatusCode, err)
			}
			want := strings.Replace(tt.wantIss, "issuer", p.Issuer(), 1)
			if q := loc.Query(); q.Get("iss") != want || q.Has("iss") != (want != "") {
				t.Errorf("iss = %q (present: %v), want %q", q.Get("iss"), q.Has("iss"), want)
			}
		})
	}
}
