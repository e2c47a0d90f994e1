package oidcfake_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

func TestAuthCodeExchange(t *testing.T) {
	verifier := oauth2.GenerateVerifier()
	tests := []struct {
		name     string
		methods  []string
		auth     []oauth2.AuthCodeOption
		exchange []oauth2.AuthCodeOption
		redirect string // overrides the redirect_uri of the token request
		wantCode string
	}{
		{name: "S256", auth: []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)},
			exchange: []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}},
		{name: "plain", methods: []string{"S256", "plain"},
			auth:     []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("code_challenge", verifier)},
			exchange: []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}},
		{name: "no PKCE"},
		{name: "wrong verifier", auth: []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)},
			exchange: []oauth2.AuthCodeOption{oauth2.VerifierOption(oauth2.GenerateVerifier())}, wantCode: "invalid_grant"},
		{name: "missing verifier", auth: []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)},
			wantCode: "invalid_grant"},
		{name: "verifier without challenge",
			exchange: []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}, wantCode: "invalid_grant"},
		{name: "PKCE unsupported ignores it", methods: []string{},
			auth:     []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)},
			exchange: []oauth2.AuthCodeOption{oauth2.VerifierOption(oauth2.GenerateVerifier())}},
		{name: "other redirect_uri", redirect: "http://127.0.0.1:1/other", wantCode: "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, oidcfake.Config{PKCEMethods: tt.methods})
			redirectURI, got := callback(t)
			conf := oauth2Config(p, redirectURI)
			code := authorize(t, p, conf, got, tt.auth...)
			if tt.redirect != "" {
				conf.RedirectURL = tt.redirect
			}
			_, err := conf.Exchange(t.Context(), code, tt.exchange...)
			if errorCode(err) != tt.wantCode || (tt.wantCode == "" && err != nil) {
				t.Fatalf("exchange: error %v, want code %q", err, tt.wantCode)
			}
			if err == nil {
				_, err = conf.Exchange(t.Context(), code, tt.exchange...)
				if errorCode(err) != "invalid_grant" {
					t.Errorf("second exchange of the code: %v, want invalid_grant", err)
				}
			}
		})
	}
}

func TestAuthorizeRejects(t *testing.T) {
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	valid := url.Values{"client_id": {"kubelogin"}, "response_type": {"code"},
		"redirect_uri": {"http://localhost:8000/cb?keep=1"}, "state": {"s"}, "scope": {"openid"}}
	with := func(k, v string) url.Values {
		q := url.Values(http.Header(valid).Clone())
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	tests := []struct {
		name      string
		cfg       oidcfake.Config
		faults    oidcfake.Faults
		query     url.Values
		wantPage  bool   // 400 page instead of a redirect
		wantError string // error of the redirect; "" = a code
	}{
		{name: "valid", query: valid},
		{name: "IPv6 loopback", query: with("redirect_uri", "http://[::1]:1234/")},
		{name: "https loopback unregistered", query: with("redirect_uri", "https://localhost:1234/"), wantPage: true},
		{name: "non-loopback redirect", query: with("redirect_uri", "http://example.com/cb"), wantPage: true},
		{name: "custom scheme", query: with("redirect_uri", "myapp://localhost/cb"), wantPage: true},
		{name: "missing redirect", query: with("redirect_uri", ""), wantPage: true},
		{name: "unknown client", query: with("client_id", "other"), wantPage: true},
		{name: "missing state", query: with("state", ""), wantError: "invalid_request"},
		{name: "token response type", query: with("response_type", "token"), wantError: "unsupported_response_type"},
		{name: "PKCE required", cfg: oidcfake.Config{RequirePKCE: true}, query: valid, wantError: "invalid_request"},
		{name: "plain not advertised", query: with("code_challenge", "abc"), wantError: "invalid_request"},
		{name: "AuthError fault", faults: oidcfake.Faults{AuthError: "access_denied"}, query: valid, wantError: "access_denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, tt.cfg)
			p.SetFaults(tt.faults)
			resp, err := noRedirect.Get(p.Issuer() + "/authorize?" + tt.query.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if tt.wantPage {
				if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
					t.Errorf("status %d, Content-Type %q; want a 400 HTML page", resp.StatusCode, resp.Header.Get("Content-Type"))
				}
				return
			}
			loc, err := resp.Location()
			if resp.StatusCode != http.StatusFound || err != nil {
				t.Fatalf("status %d, location error %v; want a redirect", resp.StatusCode, err)
			}
			q := loc.Query()
			if q.Get("error") != tt.wantError || q.Get("state") != tt.query.Get("state") {
				t.Errorf("redirect query %v, want error %q", q, tt.wantError)
			}
			if tt.wantError == "" && (q.Get("code") == "" || loc.Path != "/cb" && loc.Path != "/") {
				t.Errorf("redirect %s, want a code at the redirect URI", loc.Redacted())
			}
			if tt.name == "valid" && q.Get("keep") != "1" {
				t.Errorf("the query of the redirect URI was lost: %v", q)
			}
		})
	}
}
