package oidc

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/internal/logger"
)

// revocationProvider serves discovery (with a revocation endpoint unless
// revocation is 0) and a revocation endpoint answering with that status.
func revocationProvider(t *testing.T, revocation int, body string) (*Client, *url.Values, *http.Header) {
	t.Helper()
	var form url.Values
	var header http.Header
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			doc := map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/auth",
				"token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/keys"}
			if revocation != 0 {
				doc["revocation_endpoint"] = srv.URL + "/revoke"
			}
			json.NewEncoder(w).Encode(doc)
		case "/revoke":
			r.ParseForm()
			form, header = r.PostForm, r.Header.Clone()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(revocation)
			w.Write([]byte(body))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	c := New(Config{IssuerURL: srv.URL, ClientID: "kubelogin", ClientSecret: "s3cret", HTTPClient: srv.Client(), Log: logger.New(nil)})
	return c, &form, &header
}

func TestRevoke(t *testing.T) {
	c, form, header := revocationProvider(t, http.StatusOK, "")
	if err := c.Revoke(t.Context(), "refresh-token-value", HintRefreshToken); err != nil {
		t.Fatal(err)
	}
	if f := *form; f.Get("token") != "refresh-token-value" || f.Get("token_type_hint") != "refresh_token" || f.Has("client_secret") {
		t.Errorf("form %v", f)
	}
	if u, p, ok := (&http.Request{Header: *header}).BasicAuth(); !ok || u != "kubelogin" || p != "s3cret" {
		t.Errorf("want client_secret_basic, got %v", *header)
	}
}

func TestRevokeErrors(t *testing.T) {
	c, _, _ := revocationProvider(t, 0, "")
	if err := c.Revoke(t.Context(), "t", HintRefreshToken); !errors.Is(err, ErrNoRevocationEndpoint) {
		t.Errorf("no endpoint: %v", err)
	}
	c, _, _ = revocationProvider(t, http.StatusUnauthorized, `{"error":"invalid_client","error_description":"bad secret"}`)
	err := c.Revoke(t.Context(), "refresh-token-value", HintRefreshToken)
	var te *TokenError
	if !errors.As(err, &te) || te.Code != "invalid_client" || strings.Contains(err.Error(), "refresh-token-value") {
		t.Errorf("refused: %v", err)
	}
	c, _, _ = revocationProvider(t, http.StatusServiceUnavailable, "<html>down</html>")
	if err := c.Revoke(t.Context(), "t", HintRefreshToken); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("down: %v", err)
	}
}
