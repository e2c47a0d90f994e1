package oidcfake

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// codeTTL is the lifetime of authorization codes.
const codeTTL = time.Minute

// authCode is an issued authorization code.
type authCode struct {
	clientID, redirectURI, scope, nonce string
	challenge, challengeMethod          string
	account                             string // login_hint: see accountClaims
	expires                             time.Time
}

func (p *Provider) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	issuer := p.issuer
	if f := p.currentFaults(); f.DiscoveryIssuer != "" {
		issuer = f.DiscoveryIssuer
	}
	doc := map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                p.issuer + "/authorize",
		"token_endpoint":                        p.issuer + "/token",
		"jwks_uri":                              p.issuer + "/keys",
		"userinfo_endpoint":                     p.issuer + "/userinfo",
		"device_authorization_endpoint":         p.issuer + "/device/code",
		"revocation_endpoint":                   p.issuer + "/revoke",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "profile", "groups", "offline_access"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"grant_types_supported": []string{"authorization_code", "refresh_token", "password",
			"client_credentials", "urn:ietf:params:oauth:grant-type:device_code"},
		"claims_supported": []string{"iss", "sub", "aud", "exp", "iat", "nonce", "at_hash",
			"email", "email_verified", "groups", "name"},
	}
	if len(p.cfg.PKCEMethods) > 0 {
		doc["code_challenge_methods_supported"] = p.cfg.PKCEMethods
	}
	doc["token_endpoint_auth_methods_supported"] = p.authMethods()
	if len(p.cfg.ClientAssertionKeys) > 0 || p.cfg.FederatedIssuer != "" {
		doc["token_endpoint_auth_signing_alg_values_supported"] = assertionAlgs
	}
	if !p.cfg.NoIssParameter {
		doc["authorization_response_iss_parameter_supported"] = true
	}
	if p.advertisesTokenExchange() {
		doc["grant_types_supported"] = append(doc["grant_types_supported"].([]string), tokenExchangeGrantType)
	}
	w.Header().Set("Cache-Control", "max-age=3600")
	writeJSON(w, http.StatusOK, doc)
}

// handleAuthorize auto-approves a valid authorization request and redirects
// to its redirect_uri with a code. Requests whose client or redirect URI is
// wrong get a 400 page instead of a redirect (RFC 6749 section 4.1.2.1).
func (p *Provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		htmlError(w, "malformed request: "+err.Error())
		return
	}
	q := r.Form
	p.mu.Lock()
	p.lastAuth = cloneValues(q)
	p.mu.Unlock()

	if got := q.Get("client_id"); got != p.cfg.ClientID {
		htmlError(w, fmt.Sprintf("unknown client_id %q", got))
		return
	}
	redirectURI := q.Get("redirect_uri")
	oob := redirectURI == OOBRedirectURI
	redirect, err := p.registeredRedirect(redirectURI)
	if err != nil {
		htmlError(w, err.Error())
		return
	}
	state := q.Get("state")
	f := p.currentFaults()
	fail := func(code, desc string) {
		if oob {
			htmlError(w, code+": "+desc)
			return
		}
		redirectTo(w, r, redirect, p.withIss(url.Values{"error": {code}, "error_description": {desc}, "state": {state}}, f))
	}
	switch {
	case f.AuthError != "":
		fail(f.AuthError, "injected fault")
		return
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", fmt.Sprintf("expected response_type %q got %q", "code", q.Get("response_type")))
		return
	case state == "":
		fail("invalid_request", "state is required")
		return
	}
	challenge, method, err := p.pkce(q)
	if err != nil {
		fail("invalid_request", err.Error())
		return
	}
	code := randomString(24)
	p.mu.Lock()
	p.codes[code] = &authCode{
		clientID:        p.cfg.ClientID,
		redirectURI:     redirectURI,
		scope:           q.Get("scope"),
		nonce:           q.Get("nonce"),
		challenge:       challenge,
		challengeMethod: method,
		account:         q.Get("login_hint"),
		expires:         p.cfg.Now().Add(codeTTL),
	}
	p.mu.Unlock()
	if oob {
		// Like Dex and Keycloak: a page showing the code to copy.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintf(w, "<!DOCTYPE html><html><body><h1>Login successful</h1><p>Copy this code into your terminal:</p><code id=\"code\">%s</code></body></html>\n", html.EscapeString(code))
		return
	}
	redirectTo(w, r, redirect, p.withIss(url.Values{"code": {code}, "state": {state}}, f))
}

// withIss adds iss to the parameters of an authorization response (RFC 9207
// section 2), per Config.NoIssParameter and the faults.
func (p *Provider) withIss(params url.Values, f Faults) url.Values {
	switch {
	case f.AuthResponseIss != "":
		params.Set("iss", f.AuthResponseIss)
	case f.NoAuthResponseIss, p.cfg.NoIssParameter:
	default:
		params.Set("iss", p.issuer)
	}
	return params
}

// authMethods returns token_endpoint_auth_methods_supported.
func (p *Provider) authMethods() []string {
	switch {
	case p.cfg.TokenEndpointAuthMethods != nil:
		return p.cfg.TokenEndpointAuthMethods
	case len(p.cfg.ClientAssertionKeys) > 0 || p.cfg.FederatedIssuer != "":
		return []string{"client_secret_basic", "client_secret_post", "private_key_jwt"}
	}
	return []string{"client_secret_basic", "client_secret_post"}
}

// OOBRedirectURI is the out-of-band redirect URI: the authorization endpoint
// answers it with a page showing the code (in an element with id "code")
// instead of a redirect.
const OOBRedirectURI = "urn:ietf:wg:oauth:2.0:oob"

// pkce returns the code challenge and its method from an authorization or
// device request. A provider that advertises no method ignores PKCE
// parameters, as providers without PKCE support do.
func (p *Provider) pkce(q url.Values) (challenge, method string, err error) {
	challenge, method = q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "" && p.cfg.RequirePKCE:
		return "", "", fmt.Errorf("code_challenge is required")
	case challenge == "" || len(p.cfg.PKCEMethods) == 0:
		return "", "", nil
	}
	if method == "" {
		method = "plain" // RFC 7636 section 4.3
	}
	if !slices.Contains(p.cfg.PKCEMethods, method) {
		return "", "", fmt.Errorf("code_challenge_method %q is not supported", method)
	}
	return challenge, method, nil
}

// verifyPKCE checks the code_verifier of a token request against the
// challenge of the grant.
func (p *Provider) verifyPKCE(challenge, method, verifier string) error {
	switch {
	case challenge == "" && verifier != "" && len(p.cfg.PKCEMethods) > 0:
		return fmt.Errorf("code_verifier sent but no code_challenge was")
	case challenge == "":
		return nil
	case verifier == "":
		return fmt.Errorf("code_verifier is required")
	case method == "S256" && s256(verifier) != challenge,
		method == "plain" && verifier != challenge:
		return fmt.Errorf("code_verifier does not match code_challenge")
	}
	return nil
}

// s256 returns BASE64URL(SHA256(verifier)), unpadded.
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// registeredRedirect parses a redirect URI and checks that the client may
// use it (see Config.RedirectURIs). The out-of-band URI returns nil.
func (p *Provider) registeredRedirect(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("redirect_uri is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid redirect_uri: %w", err)
	}
	if u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("redirect_uri must not have a fragment or user info")
	}
	if p.cfg.RedirectURIs == nil { // Dex: a public client without registered URIs
		switch {
		case raw == OOBRedirectURI:
			return nil, nil
		case u.Scheme == "http" && isLoopback(u.Hostname()):
			return u, nil
		}
		return nil, fmt.Errorf("unregistered redirect_uri %q: this public client may use only %s or http on localhost, 127.0.0.1 or [::1]", raw, OOBRedirectURI)
	}
	for _, reg := range p.cfg.RedirectURIs {
		if raw == reg || loopbackPortMatch(reg, u) {
			if raw == OOBRedirectURI {
				return nil, nil
			}
			return u, nil
		}
	}
	return nil, fmt.Errorf("unregistered redirect_uri %q for client %q", raw, p.cfg.ClientID)
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// loopbackPortMatch reports whether u is the registered http loopback URI
// reg, which has no port, with any port (RFC 8252 section 7.3; Keycloak's
// rule).
func loopbackPortMatch(reg string, u *url.URL) bool {
	r, err := url.Parse(reg)
	if err != nil || r.Scheme != "http" || u.Scheme != "http" || r.Port() != "" ||
		r.Hostname() != u.Hostname() || !isLoopback(r.Hostname()) {
		return false
	}
	return r.EscapedPath() == u.EscapedPath() && r.RawQuery == u.RawQuery
}

// redirectTo redirects to u with params added to its query.
func redirectTo(w http.ResponseWriter, r *http.Request, u *url.URL, params url.Values) {
	target := *u
	q := target.Query()
	for k, v := range params {
		q[k] = v
	}
	target.RawQuery = q.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// htmlError answers 400 with an HTML page, as providers do for requests they
// cannot redirect back.
func htmlError(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, "<!DOCTYPE html><html><body><h1>Bad request</h1><p>%s</p></body></html>\n", html.EscapeString(msg))
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with an OAuth 2.0 error (RFC 6749 section 5.2).
func writeError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// randomString returns n random bytes, base64url-encoded.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
