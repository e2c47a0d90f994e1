// Package oidcfake is an in-process OpenID provider that speaks real HTTP on
// loopback, for unit tests, integration tests and the demo.
//
// It implements discovery, JWKS, the authorization endpoint (auto-approving,
// with PKCE, for registered loopback and out-of-band redirect URIs, sending
// iss per RFC 9207), the token endpoint (authorization code, refresh token with
// rotation, password, client credentials and device code grants), the device
// authorization endpoint, revocation and userinfo. Counters and the last
// requests let a test observe what a client did; [Faults] make the provider
// misbehave in the ways real ones do. It is as strict as Dex, Keycloak and
// oidc-provider where a lenient fake would let a client's bug pass: it
// refuses unregistered redirect URIs, issues ID tokens only when openid was
// asked for, enforces the client authentication methods it advertises and
// refuses a refresh asking for scopes that were not granted. The package does not depend on package
// testing, so commands may serve it too.
package oidcfake

import (
	"crypto"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Config describes the provider to start. The zero value is a usable public
// client "kubelogin" with one user, PKCE S256 advertised and rotating refresh
// tokens.
type Config struct {
	Addr           string            // listen address; default "127.0.0.1:0"
	TLS            bool              // serve HTTPS with a fresh CA and server cert (SAN 127.0.0.1, ::1, localhost)
	ClientID       string            // default "kubelogin"
	ClientSecret   string            // "" = public client; else client_secret_basic or client_secret_post is required
	PKCEMethods    []string          // advertised and accepted code_challenge methods; nil = ["S256"], empty = PKCE unsupported
	RequirePKCE    bool              // reject authorization (and device) requests without code_challenge
	IDTokenTTL     time.Duration     // default 1h
	AccessTokenTTL time.Duration     // default 1h
	Subject        string            // default "08a8684b-db88-4b73-90a9-3cd1661f5466"
	Email          string            // default "admin@example.com"
	Groups         []string          // "groups" claim, omitted when empty
	NoRotation     bool              // false = each refresh returns a new refresh token and invalidates the old one
	Users          map[string]string // password grant: username → password; default {"admin@example.com": "password"}
	Latency        time.Duration     // sleep before answering every request
	DeviceInterval int               // device flow poll interval in seconds; values < 1 mean 1
	Now            func() time.Time  // clock for iat/exp of issued tokens; default time.Now

	DeviceCodeTTL   time.Duration // device codes' lifetime (expires_in); default 5m
	DeviceSlowDowns int           // answer the first N polls of each device code with slow_down, however slow they are

	// ClientAssertionKeys enable private_key_jwt (RFC 7523 section 2.2): a
	// client assertion signed by one of these public keys, with iss = sub =
	// ClientID, aud = the token endpoint or the issuer, an exp in the future
	// and a jti not seen before authenticates the client.
	ClientAssertionKeys []crypto.PublicKey
	// FederatedIssuer, FederatedAudience and FederatedKeys enable federated
	// client credentials (workload identity federation): a client assertion
	// with iss = FederatedIssuer, aud including FederatedAudience, an exp in
	// the future, signed by one of FederatedKeys, authenticates the client,
	// whatever its sub. Such tokens (Kubernetes service account tokens, CI
	// OIDC tokens) are reused until they expire, so their jti is not checked.
	FederatedIssuer   string
	FederatedAudience string
	FederatedKeys     []crypto.PublicKey
	// TokenExchange, when set, enables the token exchange grant (RFC 8693).
	TokenExchange *TokenExchangeConfig
	// TokenEndpointAuthMethods replaces token_endpoint_auth_methods_supported
	// in discovery (e.g. client_secret_post only). A confidential client
	// must authenticate with one of the advertised methods: a secret sent
	// another way is invalid_client, as with Keycloak and oidc-provider.
	TokenEndpointAuthMethods []string
	// ClientCredentialsIDToken makes client_credentials responses carry an ID
	// token (sub = ClientID) when openid is asked for, as some providers do.
	ClientCredentialsIDToken bool
	// RedirectURIs are the client's registered redirect URIs. A redirect_uri
	// must equal one of them as a string, except that a registered http
	// loopback URI without a port (http://127.0.0.1, http://[::1],
	// http://localhost) matches any port, as in Keycloak (RFC 8252 section
	// 7.3); with a port, as http://localhost:8000, it matches that port
	// only, as in Dex and Keycloak. nil: a public client gets Dex's rule for public
	// clients without registered URIs (the out-of-band URI, and http on
	// localhost, 127.0.0.1 or [::1] with any port and path); a confidential
	// client gets DefaultRedirectURIs.
	RedirectURIs []string
	// NoIssParameter makes the provider neither advertise
	// authorization_response_iss_parameter_supported nor send iss in
	// authorization responses (RFC 9207), as Dex. By default it does both,
	// as Keycloak and oidc-provider.
	NoIssParameter bool
}

// DefaultRedirectURIs are the redirect URIs registered for a confidential
// client when Config.RedirectURIs is nil: int128/kubelogin's documented
// http://localhost:8000 and http://localhost:18000, and the loopback IP
// literals, whose port may vary.
var DefaultRedirectURIs = []string{"http://localhost:8000", "http://localhost:18000", "http://127.0.0.1", "http://[::1]"}

// Provider is a running fake OpenID provider. Its methods are safe for
// concurrent use.
type Provider struct {
	cfg       Config
	issuer    string
	caPEM     []byte
	keys      *keySet
	srv       *http.Server
	client    *http.Client
	closed    chan struct{}
	serveDone chan struct{}
	listener  *refusingListener // Faults.Refuse
	handlers  sync.WaitGroup

	mu              sync.Mutex
	isClosed        bool
	faults          Faults
	faultsChanged   chan struct{} // closed and replaced by every SetFaults
	faultAnswers    int           // requests answered by Faults.Status or HTMLBody since SetFaults
	counts          map[string]int
	grants          map[string]int
	lastAuth        url.Values
	lastTokenForm   url.Values
	lastTokenHeader http.Header
	reuses          int
	codes           map[string]*authCode
	refresh         map[string]*refreshToken
	access          map[string]time.Time // access token → expiry
	devices         map[string]*deviceAuth
	lastDevice      url.Values
	devicePolls     []time.Time
	assertionIDs    map[string]bool // jti of private_key_jwt assertions seen
}

// endpoints maps request paths to the names used by Count.
var endpoints = map[string]string{
	"/.well-known/openid-configuration": "discovery",
	"/keys":                             "jwks",
	"/authorize":                        "authorize",
	"/token":                            "token",
	"/device/code":                      "device",
	"/device":                           "device_verify",
	"/revoke":                           "revoke",
	"/userinfo":                         "userinfo",
}

// Start listens on cfg.Addr and serves the provider until Close.
func Start(cfg Config) (*Provider, error) {
	cfg = withDefaults(cfg)
	keys, err := newKeySet()
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	p := &Provider{
		cfg:           cfg,
		keys:          keys,
		closed:        make(chan struct{}),
		serveDone:     make(chan struct{}),
		faultsChanged: make(chan struct{}),
		counts:        map[string]int{},
		grants:        map[string]int{},
		codes:         map[string]*authCode{},
		refresh:       map[string]*refreshToken{},
		access:        map[string]time.Time{},
		devices:       map[string]*deviceAuth{},
		assertionIDs:  map[string]bool{},
	}
	p.listener = newRefusingListener(ln)
	ln = p.listener
	transport := &http.Transport{}
	scheme := "http"
	if cfg.TLS {
		cert, caPEM, pool, err := newServerCert()
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("generate TLS certificate: %w", err)
		}
		p.caPEM = caPEM
		transport.TLSClientConfig = &tls.Config{RootCAs: pool}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
		scheme = "https"
	}
	p.client = &http.Client{Transport: transport}
	p.issuer = scheme + "://" + ln.Addr().String()
	p.srv = &http.Server{
		Handler:           http.HandlerFunc(p.serveHTTP),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		defer close(p.serveDone)
		_ = p.srv.Serve(ln)
	}()
	return p, nil
}

// withDefaults fills in the defaults and copies the slices and maps, which
// the caller may go on changing.
func withDefaults(cfg Config) Config {
	cfg.PKCEMethods = slices.Clone(cfg.PKCEMethods)
	cfg.Groups = slices.Clone(cfg.Groups)
	cfg.Users = maps.Clone(cfg.Users)
	cfg.ClientAssertionKeys = slices.Clone(cfg.ClientAssertionKeys)
	cfg.FederatedKeys = slices.Clone(cfg.FederatedKeys)
	cfg.TokenEndpointAuthMethods = slices.Clone(cfg.TokenEndpointAuthMethods)
	cfg.RedirectURIs = slices.Clone(cfg.RedirectURIs)
	if cfg.RedirectURIs == nil && cfg.ClientSecret != "" {
		cfg.RedirectURIs = slices.Clone(DefaultRedirectURIs)
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "kubelogin"
	}
	if cfg.PKCEMethods == nil {
		cfg.PKCEMethods = []string{"S256"}
	}
	if cfg.IDTokenTTL == 0 {
		cfg.IDTokenTTL = time.Hour
	}
	if cfg.AccessTokenTTL == 0 {
		cfg.AccessTokenTTL = time.Hour
	}
	if cfg.Subject == "" {
		cfg.Subject = "08a8684b-db88-4b73-90a9-3cd1661f5466"
	}
	if cfg.Email == "" {
		cfg.Email = "admin@example.com"
	}
	if cfg.Users == nil {
		cfg.Users = map[string]string{"admin@example.com": "password"}
	}
	if cfg.DeviceInterval < 1 {
		cfg.DeviceInterval = 1
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DeviceCodeTTL <= 0 {
		cfg.DeviceCodeTTL = 5 * time.Minute
	}
	return cfg
}

// Issuer returns the issuer URL, e.g. "http://127.0.0.1:41234", without a
// trailing slash.
func (p *Provider) Issuer() string { return p.issuer }

// CACertPEM returns the PEM of the CA that signed the server certificate when
// Config.TLS is set, else nil.
func (p *Provider) CACertPEM() []byte { return p.caPEM }

// Close stops listening, closes every connection (hung ones too) and waits
// for the handlers to return. Later connections are refused.
func (p *Provider) Close() {
	p.mu.Lock()
	if p.isClosed {
		p.mu.Unlock()
		return
	}
	p.isClosed = true
	p.mu.Unlock()
	_ = p.srv.Close()
	close(p.closed) // release hung handlers; they abort their responses
	p.handlers.Wait()
	<-p.serveDone
	p.client.CloseIdleConnections()
}

// serveHTTP counts the request, then applies latency and faults before
// routing it.
func (p *Provider) serveHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if p.isClosed {
		p.mu.Unlock()
		panic(http.ErrAbortHandler)
	}
	p.handlers.Add(1)
	defer p.handlers.Done()
	name, ok := endpoints[r.URL.Path]
	if !ok {
		name = "other"
	}
	p.counts[name]++
	p.mu.Unlock()

	if name == "token" {
		_ = r.ParseForm()
		p.mu.Lock()
		p.grants[r.PostForm.Get("grant_type")]++
		p.lastTokenForm = cloneValues(r.PostForm)
		p.lastTokenHeader = r.Header.Clone()
		p.mu.Unlock()
	}
	if !p.sleep(r, p.cfg.Latency) {
		panic(http.ErrAbortHandler) // close the connection without answering
	}
	f, ok := p.waitFaults(r)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	if p.answerFault(w, f) {
		return
	}
	switch name {
	case "discovery":
		p.handleDiscovery(w, r)
	case "jwks":
		p.handleJWKS(w, r)
	case "authorize":
		p.handleAuthorize(w, r)
	case "token":
		p.handleToken(w, r)
	case "device":
		p.handleDeviceCode(w, r)
	case "device_verify":
		p.handleDeviceVerify(w, r)
	case "revoke":
		p.handleRevoke(w, r)
	case "userinfo":
		p.handleUserinfo(w, r)
	default:
		http.NotFound(w, r)
	}
}

// sleep waits d, or less if the request or the provider ends first. It
// reports whether the request should still be answered.
func (p *Provider) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.closed:
	case <-r.Context().Done():
	}
	return false
}
