package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kubelogin/kubelogin/internal/logger"
)

// deviceProvider serves discovery and a device authorization endpoint that
// answers with status and body, and records the last device request.
func deviceProvider(t *testing.T, status int, contentType, body string) (*Client, *url.Values, *http.Header) {
	t.Helper()
	var form url.Values
	var header http.Header
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/auth",
				"token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/keys", "device_authorization_endpoint": srv.URL + "/device/code"})
		case "/device/code":
			r.ParseForm()
			form, header = r.PostForm, r.Header.Clone()
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			w.Write([]byte(body))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	c := New(Config{IssuerURL: srv.URL, ClientID: "kubelogin", ClientSecret: "s3cret", ExtraScopes: []string{"email"},
		HTTPClient: srv.Client(), Log: logger.New(nil)})
	return c, &form, &header
}

func TestStartDeviceAuth(t *testing.T) {
	const googleStyle = `{"device_code":"dc","user_code":"ABCD-EFGH","verification_url":"https://www.google.com/device","expires_in":1800}`
	c, form, header := deviceProvider(t, 200, "application/json", googleStyle)
	da, err := c.StartDeviceAuth(t.Context(), "challenge", map[string]string{"audience": "k8s"})
	if err != nil {
		t.Fatal(err)
	}
	if da.DeviceCode.Reveal() != "dc" || da.UserCode != "ABCD-EFGH" || da.VerificationURI != "https://www.google.com/device" ||
		da.VerificationURIComplete != "" || da.ExpiresIn != 30*time.Minute || da.Interval != 5*time.Second {
		t.Errorf("device auth %+v: want verification_url taken, interval 5s by default", da)
	}
	if f := *form; f.Get("scope") != "openid email" || f.Get("code_challenge") != "challenge" || f.Get("code_challenge_method") != "S256" ||
		f.Get("audience") != "k8s" || f.Has("client_secret") {
		t.Errorf("device request form %v", f)
	}
	if u, p, ok := (&http.Request{Header: *header}).BasicAuth(); !ok || u != "kubelogin" || p != "s3cret" {
		t.Errorf("want client_secret_basic, got %v", *header)
	}
	if da.DeviceCode.String() != "[redacted]" {
		t.Error("the device code prints")
	}
}

func TestStartDeviceAuthErrors(t *testing.T) {
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		want                    string
		tokenError              bool
	}{
		{"OAuth error", "application/json", `{"error":"invalid_client","error_description":"unknown client","echo":"s3cret"}`, 401,
			"start the device login: the provider answered 401 invalid_client: unknown client", true},
		{"HTML", "text/html", "<html>captive portal</html>", 200, "answered text/html, not JSON", false},
		{"incomplete", "application/json", `{"device_code":"dc"}`, 200, "lacks device_code, user_code or verification_uri", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := deviceProvider(t, tc.status, tc.contentType, tc.body)
			_, err := c.StartDeviceAuth(t.Context(), "", nil)
			var te *TokenError
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.As(err, &te) != tc.tokenError {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Error("the error quotes the response body")
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	c := New(Config{ClientID: "kubelogin", ClientSecret: "s3cret"})
	for _, tc := range []struct {
		name      string
		meta      Metadata
		form      url.Values
		wantBasic bool
		wantForm  string
	}{
		{"basic", Metadata{}, url.Values{}, true, ""},
		{"post only", Metadata{TokenEndpointAuthMethods: []string{"client_secret_post"}}, url.Values{}, false, "client_id=kubelogin&client_secret=s3cret"},
		{"assertion", Metadata{}, url.Values{"client_assertion": {"jwt"}}, false, "client_assertion=jwt&client_id=kubelogin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if basic := c.authenticate(tc.meta, tc.form); basic != tc.wantBasic || tc.form.Encode() != tc.wantForm {
				t.Errorf("basic %t form %q, want %t %q", basic, tc.form.Encode(), tc.wantBasic, tc.wantForm)
			}
		})
	}
}

// TestStartDeviceAuthAuthenticatesTheClient: Keycloak refuses a device
// authorization request of a confidential client that does not authenticate
// (401 invalid_client), which is what x/oauth2's DeviceAuth sends; ours
// authenticates the client as for token requests.
func TestStartDeviceAuthAuthenticatesTheClient(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/auth",
				"token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/keys", "device_authorization_endpoint": srv.URL + "/device/code"})
		case "/device/code":
			w.Header().Set("Content-Type", "application/json")
			if _, p, ok := r.BasicAuth(); !ok || p != "s3cret" {
				w.WriteHeader(http.StatusUnauthorized)
				w.Write([]byte(`{"error":"invalid_client","error_description":"Client authentication required"}`))
				return
			}
			w.Write([]byte(`{"device_code":"dc","user_code":"ABCD","verification_uri":"https://kc.example/device"}`))
		}
	}))
	t.Cleanup(srv.Close)
	c := New(Config{IssuerURL: srv.URL, ClientID: "kubelogin", ClientSecret: "s3cret", HTTPClient: srv.Client(), Log: logger.New(nil)})
	if _, err := c.StartDeviceAuth(t.Context(), "", nil); err != nil {
		t.Errorf("StartDeviceAuth: %v", err)
	}
	conf, err := c.OAuth2Config(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	var re *oauth2.RetrieveError
	if _, err := conf.DeviceAuth(context.WithValue(t.Context(), oauth2.HTTPClient, srv.Client())); !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Errorf("x/oauth2's DeviceAuth: %v; want invalid_client (if it authenticates the client now, StartDeviceAuth can use it)", err)
	}
}
