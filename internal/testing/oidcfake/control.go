package oidcfake

import (
	"fmt"
	"net/http"
	"net/url"
)

// Faults make the provider misbehave. The zero value is a well-behaved
// provider. Set them with Provider.SetFaults.
type Faults struct {
	Hang               bool   // read requests but never answer, until Close or until faults without Hang are set
	Status             int    // answer every request with this HTTP status and a JSON error body
	HTMLBody           bool   // answer every request with 200 text/html garbage
	DiscoveryIssuer    string // discovery "issuer" field set to this
	WrongIssuer        bool   // ID tokens with iss = Issuer()+"/evil"
	WrongAudience      bool   // ID tokens with aud = "someone-else"
	WrongNonce         bool   // ID tokens with nonce = "wrong"
	BadSignature       bool   // ID tokens signed by a key not in the JWKS, with the kid of the one that is
	AlgNone            bool   // ID tokens with "alg":"none" and an empty signature
	ExpiredIDToken     bool   // ID tokens whose exp is 1h in the past
	UnknownKid         bool   // ID tokens signed by a second key, published in the JWKS only from the moment the first such token is issued
	RefreshError       string // answer refresh_token grants with 400 (or RefreshStatus) {"error": RefreshError}
	RefreshStatus      int    // without RefreshError: answer refresh_token grants with this status and RefreshBody (an HTML page, or nothing)
	RefreshContentType string // with RefreshStatus: the Content-Type sent along
	RefreshBody        string // with RefreshStatus: the body
	Refuse             bool   // close the listening socket: connections are refused until faults without Refuse are set
	NoIDTokenOnRefresh bool   // refresh responses without id_token
	NoIDTokenExchange  bool   // token exchange answers an access token even when asked for an ID token
	AuthError          string // authorization requests redirect back with error=AuthError
	AuthResponseIss    string // authorization responses carry iss = AuthResponseIss, even with Config.NoIssParameter (RFC 9207 mix-up)
	NoAuthResponseIss  bool   // authorization responses carry no iss, even though discovery advertises it
	DeviceError        string // answer device_code token requests with 400 {"error": DeviceError}, e.g. access_denied or expired_token
	RetryAfter         string // with Status: the Retry-After header sent along
	Times              int    // when > 0, Status and HTMLBody answer only this many requests, then the provider behaves
}

// SetFaults replaces the faults; they apply to the requests that follow.
// Requests hung by Faults.Hang resume when faults without Hang are set.
func (p *Provider) SetFaults(f Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = f
	p.faultAnswers = 0
	p.listener.refuse(f.Refuse)
	close(p.faultsChanged)
	p.faultsChanged = make(chan struct{})
}

// currentFaults returns the faults in effect.
func (p *Provider) currentFaults() Faults {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults
}

// waitFaults returns the faults in effect, first blocking while Hang is set.
// It reports false when the request must be dropped because the provider or
// the request ended while hanging.
func (p *Provider) waitFaults(r *http.Request) (Faults, bool) {
	for {
		p.mu.Lock()
		f, changed := p.faults, p.faultsChanged
		p.mu.Unlock()
		if !f.Hang {
			return f, true
		}
		select {
		case <-changed:
		case <-p.closed:
			return f, false
		case <-r.Context().Done():
			return f, false
		}
	}
}

// answerFault answers the request per the faults Status and HTMLBody, and
// reports whether it did.
func (p *Provider) answerFault(w http.ResponseWriter, f Faults) bool {
	if f.Times > 0 && (f.Status != 0 || f.HTMLBody) {
		p.mu.Lock()
		p.faultAnswers++
		spent := p.faultAnswers > f.Times
		p.mu.Unlock()
		if spent {
			return false
		}
	}
	switch {
	case f.Status != 0:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(w, f.Status, statusErrorCode(f.Status), fmt.Sprintf("injected fault: HTTP %d", f.Status))
		return true
	case f.HTMLBody:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "<!DOCTYPE html><html><head><title>Sign in</title></head>"+
			"<body><h1>Captive portal</h1><p>Please accept the terms of use.</p></body></html>\n")
		return true
	}
	return false
}

// statusErrorCode returns a plausible OAuth error code for an HTTP status.
func statusErrorCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request"
	case http.StatusUnauthorized:
		return "invalid_client"
	case http.StatusForbidden:
		return "access_denied"
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		return "temporarily_unavailable"
	default:
		return "server_error"
	}
}

// Count returns the number of requests received by endpoint: "discovery",
// "jwks", "authorize", "token", "device" (device authorization), "device_verify"
// (the verification page), "revoke", "userinfo" or "other".
func (p *Provider) Count(endpoint string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[endpoint]
}

// TokenRequests returns the number of token endpoint requests with the given
// grant_type, e.g. "refresh_token".
func (p *Provider) TokenRequests(grantType string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.grants[grantType]
}

// ResetCounts zeroes the counters of Count, TokenRequests and
// RefreshTokenReuses, and forgets the DevicePolls.
func (p *Provider) ResetCounts() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts = map[string]int{}
	p.grants = map[string]int{}
	p.reuses = 0
	p.devicePolls = nil
}

// LastAuthRequest returns a copy of the parameters of the last authorization
// request, or nil if there was none.
func (p *Provider) LastAuthRequest() url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return cloneValues(p.lastAuth)
}

// LastTokenRequest returns copies of the form and the headers of the last
// token request, or nils if there was none.
func (p *Provider) LastTokenRequest() (url.Values, http.Header) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return cloneValues(p.lastTokenForm), p.lastTokenHeader.Clone()
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	return url.Values(http.Header(v).Clone())
}

// RevokeRefreshTokens revokes every refresh token issued so far: presenting
// one answers invalid_grant.
func (p *Provider) RevokeRefreshTokens() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, rt := range p.refresh {
		rt.revoked = true
	}
}

// RefreshTokenReuses returns how many times a refresh token already replaced
// by rotation was presented.
func (p *Provider) RefreshTokenReuses() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reuses
}
