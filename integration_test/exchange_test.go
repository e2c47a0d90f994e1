package integration_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
	"github.com/kubelogin/kubelogin/internal/token"
)

// ciIssuer signs CI job tokens for the token exchange tests.
type ciIssuer struct {
	t   *testing.T
	key *ecdsa.PrivateKey
}

const ciIssuerURL, ciAudience = "https://ci.example.com", "api://kubelogin"

func newCIIssuer(t *testing.T) *ciIssuer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &ciIssuer{t: t, key: k}
}

func (c *ciIssuer) token(exp time.Time) string {
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: c.key}, nil)
	s, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: ciIssuerURL, Subject: "repo:acme/app:ref:refs/heads/main",
		Audience: jwt.Audience{ciAudience}, Expiry: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(time.Now().Add(-2 * time.Minute))}).Serialize()
	if err != nil {
		c.t.Fatal(err)
	}
	return s
}

func audOf(t *testing.T, raw string) any {
	t.Helper()
	c, err := token.DecodeClaims(raw)
	if err != nil {
		t.Fatalf("the credential is not a JWT: %v", err)
	}
	m, _ := c.Map()
	return m["aud"]
}

// TestTokenExchangeGrant exchanges a CI job's token for a cluster's ID token
// (RFC 8693), with no browser: the request, the cache, the exchange again
// when the issued token expires (no refresh token), and no token printed.
func TestTokenExchangeGrant(t *testing.T) {
	ci := newCIIssuer(t)
	cfg := oidcfake.Config{FederatedIssuer: ciIssuerURL, FederatedAudience: ciAudience, FederatedKeys: []crypto.PublicKey{ci.key.Public()},
		ClientSecret: "s3cr3t", TokenExchange: &oidcfake.TokenExchangeConfig{Audiences: []string{"cluster-a", "cluster-b"}, Resources: []string{"https://a.example.com"}}}
	e := newEnv(t, cfg)
	subject := ci.token(time.Now().Add(time.Hour))
	run := func(extra ...string) result {
		return e.runWith(runOpts{env: []string{"CI_JOB_JWT=" + subject}}, e.args(append([]string{"--grant-type=token-exchange",
			"--oidc-client-secret=s3cr3t", "--token-exchange-subject-token-env=CI_JOB_JWT", "--token-exchange-subject-token-type=jwt",
			"--token-exchange-audience=cluster-a", "--oidc-auth-request-extra-params=connector_id=ci"}, extra...)...)...)
	}
	r := run("-v3")
	c := mustCredential(t, r)
	if got := audOf(t, c.Status.Token); got != "cluster-a" {
		t.Errorf("aud of the credential = %v, want cluster-a", got)
	}
	form, header := e.provider.LastTokenRequest()
	for k, want := range map[string]string{
		"grant_type":           "urn:ietf:params:oauth:grant-type:token-exchange",
		"subject_token":        subject,
		"subject_token_type":   "urn:ietf:params:oauth:token-type:jwt",
		"requested_token_type": "urn:ietf:params:oauth:token-type:id_token",
		"audience":             "cluster-a",
		"connector_id":         "ci",
		"scope":                "openid",
	} {
		if form.Get(k) != want {
			t.Errorf("token exchange %s = %q, want %q", k, form.Get(k), want)
		}
	}
	if header.Get("Authorization") == "" {
		t.Error("the client did not authenticate (client_secret_basic)")
	}
	if strings.Contains(r.stderr, subject) || strings.Contains(r.stderr, c.Status.Token) || strings.Contains(r.stderr, "s3cr3t") {
		t.Errorf("-v3 shows a token or the secret:\n%s", r.stderr)
	}
	if e.launches() != 0 {
		t.Error("the token exchange opened a browser")
	}

	// Cached: no request.
	e.provider.ResetCounts()
	mustCredential(t, run())
	if n := e.provider.Count("token"); n != 0 {
		t.Errorf("a cached exchange made %d token requests", n)
	}
	// Another audience is another entry.
	mustCredential(t, run("--token-exchange-audience=cluster-b"))
	if n := len(e.cacheEntries()); n != 2 {
		t.Errorf("%d cache entries, want one per audience set (2)", n)
	}
	// A resource is sent (repeatable flags).
	mustCredential(t, run("--token-exchange-resource=https://a.example.com", "--token-cache-storage=none"))
	if form, _ := e.provider.LastTokenRequest(); form.Get("resource") != "https://a.example.com" {
		t.Errorf("resource = %q", form.Get("resource"))
	}
}

// TestTokenExchangeAgainOnExpiry: with no refresh token, an expired
// exchanged token is obtained by exchanging the subject token again,
// read again from its file (a projected token rotates).
func TestTokenExchangeAgainOnExpiry(t *testing.T) {
	ci := newCIIssuer(t)
	// Tokens issued 65 s ago that live 70 s: valid, but inside the expiry margin.
	cfg := oidcfake.Config{FederatedIssuer: ciIssuerURL, FederatedAudience: ciAudience, FederatedKeys: []crypto.PublicKey{ci.key.Public()},
		IDTokenTTL: 70 * time.Second, Now: func() time.Time { return time.Now().Add(-65 * time.Second) },
		TokenExchange: &oidcfake.TokenExchangeConfig{}}
	e := newEnv(t, cfg)
	file := filepath.Join(t.TempDir(), "token")
	args := e.args("--grant-type=token-exchange", "--token-exchange-subject-token-file="+file, "--token-exchange-subject-token-type=id-token")
	for i := range 2 {
		tok := ci.token(time.Now().Add(time.Hour))
		os.WriteFile(file, []byte(tok+"\n"), 0o600)
		mustCredential(t, e.run(args...))
		if form, _ := e.provider.LastTokenRequest(); form.Get("subject_token") != tok {
			t.Fatalf("run %d did not exchange the file's current token", i+1)
		}
	}
	if n := e.provider.TokenRequests("urn:ietf:params:oauth:grant-type:token-exchange"); n != 2 {
		t.Errorf("%d exchanges, want 2 (the first token expired)", n)
	}
	if n := e.provider.TokenRequests("refresh_token"); n != 0 {
		t.Errorf("%d refreshes, want none (no refresh token)", n)
	}
}

// TestTokenExchangeErrors: every refusal of the provider, and every flag
// mistake, is one line that says what to do, and shows no token.
func TestTokenExchangeErrors(t *testing.T) {
	ci := newCIIssuer(t)
	cfg := oidcfake.Config{FederatedIssuer: ciIssuerURL, FederatedAudience: ciAudience, FederatedKeys: []crypto.PublicKey{ci.key.Public()},
		TokenExchange: &oidcfake.TokenExchangeConfig{Audiences: []string{"cluster-a"}, SubjectTokenTypes: []string{"urn:ietf:params:oauth:token-type:jwt"}}}
	e := newEnv(t, cfg)
	noExchange := newEnv(t, oidcfake.Config{FederatedIssuer: ciIssuerURL, FederatedAudience: ciAudience, FederatedKeys: []crypto.PublicKey{ci.key.Public()}})
	good, expired := ci.token(time.Now().Add(time.Hour)), ci.token(time.Now().Add(-time.Minute))
	base := func(e *env, extra ...string) []string {
		return e.args(append([]string{"--grant-type=token-exchange", "--token-cache-storage=none"}, extra...)...)
	}
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"invalid_target", base(e, "--token-exchange-subject-token-env=T", "--token-exchange-subject-token-type=jwt", "--token-exchange-audience=cluster-z"), []string{"T=" + good},
			`error: the provider will not issue a token for the audience or resource asked for: check --token-exchange-audience, --token-exchange-resource or --request-audience, and that the provider lets this client exchange tokens for it (400 invalid_target: audience "cluster-z" is not allowed for this client)`},
		{"unsupported subject token type", base(e, "--token-exchange-subject-token-env=T", "--token-exchange-subject-token-type=access-token"), []string{"T=" + good},
			`error: the provider refused the token exchange request: check the subject token (it may have expired) and --token-exchange-subject-token-type (400 invalid_request: subject_token_type "urn:ietf:params:oauth:token-type:access_token" is not supported)`},
		{"expired subject token", base(e, "--token-exchange-subject-token-env=T", "--token-exchange-subject-token-type=jwt"), []string{"T=" + expired},
			"error: the provider refused the token exchange request: check the subject token (it may have expired) and --token-exchange-subject-token-type (400 invalid_request: invalid subject_token: go-jose/go-jose/jwt: validation failed, token is expired (exp))"},
		{"not offered", base(noExchange, "--token-exchange-subject-token-env=T"), []string{"T=" + good},
			`error: the provider does not offer the token exchange (RFC 8693) to this client: enable it at the provider (400 unsupported_grant_type: grant_type "urn:ietf:params:oauth:grant-type:token-exchange" is not supported)`},
		{"access token asked, no ID token", base(e, "--token-exchange-subject-token-env=T", "--token-exchange-subject-token-type=jwt", "--token-exchange-requested-token-type=access-token"), []string{"T=" + good},
			"error: the provider's token exchange issued no ID token: give --token-exchange-requested-token-type=id-token, or --oidc-use-access-token to give kubectl the access token (the API server must accept it)"},
		{"empty variable", base(e, "--token-exchange-subject-token-env=T"), nil,
			"error: the environment variable T (--token-exchange-subject-token-env) is empty or unset: it should hold the token to exchange"},
		{"no subject", base(e), nil,
			"error: --grant-type=token-exchange needs the token to exchange: give --token-exchange-subject-token-file, --token-exchange-subject-token-env or --token-exchange-subject-token"},
		{"two subjects", base(e, "--token-exchange-subject-token-env=T", "--token-exchange-subject-token-file=f"), nil,
			"error: give only one of --token-exchange-subject-token-file, --token-exchange-subject-token-env"},
		{"unknown type", base(e, "--token-exchange-subject-token-env=T", "--token-exchange-subject-token-type=saml"), nil,
			`error: --token-exchange-subject-token-type: unknown token type "saml": use id-token, access-token, jwt, refresh-token or a urn:ietf:params:oauth:token-type URN`},
		{"actor without type", base(e, "--token-exchange-subject-token-env=T", "--token-exchange-actor-token="+good), nil,
			"error: --token-exchange-actor-token needs --token-exchange-actor-token-type"},
		{"flags without the grant", e.args("--token-exchange-audience=cluster-a"), nil,
			"error: the --token-exchange-* flags are for --grant-type=token-exchange"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.runWith(runOpts{env: tc.env}, tc.args...)
			mustFail(t, r, tc.want)
			oneLine(t, r)
			if strings.Contains(r.stderr, good) || strings.Contains(r.stderr, expired) {
				t.Errorf("stderr shows the subject token:\n%s", r.stderr)
			}
		})
	}
}

// TestTokenExchangeInlineTokenNotShown: a subject token on the command line
// is sent, and never printed, even at -v3.
func TestTokenExchangeInlineTokenNotShown(t *testing.T) {
	ci := newCIIssuer(t)
	e := newEnv(t, oidcfake.Config{FederatedIssuer: ciIssuerURL, FederatedAudience: ciAudience, FederatedKeys: []crypto.PublicKey{ci.key.Public()},
		TokenExchange: &oidcfake.TokenExchangeConfig{}})
	tok := ci.token(time.Now().Add(time.Hour))
	r := e.getToken("--grant-type=token-exchange", "--token-exchange-subject-token="+tok, "--token-exchange-subject-token-type=jwt", "-v3")
	c := mustCredential(t, r)
	if strings.Contains(r.stderr, tok) || strings.Contains(r.stderr, c.Status.Token) {
		t.Errorf("-v3 shows a token:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "subject_token=[redacted]") {
		t.Errorf("-v3 shows no redacted exchange request:\n%s", r.stderr)
	}
}
