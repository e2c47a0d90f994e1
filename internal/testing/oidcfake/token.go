package oidcfake

import (
	"cmp"
	"crypto/subtle"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// deviceGrantType is the grant_type of RFC 8628.
const deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// refreshToken is the state of an issued refresh token.
type refreshToken struct {
	scope   string
	account string
	rotated bool // replaced by a newer token: presenting it again is a reuse
	revoked bool
}

// grant is what a token response is issued for.
type grant struct {
	scope        string
	granted      string // scope of a new refresh token; "" = scope
	nonce        string
	idToken      bool
	refreshToken string // "" = issue a new one; "-" = none
	subject      string // sub of the ID token; "" = Config.Subject
	account      string // login_hint of the authorization; "" = the configured user
}

func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "invalid_request", "the token endpoint accepts POST only")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "malformed form: "+err.Error())
		return
	}
	byAssertion := r.PostForm.Has("client_assertion") || r.PostForm.Has("client_assertion_type")
	if byAssertion && !slices.Contains(p.authMethods(), "private_key_jwt") {
		writeError(w, http.StatusUnauthorized, "invalid_client", "private_key_jwt is not among the advertised token_endpoint_auth_methods_supported")
		return
	}
	if byAssertion && !p.authenticateAssertion(w, r) || !byAssertion && !p.authenticateClient(w, r, true) {
		return
	}
	form := r.PostForm
	switch gt := form.Get("grant_type"); gt {
	case "authorization_code":
		p.authorizationCodeGrant(w, form)
	case "refresh_token":
		p.refreshTokenGrant(w, form)
	case "password":
		if pw, ok := p.cfg.Users[form.Get("username")]; !ok || pw != form.Get("password") {
			writeError(w, http.StatusBadRequest, "invalid_grant", "invalid username or password")
			return
		}
		p.issue(w, grant{scope: form.Get("scope"), idToken: hasScope(form.Get("scope"), "openid")})
	case "client_credentials":
		if p.cfg.ClientSecret == "" && !byAssertion {
			writeError(w, http.StatusBadRequest, "unauthorized_client", "client_credentials requires a confidential client")
			return
		}
		p.issue(w, grant{scope: form.Get("scope"), refreshToken: "-", idToken: p.cfg.ClientCredentialsIDToken && hasScope(form.Get("scope"), "openid"), subject: p.cfg.ClientID})
	case deviceGrantType:
		p.deviceCodeGrant(w, form)
	case tokenExchangeGrantType:
		p.tokenExchangeGrant(w, form)
	case "":
		writeError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
	default:
		writeError(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q is not supported", gt))
	}
}

// authenticateClient checks the client of a token, device or revocation
// request (RFC 6749 section 2.3.1: client_secret_basic, whose credentials are
// form-urlencoded, or client_secret_post). Unless requireSecret, a
// confidential client may omit its secret: x/oauth2 sends none to the device
// authorization endpoint. It answers the request and returns false when the
// client is not authenticated.
func (p *Provider) authenticateClient(w http.ResponseWriter, r *http.Request, requireSecret bool) bool {
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "malformed form: "+err.Error())
		return false
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	user, pass, basic := r.BasicAuth()
	fail := func(desc string) bool {
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="oidcfake"`)
		}
		writeError(w, http.StatusUnauthorized, "invalid_client", desc)
		return false
	}
	if basic {
		var err1, err2 error
		user, err1 = url.QueryUnescape(user)
		pass, err2 = url.QueryUnescape(pass)
		switch {
		case err1 != nil || err2 != nil:
			return fail("malformed client credentials in the Authorization header")
		case id != "" && id != user:
			return fail("client_id in the form differs from the Authorization header")
		case secret != "":
			writeError(w, http.StatusBadRequest, "invalid_request", "more than one client authentication method")
			return false
		}
		id, secret = user, pass
	}
	if id != p.cfg.ClientID {
		return fail(fmt.Sprintf("unknown client_id %q", id))
	}
	if p.cfg.ClientSecret == "" || secret == "" && !requireSecret {
		return true
	}
	if secret == "" {
		return fail("client authentication required")
	}
	method := "client_secret_post"
	if basic {
		method = "client_secret_basic"
	}
	if !slices.Contains(p.authMethods(), method) {
		return fail(fmt.Sprintf("%s is not among the advertised token_endpoint_auth_methods_supported %v", method, p.authMethods()))
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(p.cfg.ClientSecret)) != 1 {
		return fail("invalid client secret")
	}
	return true
}

func (p *Provider) authorizationCodeGrant(w http.ResponseWriter, form url.Values) {
	p.mu.Lock()
	c, ok := p.codes[form.Get("code")]
	delete(p.codes, form.Get("code")) // single use, even when the exchange fails
	p.mu.Unlock()
	var err error
	switch {
	case !ok:
		err = fmt.Errorf("unknown or already used code")
	case p.cfg.Now().After(c.expires):
		err = fmt.Errorf("code expired")
	case form.Get("redirect_uri") != c.redirectURI:
		err = fmt.Errorf("expected redirect_uri %q got %q", c.redirectURI, form.Get("redirect_uri"))
	default:
		err = p.verifyPKCE(c.challenge, c.challengeMethod, form.Get("code_verifier"))
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_grant", err.Error())
		return
	}
	p.issue(w, grant{scope: c.scope, nonce: c.nonce, idToken: hasScope(c.scope, "openid"), account: c.account})
}

func (p *Provider) refreshTokenGrant(w http.ResponseWriter, form url.Values) {
	f := p.currentFaults()
	if p.answerRefreshFault(w, f) {
		return
	}
	old := form.Get("refresh_token")
	p.mu.Lock()
	rt, ok := p.refresh[old]
	var desc string
	switch {
	case !ok:
		desc = "unknown refresh token"
	case rt.rotated:
		p.reuses++
		desc = "refresh token already used"
	case rt.revoked:
		desc = "refresh token revoked"
	}
	if desc != "" {
		p.mu.Unlock()
		writeError(w, http.StatusBadRequest, "invalid_grant", desc)
		return
	}
	scope := rt.scope
	if asked := form.Get("scope"); asked != "" {
		for _, s := range strings.Fields(asked) {
			if !hasScope(rt.scope, s) {
				p.mu.Unlock()
				writeError(w, http.StatusBadRequest, "invalid_scope", fmt.Sprintf("scope %q was not granted", s))
				return
			}
		}
		scope = asked
	}
	next := old
	if !p.cfg.NoRotation {
		rt.rotated = true
		next = ""
	}
	p.mu.Unlock()
	// Like real providers, refreshed ID tokens carry no nonce.
	p.issue(w, grant{scope: scope, granted: rt.scope, idToken: !f.NoIDTokenOnRefresh && hasScope(scope, "openid"), refreshToken: next, account: rt.account})
}

// issue answers with a token response for g.
func (p *Provider) issue(w http.ResponseWriter, g grant) {
	f := p.currentFaults()
	now := p.cfg.Now()
	subject := accountClaims(g.account)
	if g.subject != "" {
		subject = map[string]any{"sub": g.subject}
	}
	access, err := p.accessToken(p.cfg.ClientID, subject, now)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	resp := map[string]any{
		"access_token": access,
		"token_type":   "Bearer",
		"expires_in":   int(p.cfg.AccessTokenTTL / time.Second),
	}
	if g.scope != "" {
		resp["scope"] = g.scope
	}
	if g.idToken {
		claims := p.idTokenClaims(g.nonce, access, now, f)
		if g.subject != "" {
			claims["sub"] = g.subject
		}
		maps.Copy(claims, accountClaims(g.account))
		if aud := crossClientAudience(g.scope, p.cfg.ClientID); aud != nil && !f.WrongAudience {
			claims["aud"] = aud // Dex's cross-client trust
		}
		idToken, err := p.signIDToken(claims, f)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "server_error", err.Error())
			return
		}
		resp["id_token"] = idToken
	}
	p.mu.Lock()
	p.access[access] = now.Add(p.cfg.AccessTokenTTL)
	switch g.refreshToken {
	case "-":
	case "":
		rt := randomString(32)
		p.refresh[rt] = &refreshToken{scope: cmp.Or(g.granted, g.scope), account: g.account}
		resp["refresh_token"] = rt
	default:
		resp["refresh_token"] = g.refreshToken
	}
	p.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

// idTokenClaims returns the claims of an ID token issued at now, per the
// faults.
func (p *Provider) idTokenClaims(nonce, accessToken string, now time.Time, f Faults) map[string]any {
	claims := p.userClaims()
	claims["iss"] = p.issuer
	claims["aud"] = p.cfg.ClientID
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(p.cfg.IDTokenTTL).Unix()
	claims["at_hash"] = atHash(accessToken)
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if f.WrongIssuer {
		claims["iss"] = p.issuer + "/evil"
	}
	if f.WrongAudience {
		claims["aud"] = "someone-else"
	}
	if f.WrongNonce {
		claims["nonce"] = "wrong"
	}
	if f.ExpiredIDToken {
		claims["iat"] = now.Add(-2 * time.Hour).Unix()
		claims["exp"] = now.Add(-time.Hour).Unix()
	}
	return claims
}

// hasScope reports whether the space-separated scopes hold s.
func hasScope(scopes, s string) bool {
	return slices.Contains(strings.Fields(scopes), s)
}

// userClaims returns the claims about the user, as in ID tokens and userinfo.
func (p *Provider) userClaims() map[string]any {
	name, _, _ := strings.Cut(p.cfg.Email, "@")
	claims := map[string]any{
		"sub":            p.cfg.Subject,
		"email":          p.cfg.Email,
		"email_verified": true,
		"name":           name,
	}
	if len(p.cfg.Groups) > 0 {
		claims["groups"] = p.cfg.Groups
	}
	return claims
}
