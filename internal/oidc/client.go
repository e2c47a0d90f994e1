// Package oidc is the plugin's view of the OpenID provider: discovery, the
// oauth2 configuration, PKCE negotiation, the token requests and ID token
// verification. The provider is plain HTTP; it is tested against a real HTTP
// fixture (internal/testing/oidcfake), not mocked.
package oidc

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/token"
)

// PKCE methods accepted by --oidc-pkce-method.
const (
	PKCEAuto = "auto"
	PKCENo   = "no"
	PKCES256 = "S256"
)

// Config is what the plugin knows about the client before talking to the provider.
type Config struct {
	IssuerURL    string
	ClientID     string
	ClientSecret token.Secret
	// ExtraScopes are requested besides "openid", which is always requested.
	ExtraScopes []string
	PKCEMethod  string
	// ExtraParams are added to the authorization request (and the device request).
	ExtraParams map[string]string
	HTTPClient  *http.Client
	// MetadataStore, when set, keeps discovery and JWKS between runs.
	MetadataStore MetadataStore
	Now           func() time.Time
	Log           *logger.Logger
}

// Scopes returns the scopes to request: openid first, then the extra ones.
func (c Config) Scopes() []string {
	out := []string{gooidc.ScopeOpenID}
	for _, s := range c.ExtraScopes {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Metadata is the part of the discovery document the plugin uses.
type Metadata struct {
	Issuer                        string   `json:"issuer"`
	AuthorizationEndpoint         string   `json:"authorization_endpoint"`
	TokenEndpoint                 string   `json:"token_endpoint"`
	JWKSURI                       string   `json:"jwks_uri"`
	DeviceAuthorizationEndpoint   string   `json:"device_authorization_endpoint,omitempty"`
	RevocationEndpoint            string   `json:"revocation_endpoint,omitempty"`
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported,omitempty"`
	TokenEndpointAuthMethods      []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	IDTokenSigningAlgs            []string `json:"id_token_signing_alg_values_supported,omitempty"`
	// GrantTypesSupported tells whether the token exchange is offered (SupportsTokenExchange).
	GrantTypesSupported []string `json:"grant_types_supported,omitempty"`
	// AuthorizationResponseIssParameterSupported: the provider sends iss in
	// the authorization response (RFC 9207), which the callback then requires.
	AuthorizationResponseIssParameterSupported bool `json:"authorization_response_iss_parameter_supported,omitempty"`
}

// Client talks to one provider. Discovery happens on first use, so that a run
// served from the cache makes no request at all.
type Client struct {
	cfg Config

	once      sync.Once
	err       error
	meta      Metadata
	cached    cachedMetadata // what MetadataStore holds for this issuer
	fromCache bool
	keys      *keySet
	verifier  *gooidc.IDTokenVerifier
}

// New returns a client for cfg; it makes no request.
func New(cfg Config) *Client {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	return &Client{cfg: cfg}
}

// Config returns the client's configuration.
func (c *Client) Config() Config { return c.cfg }

func (c *Client) ctx(ctx context.Context) context.Context {
	ctx = gooidc.ClientContext(ctx, c.cfg.HTTPClient)
	return context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient)
}

// Metadata discovers the provider (once) and returns its metadata.
func (c *Client) Metadata(ctx context.Context) (Metadata, error) {
	c.once.Do(func() { c.err = c.discover(ctx) })
	return c.meta, c.err
}

func (c *Client) discover(ctx context.Context) error {
	c.keys = &keySet{c: c}
	if m, ok := c.loadCached(); ok && json.Unmarshal(m.Discovery, &c.meta) == nil && c.meta.Issuer == c.cfg.IssuerURL {
		c.cfg.Log.Debugf(1, "oidc: using the cached discovery document of %s", c.cfg.IssuerURL)
		c.cached, c.fromCache = *m, true
		c.keys.load(m, c.cfg.Now())
	} else {
		c.cfg.Log.Debugf(1, "oidc: discovering %s", c.cfg.IssuerURL)
		if err := c.discoverRemote(ctx); err != nil {
			return err
		}
		c.saveCached()
	}
	c.verifier = gooidc.NewVerifier(c.cfg.IssuerURL, c.keys, &gooidc.Config{
		ClientID:             c.cfg.ClientID,
		Now:                  c.cfg.Now,
		SupportedSigningAlgs: c.meta.IDTokenSigningAlgs,
	})
	return nil
}

// UsePKCE tells whether to send a S256 code challenge.
func (c *Client) UsePKCE(ctx context.Context) (bool, error) {
	switch c.cfg.PKCEMethod {
	case PKCENo:
		return false, nil
	case PKCES256:
		return true, nil
	}
	m, err := c.Metadata(ctx)
	if err != nil {
		return false, err
	}
	return slices.Contains(m.CodeChallengeMethodsSupported, PKCES256), nil
}

// OAuth2Config returns the x/oauth2 configuration for redirectURL.
func (c *Client) OAuth2Config(ctx context.Context, redirectURL string) (*oauth2.Config, error) {
	m, err := c.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	return &oauth2.Config{
		ClientID:     c.cfg.ClientID,
		ClientSecret: c.cfg.ClientSecret.Reveal(),
		RedirectURL:  redirectURL,
		Scopes:       c.cfg.Scopes(),
		Endpoint: oauth2.Endpoint{
			AuthURL:       m.AuthorizationEndpoint,
			TokenURL:      m.TokenEndpoint,
			DeviceAuthURL: m.DeviceAuthorizationEndpoint,
			AuthStyle:     c.authStyle(m),
		},
	}, nil
}

// authStyle picks client_secret_basic unless the provider only takes
// client_secret_post. (x/oauth2's auto-detection costs a failed request.)
func (c *Client) authStyle(m Metadata) oauth2.AuthStyle {
	if c.cfg.ClientSecret == "" {
		return oauth2.AuthStyleInParams
	}
	if len(m.TokenEndpointAuthMethods) > 0 &&
		!slices.Contains(m.TokenEndpointAuthMethods, "client_secret_basic") &&
		slices.Contains(m.TokenEndpointAuthMethods, "client_secret_post") {
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}
