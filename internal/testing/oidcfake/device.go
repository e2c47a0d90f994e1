package oidcfake

import (
	"crypto/rand"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// deviceAuth is a pending device authorization (RFC 8628).
type deviceAuth struct {
	userCode                   string
	scope                      string
	challenge, challengeMethod string
	expires                    time.Time
	lastPoll                   time.Time
	polls                      int
	approved                   bool
}

// handleDeviceCode starts a device authorization.
func (p *Provider) handleDeviceCode(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "invalid_request", "the device authorization endpoint accepts POST only")
		return
	}
	_ = r.ParseForm() // authenticateClient reports a malformed form
	p.mu.Lock()
	p.lastDevice = cloneValues(r.PostForm)
	p.mu.Unlock()
	if !p.authenticateClient(w, r, false) {
		return
	}
	challenge, method, err := p.pkce(r.PostForm)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	deviceCode, userCode := randomString(32), newUserCode()
	p.mu.Lock()
	p.devices[deviceCode] = &deviceAuth{
		userCode:        userCode,
		scope:           r.PostForm.Get("scope"),
		challenge:       challenge,
		challengeMethod: method,
		expires:         p.cfg.Now().Add(p.cfg.DeviceCodeTTL),
	}
	p.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code":               deviceCode,
		"user_code":                 userCode,
		"verification_uri":          p.issuer + "/device",
		"verification_uri_complete": p.issuer + "/device?" + url.Values{"user_code": {userCode}}.Encode(),
		"expires_in":                int(p.cfg.DeviceCodeTTL / time.Second),
		"interval":                  p.cfg.DeviceInterval,
	})
}

// newUserCode returns a code like "BCDF-GHJK" (RFC 8628 section 6.1).
func newUserCode() string {
	const alphabet = "BCDFGHJKLMNPQRSTVWXZ"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	code := make([]byte, 0, 9)
	for i, c := range b {
		if i == 4 {
			code = append(code, '-')
		}
		code = append(code, alphabet[int(c)%len(alphabet)])
	}
	return string(code)
}

// handleDeviceVerify is the verification page: visiting it with a user_code
// approves the device authorization.
func (p *Provider) handleDeviceVerify(w http.ResponseWriter, r *http.Request) {
	userCode := r.URL.Query().Get("user_code")
	now := p.cfg.Now()
	approved := false
	p.mu.Lock()
	for _, d := range p.devices {
		if userCode != "" && d.userCode == userCode && now.Before(d.expires) {
			d.approved, approved = true, true
		}
	}
	p.mu.Unlock()
	if !approved {
		htmlError(w, fmt.Sprintf("unknown or expired user code %q", userCode))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!DOCTYPE html><html><body><h1>Device approved</h1><p>Code %s approved. You may close this window.</p></body></html>\n",
		html.EscapeString(userCode))
}

// deviceCodeGrant answers a device access token request (RFC 8628 section 3.5).
func (p *Provider) deviceCodeGrant(w http.ResponseWriter, form url.Values) {
	now := p.cfg.Now()
	interval := time.Duration(p.cfg.DeviceInterval) * time.Second
	f := p.currentFaults()
	p.mu.Lock()
	p.devicePolls = append(p.devicePolls, time.Now())
	d, ok := p.devices[form.Get("device_code")]
	if ok {
		d.polls++
	}
	var code, desc string
	switch {
	case f.DeviceError != "":
		code, desc = f.DeviceError, "injected fault"
	case !ok:
		code, desc = "invalid_grant", "unknown device code"
	case now.After(d.expires):
		delete(p.devices, form.Get("device_code"))
		code, desc = "expired_token", "device code expired"
	case d.polls <= p.cfg.DeviceSlowDowns:
		d.lastPoll = now
		code, desc = "slow_down", "injected slow_down"
	case !d.lastPoll.IsZero() && now.Sub(d.lastPoll) < interval/2:
		// Half the interval: clients poll on a ticker, whose ticks the
		// requests' latency can bring closer together.
		d.lastPoll = now
		code, desc = "slow_down", fmt.Sprintf("poll at most every %s", interval)
	case !d.approved:
		d.lastPoll = now
		code, desc = "authorization_pending", "the user has not visited the verification URI yet"
	default:
		delete(p.devices, form.Get("device_code"))
	}
	p.mu.Unlock()
	if code == "" {
		if err := p.verifyPKCE(d.challenge, d.challengeMethod, form.Get("code_verifier")); err != nil {
			code, desc = "invalid_grant", err.Error()
		}
	}
	if code != "" {
		writeError(w, http.StatusBadRequest, code, desc)
		return
	}
	p.issue(w, grant{scope: d.scope, idToken: hasScope(d.scope, "openid")})
}

// handleRevoke revokes a refresh or access token (RFC 7009). Unknown tokens
// are not an error.
func (p *Provider) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "invalid_request", "the revocation endpoint accepts POST only")
		return
	}
	if !p.authenticateClient(w, r, true) {
		return
	}
	token := r.PostForm.Get("token")
	p.mu.Lock()
	if rt, ok := p.refresh[token]; ok {
		rt.revoked = true
	}
	delete(p.access, token)
	p.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// handleUserinfo answers the user's claims to a valid bearer access token.
func (p *Provider) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	token := bearer(r)
	p.mu.Lock()
	expires, ok := p.access[token]
	p.mu.Unlock()
	if !ok || p.cfg.Now().After(expires) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "invalid_token", "unknown or expired access token")
		return
	}
	writeJSON(w, http.StatusOK, p.userClaims())
}

// LastDeviceRequest returns a copy of the form of the last device
// authorization request, or nil if there was none.
func (p *Provider) LastDeviceRequest() url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return cloneValues(p.lastDevice)
}

// DevicePolls returns the times (by the wall clock, not Config.Now) at which
// device_code token requests arrived since the start or ResetCounts.
func (p *Provider) DevicePolls() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.devicePolls)
}
