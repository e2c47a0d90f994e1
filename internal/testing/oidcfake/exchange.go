package oidcfake

import (
	"crypto"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// Token exchange identifiers (RFC 8693).
const (
	tokenExchangeGrantType = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeAccess        = "urn:ietf:params:oauth:token-type:access_token"
	tokenTypeID            = "urn:ietf:params:oauth:token-type:id_token"
	tokenTypeJWT           = "urn:ietf:params:oauth:token-type:jwt"
	tokenTypeRefresh       = "urn:ietf:params:oauth:token-type:refresh_token"
)

// TokenExchangeConfig enables the token exchange grant (RFC 8693) and lists
// it in grant_types_supported. A subject (or actor) token is accepted when
// it is an unexpired access token or ID token this provider issued, or a JWT
// of Config.FederatedIssuer (aud holding Config.FederatedAudience, signed by
// one of Config.FederatedKeys): a CI job's or a service account's token.
// Like Keycloak and Dex, a refused request is invalid_request, an audience
// or resource not allowed is invalid_target. By default the issued access
// token is opaque, and an ID token asked for names the audiences in its aud;
// AudienceOnAccessToken turns it into Keycloak's standard token exchange.
type TokenExchangeConfig struct {
	// Audiences and Resources are those a token may be issued for; any other
	// is invalid_target.
	Audiences []string
	Resources []string
	// SubjectTokenTypes are accepted; nil means access_token, id_token and jwt.
	SubjectTokenTypes []string
	// RefreshToken issues a refresh token with exchanged tokens (most
	// providers issue none).
	RefreshToken bool
	// Unadvertised keeps the grant out of grant_types_supported while still
	// serving it.
	Unadvertised bool
	// AudienceOnAccessToken behaves as Keycloak 26's standard token exchange
	// (measured on 26.4.7): every access token the provider issues, at a
	// login as by the exchange, is a JWT signed with the provider's keys
	// (iss, sub and the subject's claims, aud, azp = the client, iat, exp =
	// now + AccessTokenTTL), accepted wherever its access tokens are; the
	// exchange puts the audience asked for on the access token only (aud, a
	// string for one) and issues no ID token beside it, while an ID token
	// asked for keeps aud = the client ID; an audience not in Audiences is
	// 400 invalid_client "Audience not found". A login's access token has
	// aud = the client ID.
	AudienceOnAccessToken bool
}

// keycloak reports whether the exchange behaves as Keycloak's standard
// token exchange (TokenExchangeConfig.AudienceOnAccessToken).
func (p *Provider) keycloak() bool {
	return p.cfg.TokenExchange != nil && p.cfg.TokenExchange.AudienceOnAccessToken
}

// accessToken returns a new access token for aud with the subject's claims
// (nil: the configured user's): an opaque string, or a JWT as Keycloak's
// (AudienceOnAccessToken). It is signed well whatever the faults, which are
// about ID tokens.
func (p *Provider) accessToken(aud any, subject map[string]any, now time.Time) (string, error) {
	if !p.keycloak() {
		return randomString(24), nil
	}
	claims := p.userClaims()
	maps.Copy(claims, subject)
	claims["iss"], claims["aud"], claims["azp"], claims["typ"] = p.issuer, aud, p.cfg.ClientID, "Bearer"
	claims["iat"], claims["exp"], claims["jti"] = now.Unix(), now.Add(p.cfg.AccessTokenTTL).Unix(), randomString(12)
	return p.signIDToken(claims, Faults{})
}

// advertisesTokenExchange tells discovery whether to list the grant.
func (p *Provider) advertisesTokenExchange() bool {
	return p.cfg.TokenExchange != nil && !p.cfg.TokenExchange.Unadvertised
}

// tokenExchangeGrant answers a token exchange request (RFC 8693 section 2).
func (p *Provider) tokenExchangeGrant(w http.ResponseWriter, form url.Values) {
	x := p.cfg.TokenExchange
	if x == nil {
		writeError(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q is not supported", tokenExchangeGrantType))
		return
	}
	subjectTypes := x.SubjectTokenTypes
	if subjectTypes == nil {
		subjectTypes = []string{tokenTypeAccess, tokenTypeID, tokenTypeJWT}
	}
	st, stt := form.Get("subject_token"), form.Get("subject_token_type")
	switch {
	case st == "" || stt == "":
		writeError(w, http.StatusBadRequest, "invalid_request", "subject_token and subject_token_type are required")
		return
	case !slices.Contains(subjectTypes, stt):
		writeError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("subject_token_type %q is not supported", stt))
		return
	}
	subject, err := p.exchangeSubject(st, stt)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "invalid subject_token: "+err.Error())
		return
	}
	if at := form.Get("actor_token"); at != "" || form.Has("actor_token_type") {
		if _, err := p.exchangeSubject(at, form.Get("actor_token_type")); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request", "invalid actor_token: "+err.Error())
			return
		}
	}
	audiences := form["audience"]
	for _, a := range audiences {
		switch {
		case slices.Contains(x.Audiences, a):
		case x.AudienceOnAccessToken:
			writeError(w, http.StatusBadRequest, "invalid_client", "Audience not found")
			return
		default:
			writeError(w, http.StatusBadRequest, "invalid_target", fmt.Sprintf("audience %q is not allowed for this client", a))
			return
		}
	}
	for _, r := range form["resource"] {
		if !slices.Contains(x.Resources, r) {
			writeError(w, http.StatusBadRequest, "invalid_target", fmt.Sprintf("resource %q is not allowed for this client", r))
			return
		}
	}
	requested := orDefault(form.Get("requested_token_type"), tokenTypeAccess)
	if requested != tokenTypeAccess && requested != tokenTypeID {
		writeError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("requested_token_type %q is not supported", requested))
		return
	}
	f := p.currentFaults()
	now := p.cfg.Now()
	var aud any = p.cfg.ClientID
	switch {
	case len(audiences) == 1:
		aud = audiences[0]
	case len(audiences) > 1:
		aud = audiences
	}
	access, err := p.accessToken(aud, subject, now)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	resp := map[string]any{
		"access_token":      access,
		"issued_token_type": tokenTypeAccess,
		"token_type":        "Bearer",
		"expires_in":        int(p.cfg.AccessTokenTTL / time.Second),
	}
	if requested == tokenTypeID && !f.NoIDTokenExchange {
		claims := p.idTokenClaims("", access, now, f)
		maps.Copy(claims, subject)
		delete(claims, "at_hash")
		if !f.WrongAudience && !x.AudienceOnAccessToken {
			claims["aud"] = aud
		}
		idToken, err := p.signIDToken(claims, f)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "server_error", err.Error())
			return
		}
		resp["access_token"], resp["issued_token_type"], resp["token_type"] = idToken, tokenTypeID, "N_A"
		resp["expires_in"] = int(p.cfg.IDTokenTTL / time.Second)
	}
	p.mu.Lock()
	p.access[access] = now.Add(p.cfg.AccessTokenTTL)
	if x.RefreshToken {
		rt := randomString(32)
		p.refresh[rt] = &refreshToken{scope: form.Get("scope")}
		resp["refresh_token"] = rt
	}
	p.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// exchangeSubject checks a subject or actor token of the given type and
// returns the claims it gives the issued token (sub).
func (p *Provider) exchangeSubject(tok, typ string) (map[string]any, error) {
	now := p.cfg.Now()
	switch typ {
	case tokenTypeAccess:
		p.mu.Lock()
		exp, ok := p.access[tok]
		p.mu.Unlock()
		if ok {
			if now.After(exp) {
				return nil, fmt.Errorf("access token expired")
			}
			return map[string]any{"sub": p.cfg.Subject}, nil
		}
		if strings.Count(tok, ".") != 2 || p.keycloak() { // its access tokens are all in p.access
			return nil, fmt.Errorf("unknown access token")
		}
	case tokenTypeID:
		if p.keycloak() {
			return nil, fmt.Errorf("invalid token: only access tokens are exchanged") // as Keycloak
		}
	case tokenTypeJWT:
	case tokenTypeRefresh:
		return nil, fmt.Errorf("refresh tokens cannot be exchanged here")
	default:
		return nil, fmt.Errorf("unknown token type %q", typ)
	}
	parsed, err := jwt.ParseSigned(tok, assertionAlgs)
	if err != nil {
		return nil, fmt.Errorf("not a signed JWT")
	}
	var unverified jwt.Claims
	if err := parsed.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, fmt.Errorf("claims: %v", err)
	}
	var claims jwt.Claims
	var want jwt.Expected
	switch {
	case unverified.Issuer == p.issuer:
		keys := p.keys.public()
		if parsed.Claims(&keys, &claims) != nil {
			return nil, fmt.Errorf("signature does not verify")
		}
		want = jwt.Expected{Issuer: p.issuer}
	case p.cfg.FederatedIssuer != "" && unverified.Issuer == p.cfg.FederatedIssuer:
		if !slices.ContainsFunc(p.cfg.FederatedKeys, func(k crypto.PublicKey) bool { return parsed.Claims(k, &claims) == nil }) {
			return nil, fmt.Errorf("signature does not verify")
		}
		want = jwt.Expected{Issuer: p.cfg.FederatedIssuer, AnyAudience: jwt.Audience{p.cfg.FederatedAudience}}
	default:
		return nil, fmt.Errorf("issuer %q is not trusted", unverified.Issuer)
	}
	want.Time = now
	if err := claims.ValidateWithLeeway(want, 0); err != nil {
		return nil, err
	}
	if claims.Expiry == nil {
		return nil, fmt.Errorf("no exp")
	}
	return map[string]any{"sub": claims.Subject}, nil
}

// crossClientAudience is the aud of an ID token issued for scope, as Dex
// computes it (server/oauth2.go getAudience): the peers named by
// audience:server:client_id:<peer> scopes, then the client itself; nil when
// scope names no peer.
func crossClientAudience(scope, clientID string) []string {
	var aud []string
	for _, s := range strings.Fields(scope) {
		if peer, ok := strings.CutPrefix(s, "audience:server:client_id:"); ok {
			aud = append(aud, peer)
		}
	}
	if aud != nil && !slices.Contains(aud, clientID) {
		aud = append(aud, clientID)
	}
	return aud
}
