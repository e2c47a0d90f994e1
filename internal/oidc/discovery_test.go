package oidc

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/internal/logger"
)

// TestDiscoveryNeedsAnEndpoint: a provider with only a token endpoint (a
// machine-to-machine issuer) or only an authorization endpoint is usable; one
// with neither is refused. Mutation survivors of make mutation.
func TestDiscoveryNeedsAnEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name        string
		auth, token bool
		wantRefused bool
	}{
		{"both", true, true, false},
		{"only a token endpoint", false, true, false},
		{"only an authorization endpoint", true, false, false},
		{"neither", false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				m := map[string]any{"issuer": srv.URL, "jwks_uri": srv.URL + "/keys"}
				if tc.auth {
					m["authorization_endpoint"] = srv.URL + "/auth"
				}
				if tc.token {
					m["token_endpoint"] = srv.URL + "/token"
				}
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(m)
			}))
			defer srv.Close()
			c := New(Config{IssuerURL: srv.URL, ClientID: "kubelogin", HTTPClient: srv.Client(), Log: logger.New(nil)})
			_, err := c.Metadata(context.Background())
			switch {
			case tc.wantRefused && (err == nil || !strings.Contains(err.Error(), "neither an authorization nor a token endpoint")):
				t.Errorf("err = %v, want the missing endpoints named", err)
			case !tc.wantRefused && err != nil:
				t.Errorf("refused: %v", err)
			}
		})
	}
}
