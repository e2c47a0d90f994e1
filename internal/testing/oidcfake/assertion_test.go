package oidcfake_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

func sign(t *testing.T, key *ecdsa.PrivateKey, claims jwt.Claims) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newECKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestClientAssertions(t *testing.T) {
	client, federated, other := newECKey(t), newECKey(t), newECKey(t)
	p := start(t, oidcfake.Config{
		ClientAssertionKeys: []crypto.PublicKey{client.Public()},
		FederatedIssuer:     "https://kubernetes.default.svc",
		FederatedAudience:   "api://kubelogin",
		FederatedKeys:       []crypto.PublicKey{federated.Public()},
	})
	now := time.Now()
	own := func(mod func(*jwt.Claims)) jwt.Claims {
		c := jwt.Claims{Issuer: "kubelogin", Subject: "kubelogin", Audience: jwt.Audience{p.Issuer() + "/token"},
			ID: rand.Text(), IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute))}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	fed := func(mod func(*jwt.Claims)) jwt.Claims {
		c := jwt.Claims{Issuer: "https://kubernetes.default.svc", Subject: "system:serviceaccount:ci:deployer",
			Audience: jwt.Audience{"api://kubelogin"}, Expiry: jwt.NewNumericDate(now.Add(time.Hour))}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	replayed := sign(t, client, own(nil))
	tests := []struct {
		name      string
		assertion string
		typ       string
		wantDesc  string // "" = success
	}{
		{name: "private_key_jwt", assertion: replayed},
		{name: "replayed jti", assertion: replayed, wantDesc: "client assertion replayed"},
		{name: "issuer as audience", assertion: sign(t, client, own(func(c *jwt.Claims) { c.Audience = jwt.Audience{p.Issuer()} }))},
		{name: "wrong key", assertion: sign(t, other, own(nil)), wantDesc: "client assertion signature does not verify"},
		{name: "wrong audience", assertion: sign(t, client, own(func(c *jwt.Claims) { c.Audience = jwt.Audience{"x"} })), wantDesc: "client assertion rejected"},
		{name: "expired", assertion: sign(t, client, own(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(-time.Minute)) })), wantDesc: "client assertion rejected"},
		{name: "no jti", assertion: sign(t, client, own(func(c *jwt.Claims) { c.ID = "" })), wantDesc: "no jti"},
		{name: "wrong type", assertion: sign(t, client, own(nil)), typ: "urn:other", wantDesc: "unsupported client_assertion_type"},
		{name: "not a JWT", assertion: "garbage", wantDesc: "not a signed JWT"},
		{name: "federated", assertion: sign(t, federated, fed(nil))},
		{name: "federated again (no jti check)", assertion: sign(t, federated, fed(nil))},
		{name: "federated wrong audience", assertion: sign(t, federated, fed(func(c *jwt.Claims) { c.Audience = jwt.Audience{"other"} })), wantDesc: "client assertion rejected"},
		{name: "federated signed by the client key", assertion: sign(t, client, fed(nil)), wantDesc: "signature does not verify"},
		{name: "unknown issuer", assertion: sign(t, federated, fed(func(c *jwt.Claims) { c.Issuer = "https://evil" })), wantDesc: "unknown issuer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ := tt.typ
			if typ == "" {
				typ = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
			}
			status, body := postToken(t, p, url.Values{"grant_type": {"client_credentials"}, "client_id": {"kubelogin"},
				"client_assertion_type": {typ}, "client_assertion": {tt.assertion}})
			if tt.wantDesc == "" {
				if status != http.StatusOK || body["access_token"] == nil || body["id_token"] != nil {
					t.Errorf("%d %v, want an access token", status, body)
				}
				return
			}
			desc, _ := body["error_description"].(string)
			if status != http.StatusUnauthorized || body["error"] != "invalid_client" || !contains(desc, tt.wantDesc) {
				t.Errorf("%d %v, want 401 invalid_client %q", status, body, tt.wantDesc)
			}
		})
	}
}

func TestClientCredentialsIDToken(t *testing.T) {
	p := start(t, oidcfake.Config{ClientSecret: "s", ClientCredentialsIDToken: true})
	status, body := postToken(t, p, url.Values{"grant_type": {"client_credentials"}, "client_id": {"kubelogin"}, "client_secret": {"s"}, "scope": {"openid"}})
	if status != http.StatusOK || body["id_token"] == nil || body["refresh_token"] != nil {
		t.Errorf("%d %v, want an ID token and no refresh token", status, body)
	}
	status, body = postToken(t, p, url.Values{"grant_type": {"client_credentials"}, "client_id": {"kubelogin"}, "client_secret": {"s"}})
	if status != http.StatusOK || body["id_token"] != nil {
		t.Errorf("without openid: %d %v, want an access token alone", status, body)
	}
}

func TestDeviceFaultsAndKnobs(t *testing.T) {
	p := start(t, oidcfake.Config{DeviceSlowDowns: 2, DeviceCodeTTL: 30 * time.Second, DeviceInterval: 1})
	da, err := oauth2Config(p, "").DeviceAuth(t.Context(), oauthParam("audience", "k8s"))
	if err != nil {
		t.Fatal(err)
	}
	if da.Expiry.IsZero() || time.Until(da.Expiry) > 31*time.Second {
		t.Errorf("expiry %s, want 30s from now", da.Expiry)
	}
	if got := p.LastDeviceRequest().Get("audience"); got != "k8s" {
		t.Errorf("LastDeviceRequest audience = %q", got)
	}
	poll := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
		"client_id": {"kubelogin"}, "device_code": {da.DeviceCode}}
	for i, want := range []string{"slow_down", "slow_down"} {
		if _, body := postToken(t, p, poll); body["error"] != want {
			t.Errorf("poll %d: %v, want %s", i, body, want)
		}
	}
	time.Sleep(time.Second)
	if _, body := postToken(t, p, poll); body["error"] != "authorization_pending" {
		t.Errorf("poll 3: %v, want authorization_pending", body)
	}
	p.SetFaults(oidcfake.Faults{DeviceError: "access_denied"})
	if status, body := postToken(t, p, poll); status != http.StatusBadRequest || body["error"] != "access_denied" {
		t.Errorf("with DeviceError: %d %v", status, body)
	}
	if n := len(p.DevicePolls()); n != 4 {
		t.Errorf("DevicePolls = %d, want 4", n)
	}
	p.ResetCounts()
	if n := len(p.DevicePolls()); n != 0 {
		t.Errorf("DevicePolls after ResetCounts = %d", n)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func oauthParam(k, v string) oauth2.AuthCodeOption { return oauth2.SetAuthURLParam(k, v) }
