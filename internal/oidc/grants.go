package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/kubelogin/kubelogin/internal/token"
)

// ClientAssertionType is the client_assertion_type of a JWT client assertion
// (RFC 7523 section 2.2), for private_key_jwt and federated credentials alike.
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// DeviceGrantType is the grant_type of the device access token request (RFC 8628).
const DeviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// PasswordGrant logs in with the resource owner password credentials grant
// (RFC 6749 section 4.3). requireIDToken makes a response without an ID
// token fail with ErrNoIDToken.
func (c *Client) PasswordGrant(ctx context.Context, username string, password token.Secret, requireIDToken bool) (*token.Set, error) {
	conf, err := c.OAuth2Config(ctx, "")
	if err != nil {
		return nil, err
	}
	t, err := c.retrieve(ctx, conf.Endpoint.TokenURL, func(ctx context.Context) (*oauth2.Token, error) {
		return conf.PasswordCredentialsToken(ctx, username, password.Reveal())
	})
	if err != nil {
		return nil, err
	}
	return c.setFromOAuth2(ctx, t, "", requireIDToken)
}

// Assertion returns a client assertion (a JWT) for the given audience, the
// provider's token endpoint.
type Assertion func(audience string) (string, error)

// ClientCredentialsGrant gets a token for the client itself (RFC 6749
// section 4.4). The client authenticates with assertion when it is not nil,
// else with its secret. extra parameters (e.g. audience, resource) are added
// to the request.
func (c *Client) ClientCredentialsGrant(ctx context.Context, assertion Assertion, extra map[string]string, requireIDToken bool) (*token.Set, error) {
	m, err := c.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	params := url.Values{}
	for k, v := range extra {
		params.Set(k, v)
	}
	if assertion != nil {
		jwt, err := assertion(m.TokenEndpoint)
		if err != nil {
			return nil, err
		}
		params.Set("client_assertion_type", ClientAssertionType)
		params.Set("client_assertion", jwt)
	}
	conf := c.grantConfig(m, c.cfg.Scopes(), params, assertion != nil)
	t, err := c.retrieve(ctx, m.TokenEndpoint, conf.Token)
	if err != nil {
		return nil, err
	}
	return c.setFromOAuth2(ctx, t, "", requireIDToken)
}

// DeviceAuth is a device authorization response (RFC 8628 section 3.2).
type DeviceAuth struct {
	DeviceCode              token.Secret
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string
	// ExpiresIn is the lifetime of the codes; Interval the wait between
	// polls (5 s when the provider does not say).
	ExpiresIn time.Duration
	Interval  time.Duration
}

// ErrNoDeviceEndpoint is returned when discovery lists no device authorization endpoint.
var ErrNoDeviceEndpoint = errors.New("the provider's discovery document has no device_authorization_endpoint: it does not offer the device-code grant (use --grant-type=authcode or authcode-keyboard)")

// StartDeviceAuth asks for a device code and a user code. challenge is the
// S256 PKCE code challenge, or "" for none; extra parameters are added.
//
// Not x/oauth2's DeviceAuth: that one sends no client authentication, which
// Keycloak requires of a confidential client (TestStartDeviceAuthAuthenticatesTheClient).
func (c *Client) StartDeviceAuth(ctx context.Context, challenge string, extra map[string]string) (*DeviceAuth, error) {
	m, err := c.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	if m.DeviceAuthorizationEndpoint == "" {
		return nil, ErrNoDeviceEndpoint
	}
	form := url.Values{"scope": {strings.Join(c.cfg.Scopes(), " ")}}
	for k, v := range extra {
		form.Set(k, v)
	}
	if challenge != "" {
		form.Set("code_challenge", challenge)
		form.Set("code_challenge_method", PKCES256)
	}
	var r struct {
		DeviceCode              string      `json:"device_code"`
		UserCode                string      `json:"user_code"`
		VerificationURI         string      `json:"verification_uri"`
		VerificationURL         string      `json:"verification_url"` // Google's name for it
		VerificationURIComplete string      `json:"verification_uri_complete"`
		ExpiresIn               json.Number `json:"expires_in"`
		Interval                json.Number `json:"interval"`
	}
	if err := c.postForm(ctx, m, m.DeviceAuthorizationEndpoint, form, &r); err != nil {
		return nil, fmt.Errorf("start the device login: %w", err)
	}
	d := &DeviceAuth{
		DeviceCode:              token.Secret(r.DeviceCode),
		UserCode:                r.UserCode,
		VerificationURI:         r.VerificationURI,
		VerificationURIComplete: r.VerificationURIComplete,
		ExpiresIn:               seconds(r.ExpiresIn, 0),
		Interval:                seconds(r.Interval, 5*time.Second),
	}
	if d.VerificationURI == "" {
		d.VerificationURI = r.VerificationURL
	}
	if d.DeviceCode == "" || d.UserCode == "" || d.VerificationURI == "" {
		return nil, errors.New("start the device login: the provider's answer lacks device_code, user_code or verification_uri")
	}
	return d, nil
}

func seconds(n json.Number, def time.Duration) time.Duration {
	if s, err := n.Int64(); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return def
}

// PollDeviceToken asks once for the token of a device authorization (RFC
// 8628 section 3.4). While the user has not finished, it returns a
// *TokenError with Code authorization_pending or slow_down.
func (c *Client) PollDeviceToken(ctx context.Context, deviceCode token.Secret, verifier string, requireIDToken bool) (*token.Set, error) {
	m, err := c.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	// One poll: x/oauth2's DeviceAccessToken runs its own loop on the wall
	// clock, and the caller's loop keeps the login timeout, the codes'
	// expiry and the injected clock (grant.DeviceCode).
	params := url.Values{
		"grant_type":  {DeviceGrantType},
		"device_code": {deviceCode.Reveal()},
	}
	if verifier != "" {
		params.Set("code_verifier", verifier)
	}
	t, err := c.retrieve(ctx, m.TokenEndpoint, c.grantConfig(m, nil, params, false).Token)
	if err != nil {
		return nil, err
	}
	return c.setFromOAuth2(ctx, t, "", requireIDToken)
}
