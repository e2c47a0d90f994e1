package oidcfake_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
	"github.com/kubelogin/kubelogin/internal/token"
)

// post sends form to the provider's endpoint (with the client's id) and
// returns the status and the JSON answer.
func post(t *testing.T, p *oidcfake.Provider, path string, form url.Values, bearer string) (int, map[string]any) {
	t.Helper()
	form.Set("client_id", "kubelogin")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, p.Issuer()+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// exchange asks for a token for aud in exchange for subject (an access token).
func exchange(t *testing.T, p *oidcfake.Provider, subject, aud, requested string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "scope": {"openid"},
		"subject_token": {subject}, "subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}, "audience": {aud}}
	if requested != "" {
		form.Set("requested_token_type", requested)
	}
	return post(t, p, "/token", form, "")
}

// shown is an answer to print: its tokens are replaced by their kind.
func shown(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if s, ok := v.(string); ok && (k == "access_token" || k == "id_token" || k == "refresh_token") {
			if strings.Count(s, ".") == 2 {
				v = "[a JWT]"
			} else {
				v = "[opaque]"
			}
		}
		out[k] = v
	}
	return out
}

// rawClaims decodes a JWT's payload without verifying it.
func rawClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	c, err := token.DecodeClaims(jwt)
	if err != nil {
		t.Fatalf("not a JWT: %v", err)
	}
	m, err := c.Map()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// With AudienceOnAccessToken the exchange is Keycloak 26's standard token
// exchange: the access token, a JWT of the provider's keys, carries the
// audience (a string); an ID token asked for keeps the client's; an unknown
// audience is invalid_client "Audience not found". Its JWT access tokens
// are accepted at userinfo and as subjects until revoked.
func TestTokenExchangeAudienceOnAccessToken(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	p := start(t, oidcfake.Config{AccessTokenTTL: 20 * time.Second, Now: func() time.Time { return now },
		TokenExchange: &oidcfake.TokenExchangeConfig{Audiences: []string{"cluster-a", "cluster-b"}, AudienceOnAccessToken: true}})
	login, err := oauth2Config(p, "").PasswordCredentialsToken(t.Context(), "admin@example.com", "password")
	if err != nil {
		t.Fatal(err)
	}
	provider, err := oidc.NewProvider(t.Context(), p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	verifier := provider.Verifier(&oidc.Config{SkipClientIDCheck: true, Now: func() time.Time { return now }})
	if tok, err := verifier.Verify(t.Context(), login.AccessToken); err != nil || tok.Audience[0] != "kubelogin" {
		t.Fatalf("the login's access token: %v, %+v; want a JWT for kubelogin", err, tok)
	}

	status, answer := exchange(t, p, login.AccessToken, "cluster-a", "")
	access, _ := answer["access_token"].(string)
	if status != http.StatusOK || answer["issued_token_type"] != "urn:ietf:params:oauth:token-type:access_token" ||
		answer["id_token"] != nil || answer["refresh_token"] != nil {
		t.Fatalf("exchange for cluster-a: %d %v", status, shown(answer))
	}
	if _, err := verifier.Verify(t.Context(), access); err != nil {
		t.Fatalf("the exchanged access token does not verify with the provider's keys: %v", err)
	}
	c := rawClaims(t, access)
	if c["aud"] != "cluster-a" || c["azp"] != "kubelogin" || c["iss"] != p.Issuer() || c["sub"] == nil || c["email"] != "admin@example.com" ||
		c["exp"] != float64(now.Add(20*time.Second).Unix()) {
		t.Errorf("exchanged access token claims %v: want aud cluster-a (a string), azp kubelogin, iss, sub, email, exp now+20s", c)
	}

	status, answer = exchange(t, p, login.AccessToken, "cluster-a", "urn:ietf:params:oauth:token-type:id_token")
	if idt, _ := answer["access_token"].(string); status != http.StatusOK || answer["issued_token_type"] != "urn:ietf:params:oauth:token-type:id_token" ||
		rawClaims(t, idt)["aud"] != "kubelogin" {
		t.Errorf("an ID token asked for: %d %v, want one for the client (aud kubelogin)", status, shown(answer))
	}
	if status, answer = exchange(t, p, login.AccessToken, "cluster-z", ""); status != http.StatusBadRequest ||
		answer["error"] != "invalid_client" || answer["error_description"] != "Audience not found" {
		t.Errorf("unknown audience: %d %v, want 400 invalid_client Audience not found", status, shown(answer))
	}

	// The exchanged access token is one of the provider's, until revoked.
	if status, _ := post(t, p, "/userinfo", url.Values{}, access); status != http.StatusOK {
		t.Errorf("userinfo with the exchanged access token: %d", status)
	}
	if status, answer := exchange(t, p, access, "cluster-b", ""); status != http.StatusOK {
		t.Errorf("the exchanged access token as subject: %d %v", status, shown(answer))
	}
	if status, _ := post(t, p, "/revoke", url.Values{"token": {access}}, ""); status != http.StatusOK {
		t.Fatalf("revoke: %d", status)
	}
	if status, _ := post(t, p, "/userinfo", url.Values{}, access); status != http.StatusUnauthorized {
		t.Errorf("userinfo with the revoked access token: %d, want 401", status)
	}
	if status, answer := exchange(t, p, access, "cluster-b", ""); status != http.StatusBadRequest || answer["error"] != "invalid_request" {
		t.Errorf("the revoked access token as subject: %d %v, want 400 invalid_request", status, shown(answer))
	}
}

// Without AudienceOnAccessToken the exchanged access token is opaque and an
// ID token asked for names the audience.
func TestTokenExchangeAudienceOnIDToken(t *testing.T) {
	p := start(t, oidcfake.Config{TokenExchange: &oidcfake.TokenExchangeConfig{Audiences: []string{"cluster-a"}}})
	login, err := oauth2Config(p, "").PasswordCredentialsToken(t.Context(), "admin@example.com", "password")
	if err != nil {
		t.Fatal(err)
	}
	_, answer := exchange(t, p, login.AccessToken, "cluster-a", "")
	if access, _ := answer["access_token"].(string); strings.Count(access, ".") == 2 || answer["id_token"] != nil {
		t.Errorf("access token asked for: %v, want an opaque one and no ID token", shown(answer))
	}
	_, answer = exchange(t, p, login.AccessToken, "cluster-a", "urn:ietf:params:oauth:token-type:id_token")
	if idt, _ := answer["access_token"].(string); rawClaims(t, idt)["aud"] != "cluster-a" {
		t.Errorf("ID token asked for: aud %v, want cluster-a", rawClaims(t, idt)["aud"])
	}
	if status, answer := exchange(t, p, login.AccessToken, "cluster-z", ""); answer["error"] != "invalid_target" {
		t.Errorf("unknown audience: %d %v, want invalid_target", status, shown(answer))
	}
}
