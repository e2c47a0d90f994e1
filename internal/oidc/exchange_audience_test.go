package oidc

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
	"github.com/kubelogin/kubelogin/internal/token"
)

// TestExchangeForAudience: one request, asking for the token that can carry
// the audience (the access token for a JWT subject, else the ID token), and
// the token verified for the audience is the one returned, an ID token or an
// access token; else one line saying what the provider issued.
func TestExchangeForAudience(t *testing.T) {
	const access, id = "urn:ietf:params:oauth:token-type:access_token", "urn:ietf:params:oauth:token-type:id_token"
	for _, tc := range []struct {
		name       string
		keycloak   bool // oidcfake's AudienceOnAccessToken: JWT access tokens for the audience
		faults     oidcfake.Faults
		requested  string // forced RequestedTokenType
		wantAsked  string
		wantKind   string
		wantErr    string
		wantTTLExp bool // the token's exp is the access token TTL's
	}{
		{name: "Keycloak: the access token", keycloak: true, wantAsked: access, wantKind: "access token", wantTTLExp: true},
		{name: "opaque access tokens: the ID token", wantAsked: id, wantKind: "ID token"},
		{name: "Keycloak asked for an ID token", keycloak: true, requested: id, wantAsked: id,
			wantErr: "the provider's token exchange for audience cluster-a issued an ID token for kubelogin: the provider applied the audience to no token; " +
				"have it add cluster-a to the aud of the tokens it exchanges for this client (Keycloak: an audience mapper)"},
		{name: "no ID token, opaque access token", faults: oidcfake.Faults{NoIDTokenExchange: true}, wantAsked: id,
			wantErr: "the provider's token exchange for audience cluster-a issued no ID token and an opaque access token: add --oidc-use-access-token if the API server accepts its access tokens"},
		{name: "an ID token that does not verify", faults: oidcfake.Faults{WrongIssuer: true}, wantAsked: id,
			wantErr: "the provider's ID token failed verification (oidc: id token issued by a different provider"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Now().Truncate(time.Second)
			p, err := oidcfake.Start(oidcfake.Config{AccessTokenTTL: 20 * time.Second, Now: func() time.Time { return now },
				TokenExchange: &oidcfake.TokenExchangeConfig{Audiences: []string{"cluster-a"}, AudienceOnAccessToken: tc.keycloak}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p.Close)
			c := New(Config{IssuerURL: p.Issuer(), ClientID: "kubelogin", HTTPClient: &http.Client{Timeout: 5 * time.Second},
				Now: func() time.Time { return now }, Log: logger.New(nil)})
			login, err := c.PasswordGrant(t.Context(), "admin@example.com", "password", true)
			if err != nil {
				t.Fatal(err)
			}
			p.SetFaults(tc.faults)
			p.ResetCounts()
			got, err := c.ExchangeForAudience(t.Context(), Exchange{SubjectToken: token.Secret(login.AccessToken),
				SubjectTokenType: TokenTypeAccessToken, RequestedTokenType: tc.requested}, "cluster-a")
			form, _ := p.LastTokenRequest()
			if asked := form.Get("requested_token_type"); asked != tc.wantAsked || form.Get("audience") != "cluster-a" || p.Count("token") != 1 {
				t.Errorf("asked for %q (audience %q) in %d requests, want %q in 1", asked, form.Get("audience"), p.Count("token"), tc.wantAsked)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v\nwant %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c2, err := token.DecodeClaims(got.JWT)
			if err != nil {
				t.Fatal(err)
			}
			var aud struct {
				Aud any `json:"aud"`
			}
			_ = json.Unmarshal(c2.RawBytes, &aud)
			if got.Kind != tc.wantKind || aud.Aud != "cluster-a" || !got.Expiry.Equal(c2.Expiry) {
				t.Errorf("got the %s for %v, expiry %s (its exp %s); want the %s for cluster-a and its exp", got.Kind, aud.Aud, got.Expiry, c2.Expiry, tc.wantKind)
			}
			if tc.wantTTLExp && !got.Expiry.Equal(now.Add(20*time.Second)) {
				t.Errorf("expiry %s, want the access token's exp %s", got.Expiry, now.Add(20*time.Second))
			}
		})
	}
}

// TestExplainExchange: each refusal is one line with what to do and the
// provider's answer; Keycloak's are told apart by their descriptions.
func TestExplainExchange(t *testing.T) {
	x := Exchange{Audiences: []string{"cluster-a"}}
	for _, tc := range []struct {
		te   TokenError
		want string
	}{
		{TokenError{Status: 400, Code: "invalid_client", Description: "Audience not found"},
			"audience cluster-a is not a client of the provider (Keycloak: of the realm): check --request-audience or the cluster's audience (--token-exchange-audience with --grant-type=token-exchange) (400 invalid_client: Audience not found)"},
		{TokenError{Status: 400, Code: "invalid_request", Description: "Requested audience not available"},
			"the provider does not let client kubelogin-exchange exchange tokens for audience cluster-a: add an audience mapper for it to the client at the provider (Keycloak: in the client's dedicated scope) (400 invalid_request: Requested audience not available)"},
		{TokenError{Status: 403, Code: "access_denied", Description: "Client is not within the token audience"},
			"the provider does not let client kubelogin-exchange exchange this token: the token must name the client in its aud (Keycloak: an audience mapper for the client itself) and the client must be allowed the token exchange (403 access_denied: Client is not within the token audience)"},
		{TokenError{Status: 401, Code: "invalid_client", Description: "Invalid client credentials"},
			"the provider rejected the client for the token exchange: check --oidc-client-secret or the client assertion, and that the client may exchange tokens (401 invalid_client: Invalid client credentials)"},
		{TokenError{Status: 400, Code: "invalid_request", Description: "Invalid token"},
			"the provider refused the token exchange request: check the subject token (it may have expired) and --token-exchange-subject-token-type (400 invalid_request: Invalid token)"},
	} {
		t.Run(tc.te.Code+" "+tc.te.Description, func(t *testing.T) {
			te := tc.te
			if got := explainExchange(&te, x, "kubelogin-exchange").Error(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
