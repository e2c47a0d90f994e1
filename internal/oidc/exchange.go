package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/kubelogin/kubelogin/internal/token"
)

// TokenExchangeGrantType is the grant_type of the token exchange (RFC 8693).
const TokenExchangeGrantType = "urn:ietf:params:oauth:grant-type:token-exchange"

// Token type identifiers (RFC 8693 section 3).
const (
	TokenTypeAccessToken  = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeRefreshToken = "urn:ietf:params:oauth:token-type:refresh_token"
	TokenTypeIDToken      = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeJWT          = "urn:ietf:params:oauth:token-type:jwt"
)

// tokenTypes maps the short forms of the command line to the identifiers.
var tokenTypes = map[string]string{
	"access-token":  TokenTypeAccessToken,
	"refresh-token": TokenTypeRefreshToken,
	"id-token":      TokenTypeIDToken,
	"jwt":           TokenTypeJWT,
}

// TokenType returns the identifier of a token type given by its short form
// (id-token, access-token, jwt, refresh-token) or as a URN; "" stays "".
func TokenType(s string) (string, error) {
	if s == "" || strings.HasPrefix(s, "urn:") {
		return s, nil
	}
	if t, ok := tokenTypes[s]; ok {
		return t, nil
	}
	return "", fmt.Errorf("unknown token type %q: use id-token, access-token, jwt, refresh-token or a urn:ietf:params:oauth:token-type URN", s)
}

// SupportsTokenExchange reports whether the provider's discovery document
// lists the token exchange among its grant_types_supported.
func (c *Client) SupportsTokenExchange(ctx context.Context) (bool, error) {
	m, err := c.Metadata(ctx)
	if err != nil {
		return false, err
	}
	return slices.Contains(m.GrantTypesSupported, TokenExchangeGrantType), nil
}

// Exchange is one token exchange request (RFC 8693 section 2.1).
type Exchange struct {
	SubjectToken     token.Secret
	SubjectTokenType string // an identifier, see TokenType
	ActorToken       token.Secret
	ActorTokenType   string
	// RequestedTokenType is "" to let the provider choose.
	RequestedTokenType string
	// Audiences and Resources name where the token will be used; an ID
	// token issued for an audience must name it in its aud claim.
	Audiences []string
	Resources []string
	// Assertion authenticates the client when not nil, else its secret.
	Assertion Assertion
}

// ExchangeToken runs a token exchange. The issued token (access_token in the
// answer, whatever its type) is the ID token when issued_token_type says so;
// an ID token is verified (signature, issuer, expiry, and the audiences
// asked for, or else the client ID). requireIDToken makes an answer without
// one fail with ErrNoIDToken. The client's scopes and extra parameters (such
// as Dex's connector_id) are sent too; login_hint is not.
func (c *Client) ExchangeToken(ctx context.Context, x Exchange, requireIDToken bool) (*token.Set, error) {
	s, err := c.exchange(ctx, x)
	if err != nil {
		return nil, err
	}
	if s.IDToken == "" {
		if requireIDToken {
			return nil, ErrNoIDToken
		}
		return s, nil
	}
	if err := c.verifyFor(ctx, s.IDToken, x.Audiences); err != nil {
		return nil, err
	}
	return s, nil
}

// exchange sends the token exchange request and returns the answer's
// tokens, unverified.
func (c *Client) exchange(ctx context.Context, x Exchange) (*token.Set, error) {
	m, err := c.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	form := url.Values{}
	for k, v := range c.cfg.ExtraParams {
		if k != "login_hint" {
			form.Set(k, v)
		}
	}
	form.Set("grant_type", TokenExchangeGrantType)
	form.Set("subject_token", x.SubjectToken.Reveal())
	form.Set("subject_token_type", x.SubjectTokenType)
	form.Set("scope", strings.Join(c.cfg.Scopes(), " "))
	if x.ActorToken != "" {
		form.Set("actor_token", x.ActorToken.Reveal())
		form.Set("actor_token_type", x.ActorTokenType)
	}
	if x.RequestedTokenType != "" {
		form.Set("requested_token_type", x.RequestedTokenType)
	}
	for _, a := range x.Audiences {
		form.Add("audience", a)
	}
	for _, r := range x.Resources {
		form.Add("resource", r)
	}
	if x.Assertion != nil {
		jwt, err := x.Assertion(m.TokenEndpoint)
		if err != nil {
			return nil, err
		}
		form.Set("client_assertion_type", ClientAssertionType)
		form.Set("client_assertion", jwt)
	}
	var r exchangeAnswer
	if err := c.postForm(ctx, m, m.TokenEndpoint, form, &r); err != nil {
		return nil, explainExchange(err, x, c.cfg.ClientID)
	}
	if r.AccessToken == "" {
		return nil, errors.New("the provider's token exchange answer has no access_token (the issued token)")
	}
	return r.set(c.cfg.Now()), nil
}

// RefreshForAudience redeems a refresh token for an ID token whose audience
// is aud, with Dex's cross-client scope audience:server:client_id:<aud>
// added to the client's scopes (the login must have been granted it). The
// ID token must name aud in its aud claim.
func (c *Client) RefreshForAudience(ctx context.Context, refreshToken token.Secret, aud string) (*token.Set, error) {
	m, err := c.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken.Reveal()},
		"scope":         {strings.Join(scopesFor(c.cfg.Scopes(), aud), " ")},
	}
	var r exchangeAnswer
	if err := c.postForm(ctx, m, m.TokenEndpoint, form, &r); err != nil {
		return nil, fmt.Errorf("refresh the token for audience %s: %w", aud, err)
	}
	s := r.set(c.cfg.Now())
	if s.RefreshToken == "" {
		s.RefreshToken = refreshToken.Reveal() // RFC 6749 6: the old one stays valid
	}
	if s.IDToken == "" {
		return nil, ErrNoIDToken
	}
	if err := c.verifyFor(ctx, s.IDToken, []string{aud}); err != nil {
		return nil, err
	}
	return s, nil
}

// scopesFor returns scopes with aud's cross-client scope as the only one:
// the login may have been granted those of every cluster, and a token for
// one cluster must not name another.
func scopesFor(scopes []string, aud string) []string {
	var out []string
	for _, s := range scopes {
		if !strings.HasPrefix(s, crossClientPrefix) {
			out = append(out, s)
		}
	}
	return append(out, CrossClientScope(aud))
}

const crossClientPrefix = "audience:server:client_id:"

// CrossClientScope is Dex's scope asking for an ID token issued to the peer
// client aud (its staticClients entry lists ours in trustedPeers).
func CrossClientScope(aud string) string { return crossClientPrefix + aud }

// exchangeAnswer is a token response, of the token exchange or any grant.
type exchangeAnswer struct {
	AccessToken     string      `json:"access_token"`
	IssuedTokenType string      `json:"issued_token_type"`
	RefreshToken    string      `json:"refresh_token"`
	ExpiresIn       json.Number `json:"expires_in"`
	IDToken         string      `json:"id_token"`
}

func (r exchangeAnswer) set(now time.Time) *token.Set {
	s := &token.Set{AccessToken: r.AccessToken, RefreshToken: r.RefreshToken, IDToken: r.IDToken, ObtainedAt: now}
	if r.IssuedTokenType == TokenTypeIDToken {
		s.IDToken = r.AccessToken // RFC 8693 2.2.1: the issued token is in access_token
	}
	if secs, err := r.ExpiresIn.Int64(); err == nil && secs > 0 {
		s.AccessTokenExpiry = now.Add(time.Duration(secs) * time.Second)
	}
	return s
}

// verifyFor verifies an ID token issued for the audiences (all must be in
// its aud claim), or for the client when there are none.
func (c *Client) verifyFor(ctx context.Context, raw string, audiences []string) error {
	if len(audiences) == 0 {
		return c.VerifyIDToken(ctx, raw, "")
	}
	idt, err := c.verifyJWT(ctx, raw)
	if err != nil {
		return fmt.Errorf("the provider's ID token failed verification (%w); check --oidc-issuer-url and this machine's clock", err)
	}
	for _, a := range audiences {
		if !slices.Contains(idt.Audience, a) {
			return fmt.Errorf("the provider's ID token is not for audience %s (its aud is %s): the provider did not honour the audience asked for", a, strings.Join(idt.Audience, ", "))
		}
	}
	return nil
}

// verifyJWT verifies a JWT of the issuer whatever its audience: its
// signature with the issuer's keys and the discovery's algorithms, its iss
// and its exp. The caller checks aud.
func (c *Client) verifyJWT(ctx context.Context, raw string) (*gooidc.IDToken, error) {
	if _, err := c.Metadata(ctx); err != nil {
		return nil, err
	}
	v := gooidc.NewVerifier(c.cfg.IssuerURL, c.keys, &gooidc.Config{
		SkipClientIDCheck:    true,
		Now:                  c.cfg.Now,
		SupportedSigningAlgs: c.meta.IDTokenSigningAlgs,
	})
	return v.Verify(c.ctx(ctx), raw)
}

// explainExchange says in one line what a refused token exchange means. x
// and clientID name the audiences and the client in the lines of Keycloak's
// refusals, which are told apart by their descriptions.
func explainExchange(err error, x Exchange, clientID string) error {
	var te *TokenError
	if !errors.As(err, &te) {
		return fmt.Errorf("exchange the token: %w", err)
	}
	aud := "the audience asked for"
	if len(x.Audiences) > 0 {
		aud = "audience " + strings.Join(x.Audiences, ", ")
	}
	desc := strings.ToLower(te.Description)
	var what string
	switch {
	case te.Code == "invalid_client" && strings.Contains(desc, "audience not found"):
		what = fmt.Sprintf("%s is not a client of the provider (Keycloak: of the realm): check --request-audience or the cluster's audience (--token-exchange-audience with --grant-type=token-exchange)", aud)
	case te.Code == "invalid_request" && strings.Contains(desc, "requested audience not available"):
		what = fmt.Sprintf("the provider does not let client %s exchange tokens for %s: add an audience mapper for it to the client at the provider (Keycloak: in the client's dedicated scope)", clientID, aud)
	case te.Code == "access_denied":
		what = fmt.Sprintf("the provider does not let client %s exchange this token: the token must name the client in its aud (Keycloak: an audience mapper for the client itself) and the client must be allowed the token exchange", clientID)
	case te.Code == "invalid_target":
		what = "the provider will not issue a token for the audience or resource asked for: check --token-exchange-audience, --token-exchange-resource or --request-audience, and that the provider lets this client exchange tokens for it"
	case te.Code == "invalid_request":
		what = "the provider refused the token exchange request: check the subject token (it may have expired) and --token-exchange-subject-token-type"
	case te.Code == "unsupported_token_type":
		what = "the provider does not accept this token type: check --token-exchange-subject-token-type, --token-exchange-actor-token-type and --token-exchange-requested-token-type"
	case te.Code == "unsupported_grant_type":
		what = "the provider does not offer the token exchange (RFC 8693) to this client: enable it at the provider"
	case te.Code == "invalid_grant", te.Code == "invalid_token":
		what = "the provider rejected the subject token: it may have expired, or come from an issuer the provider does not trust"
	case te.Code == "invalid_client", te.Code == "unauthorized_client":
		what = "the provider rejected the client for the token exchange: check --oidc-client-secret or the client assertion, and that the client may exchange tokens"
	default:
		return fmt.Errorf("exchange the token: %w", err)
	}
	return &exchangeError{msg: fmt.Sprintf("%s (%s)", what, brief(te)), err: err}
}

// exchangeError says what a refused exchange means; it unwraps to the
// provider's answer.
type exchangeError struct {
	msg string
	err error
}

func (e *exchangeError) Error() string { return e.msg }
func (e *exchangeError) Unwrap() error { return e.err }

// brief is the status and the OAuth error of an answer, on one line.
func brief(te *TokenError) string {
	s := fmt.Sprintf("%d %s", te.Status, te.Code)
	if te.Description != "" {
		s += ": " + oneLineText(te.Description)
	}
	return s
}

// oneLineText keeps a provider's description on one short line.
func oneLineText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
