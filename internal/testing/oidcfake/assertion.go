package oidcfake

import (
	"crypto"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// jwtBearer is the client_assertion_type of RFC 7523 section 2.2.
const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionAlgs are the signature algorithms accepted in client assertions.
var assertionAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512, jose.ES256, jose.ES384, jose.ES512}

// authenticateAssertion authenticates the client of a token request by its
// client assertion: private_key_jwt when the assertion's iss is the client
// ID, federated credentials when it is Config.FederatedIssuer. It answers the
// request and returns false when the client is not authenticated.
func (p *Provider) authenticateAssertion(w http.ResponseWriter, r *http.Request) bool {
	form := r.PostForm
	fail := func(format string, a ...any) bool {
		writeError(w, http.StatusUnauthorized, "invalid_client", fmt.Sprintf(format, a...))
		return false
	}
	if _, _, basic := r.BasicAuth(); basic || form.Get("client_secret") != "" {
		writeError(w, http.StatusBadRequest, "invalid_request", "more than one client authentication method")
		return false
	}
	if t := form.Get("client_assertion_type"); t != jwtBearer {
		return fail("unsupported client_assertion_type %q", t)
	}
	if id := form.Get("client_id"); id != "" && id != p.cfg.ClientID {
		return fail("unknown client_id %q", id)
	}
	tok, err := jwt.ParseSigned(form.Get("client_assertion"), assertionAlgs)
	if err != nil {
		return fail("client assertion is not a signed JWT: %v", err)
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return fail("client assertion claims: %v", err)
	}
	var keys []crypto.PublicKey
	var want jwt.Expected
	federated := false
	switch {
	case unverified.Issuer == p.cfg.ClientID && len(p.cfg.ClientAssertionKeys) > 0:
		keys = p.cfg.ClientAssertionKeys
		want = jwt.Expected{Issuer: p.cfg.ClientID, Subject: p.cfg.ClientID,
			AnyAudience: jwt.Audience{p.issuer + "/token", p.issuer}}
	case p.cfg.FederatedIssuer != "" && unverified.Issuer == p.cfg.FederatedIssuer:
		keys, federated = p.cfg.FederatedKeys, true
		want = jwt.Expected{Issuer: p.cfg.FederatedIssuer, AnyAudience: jwt.Audience{p.cfg.FederatedAudience}}
	default:
		return fail("client assertion from an unknown issuer %q", unverified.Issuer)
	}
	var claims jwt.Claims
	verified := slices.ContainsFunc(keys, func(k crypto.PublicKey) bool {
		return tok.Claims(k, &claims) == nil
	})
	if !verified {
		return fail("client assertion signature does not verify")
	}
	want.Time = p.cfg.Now()
	if err := claims.ValidateWithLeeway(want, 0); err != nil {
		return fail("client assertion rejected: %v", err)
	}
	if claims.Expiry == nil {
		return fail("client assertion has no exp")
	}
	if federated {
		return true
	}
	if claims.ID == "" {
		return fail("client assertion has no jti")
	}
	if exp := claims.Expiry.Time(); exp.Sub(p.cfg.Now()) > time.Hour {
		return fail("client assertion lives too long (exp %s)", exp.UTC().Format(time.RFC3339))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.assertionIDs[claims.ID] {
		return fail("client assertion replayed (jti %q already used)", claims.ID)
	}
	p.assertionIDs[claims.ID] = true
	return true
}
