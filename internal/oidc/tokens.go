package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/kubelogin/kubelogin/internal/token"
)

// TokenError is an OAuth 2.0 error response from the token endpoint (RFC 6749
// 5.2). Its message never includes the response body, which may echo secrets.
type TokenError struct {
	Status      int
	Code        string
	Description string
}

func (e *TokenError) Error() string {
	msg := fmt.Sprintf("the provider answered %d", e.Status)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	if e.Status == http.StatusTooManyRequests {
		msg += " (the provider is rate limiting: try again in a minute)"
	}
	return msg
}

// Rejected reports whether err means the provider refused the grant itself (an
// OAuth error response: 400, or 401 for invalid_client), as opposed to a
// network or server failure, or an endpoint that is not there.
func Rejected(err error) bool {
	var te *TokenError
	return errors.As(err, &te) && (te.Status == http.StatusBadRequest || te.Status == http.StatusUnauthorized)
}

// ErrNoIDToken is returned when a token response has no id_token.
var ErrNoIDToken = errors.New("the provider's token response has no id_token")

func fromRetrieveError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te := &TokenError{Code: re.ErrorCode, Description: re.ErrorDescription}
		if re.Response != nil {
			te.Status = re.Response.StatusCode
		}
		return te
	}
	return describeHTTPError(err)
}

// describeHTTPError turns transport errors into one-line messages a user can act on.
func describeHTTPError(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("the provider did not answer in time (is it up? check your network or proxy): %w", err)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the caller names the URL
	}
	return oneLine{err}
}

// oneLine keeps an error on one line and short: go-oidc quotes response bodies
// in its errors, and an HTML error page would flood the terminal.
type oneLine struct{ err error }

func (e oneLine) Error() string {
	s := strings.Join(strings.Fields(e.err.Error()), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func (e oneLine) Unwrap() error { return e.err }

// ExchangeCode redeems an authorization code and verifies the ID token against nonce.
func (c *Client) ExchangeCode(ctx context.Context, conf *oauth2.Config, code, verifier, nonce string) (*token.Set, error) {
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	t, err := conf.Exchange(c.ctx(ctx), code, opts...)
	if err != nil {
		err = fromRetrieveError(err)
		if !Rejected(err) {
			c.forgetCached()
		}
		return nil, fmt.Errorf("exchange the authorization code: %w", err)
	}
	return c.setFromOAuth2(ctx, t, nonce, true)
}

// setFromOAuth2 converts and verifies a token response. requireIDToken is false
// only for modes that return the access token.
func (c *Client) setFromOAuth2(ctx context.Context, t *oauth2.Token, nonce string, requireIDToken bool) (*token.Set, error) {
	s := &token.Set{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, AccessTokenExpiry: t.Expiry, ObtainedAt: c.cfg.Now()}
	if raw, ok := t.Extra("id_token").(string); ok && raw != "" {
		s.IDToken = raw
	}
	if s.IDToken == "" {
		if requireIDToken {
			return nil, ErrNoIDToken
		}
		return s, nil
	}
	if err := c.VerifyIDToken(ctx, s.IDToken, nonce); err != nil {
		return nil, err
	}
	return s, nil
}

// VerifyIDToken checks the signature (via JWKS), issuer, audience and expiry,
// and the nonce when one was sent.
func (c *Client) VerifyIDToken(ctx context.Context, raw, nonce string) error {
	if _, err := c.Metadata(ctx); err != nil {
		return err
	}
	idt, err := c.verifier.Verify(c.ctx(ctx), raw)
	if err != nil {
		return fmt.Errorf("the provider's ID token failed verification (%w); check --oidc-issuer-url, --oidc-client-id and this machine's clock", err)
	}
	if nonce != "" && idt.Nonce != nonce {
		return errors.New("the provider's ID token failed verification: its nonce does not match the login request (possible replay; try again)")
	}
	return nil
}

// Refresh redeems a refresh token. It sends the original scopes, which some
// providers need to return an ID token. The ID token, when present, is verified
// (without a nonce: refreshed tokens carry none, or the original one).
// requireIDToken makes a response without one fail with ErrNoIDToken.
func (c *Client) Refresh(ctx context.Context, refreshToken string, requireIDToken bool) (*token.Set, error) {
	m, err := c.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
		"scope":         {strings.Join(c.cfg.Scopes(), " ")},
	}
	t, err := c.postToken(ctx, m, form)
	if err != nil {
		if !Rejected(err) {
			c.forgetCached() // the endpoint may have moved: rediscover next time
		}
		return nil, fmt.Errorf("refresh the token: %w", err)
	}
	if t.RefreshToken == "" {
		t.RefreshToken = refreshToken // RFC 6749 6: the old one stays valid
	}
	s, err := c.setFromOAuth2(ctx, t, "", requireIDToken)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// postToken sends a token request with client authentication.
func (c *Client) postToken(ctx context.Context, m Metadata, form url.Values) (*oauth2.Token, error) {
	var r struct {
		AccessToken  string      `json:"access_token"`
		TokenType    string      `json:"token_type"`
		RefreshToken string      `json:"refresh_token"`
		ExpiresIn    json.Number `json:"expires_in"`
		IDToken      string      `json:"id_token"`
	}
	if err := c.postForm(ctx, m, m.TokenEndpoint, form, &r); err != nil {
		return nil, err
	}
	t := &oauth2.Token{AccessToken: r.AccessToken, TokenType: r.TokenType, RefreshToken: r.RefreshToken}
	if secs, err := r.ExpiresIn.Int64(); err == nil && secs > 0 {
		t.Expiry = c.cfg.Now().Add(time.Duration(secs) * time.Second)
	}
	if r.IDToken != "" {
		t = t.WithExtra(map[string]any{"id_token": r.IDToken})
	}
	return t, nil
}

// send POSTs form to a provider endpoint with client authentication (basic,
// post or an assertion, see authenticate) and returns the response and up to
// 1 MiB of its body.
func (c *Client) send(ctx context.Context, m Metadata, endpoint string, form url.Values) (*http.Response, []byte, error) {
	basic := c.authenticate(m, form)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if basic {
		req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.ClientSecret.Reveal()))
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, nil, describeHTTPError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, describeHTTPError(err)
	}
	return resp, body, nil
}

// oauthError is the body of an OAuth 2.0 error response (RFC 6749 5.2).
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// postForm POSTs form to a provider endpoint with client authentication and
// decodes the JSON answer into out. An OAuth error answer is a *TokenError; a
// body that is not JSON is reported by its content type, never quoted.
func (c *Client) postForm(ctx context.Context, m Metadata, endpoint string, form url.Values, out any) error {
	resp, body, err := c.send(ctx, m, endpoint, form)
	if err != nil {
		return err
	}
	var oe oauthError
	jsonErr := json.Unmarshal(body, &oe)
	if resp.StatusCode < 200 || resp.StatusCode > 299 || oe.Error != "" {
		return &TokenError{Status: resp.StatusCode, Code: oe.Error, Description: oe.ErrorDescription}
	}
	if jsonErr == nil {
		jsonErr = json.Unmarshal(body, out)
	}
	if jsonErr != nil {
		ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		return fmt.Errorf("POST %s: the provider answered %s, not JSON (check --oidc-issuer-url and any proxy in between)", endpoint, orUnknown(ct))
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown content type"
	}
	return s
}
