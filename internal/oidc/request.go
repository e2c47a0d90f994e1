package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// retrieve runs one token request of x/oauth2 (get) against tokenURL and
// turns its failures into ours: *TokenError for an error answer, *NetError
// for no answer, and a line naming the content type for a success answer
// that is not JSON (x/oauth2 reports that one by its parse error only, so a
// recording transport notes the answer's content type).
func (c *Client) retrieve(ctx context.Context, tokenURL string, get func(ctx context.Context) (*oauth2.Token, error)) (*oauth2.Token, error) {
	hc := *c.cfg.HTTPClient
	rec := &recorder{base: hc.Transport}
	hc.Transport = rec
	t, err := get(context.WithValue(ctx, oauth2.HTTPClient, &hc))
	if err == nil {
		return t, nil
	}
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re):
		return nil, fromRetrieveError(re)
	case rec.header == nil:
		return nil, c.netError(ctx, tokenURL, err)
	case rec.readErr != nil:
		return nil, c.netError(ctx, tokenURL, rec.readErr)
	case strings.Contains(err.Error(), "missing access_token"):
		return nil, errors.New("the provider's token answer has no access_token")
	}
	return nil, fmt.Errorf("%s answered %s, not JSON: check --oidc-issuer-url and any proxy in between", tokenURL, mediaType(rec.header))
}

// recorder notes the headers of the last answer and an error reading its body.
type recorder struct {
	base    http.RoundTripper
	header  http.Header
	readErr error
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	base := r.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	r.header, r.readErr = resp.Header, nil
	resp.Body = &recordedBody{ReadCloser: resp.Body, r: r}
	return resp, nil
}

type recordedBody struct {
	io.ReadCloser
	r *recorder
}

func (b *recordedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.r.readErr = err
	}
	return n, err
}

// grantConfig is x/oauth2's configuration for any grant at the token
// endpoint: clientcredentials.Config sends EndpointParams as they are and
// lets grant_type be overridden, which the refresh (to send a scope) and the
// single device poll (x/oauth2 polls only in a loop of its own) need. With
// assertion, the client authenticates with it rather than with its secret.
func (c *Client) grantConfig(m Metadata, scopes []string, params url.Values, assertion bool) *clientcredentials.Config {
	if params.Has("scope") {
		scopes = nil // an extra parameter names the scope itself (x/oauth2 refuses both)
	}
	conf := &clientcredentials.Config{
		ClientID:       c.cfg.ClientID,
		ClientSecret:   c.cfg.ClientSecret.Reveal(),
		TokenURL:       m.TokenEndpoint,
		Scopes:         scopes,
		EndpointParams: params,
		AuthStyle:      c.authStyle(m),
	}
	if assertion {
		conf.ClientSecret, conf.AuthStyle = "", oauth2.AuthStyleInParams
	}
	return conf
}

// expiry is when t expires by the injected clock (x/oauth2 reads the wall
// clock), or zero when the provider did not say.
func (c *Client) expiry(t *oauth2.Token) time.Time {
	var secs int64
	switch v := t.Extra("expires_in").(type) {
	case float64:
		secs = int64(v)
	case string: // some providers send a string, and form-encoded answers only strings
		secs, _ = strconv.ParseInt(v, 10, 64)
	}
	if secs <= 0 {
		return time.Time{}
	}
	return c.cfg.Now().Add(time.Duration(secs) * time.Second)
}

// authenticate adds the client authentication to a form for a request that
// x/oauth2 does not make, and reports whether the client secret goes in an
// HTTP Basic header instead. A client assertion already in the form
// authenticates the client by itself.
func (c *Client) authenticate(m Metadata, form url.Values) (basic bool) {
	if form.Has("client_assertion") {
		form.Set("client_id", c.cfg.ClientID)
		return false
	}
	if c.cfg.ClientSecret == "" || c.authStyle(m) == oauth2.AuthStyleInParams {
		form.Set("client_id", c.cfg.ClientID)
		if c.cfg.ClientSecret != "" {
			form.Set("client_secret", c.cfg.ClientSecret.Reveal())
		}
		return false
	}
	return true
}

// send POSTs form to a provider endpoint with client authentication (basic,
// post or an assertion, see authenticate) and returns the response and up to
// 1 MiB of its body. It serves the device authorization and revocation
// endpoints, which x/oauth2 does not authenticate or does not know.
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
		return nil, nil, c.netError(ctx, endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, c.netError(ctx, endpoint, err)
	}
	return resp, body, nil
}

// oauthError is the body of an OAuth 2.0 error response (RFC 6749 5.2).
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// answerError returns the *TokenError of an error answer, or nil for a
// success.
func answerError(resp *http.Response, body []byte) *TokenError {
	var oe oauthError
	_ = json.Unmarshal(body, &oe)
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 && oe.Error == "" {
		return nil
	}
	te := &TokenError{Status: resp.StatusCode, Code: oe.Error, Description: oe.ErrorDescription}
	if te.Code == "" && len(strings.TrimSpace(string(body))) > 0 {
		te.ContentType = mediaType(resp.Header)
	}
	return te
}

// postForm POSTs form to a provider endpoint with client authentication and
// decodes the JSON answer into out. An error answer is a *TokenError; a body
// that is not JSON is reported by its content type, never quoted.
func (c *Client) postForm(ctx context.Context, m Metadata, endpoint string, form url.Values, out any) error {
	resp, body, err := c.send(ctx, m, endpoint, form)
	if err != nil {
		return err
	}
	if te := answerError(resp, body); te != nil {
		return te
	}
	if json.Unmarshal(body, out) != nil {
		return fmt.Errorf("%s answered %s, not JSON: check --oidc-issuer-url and any proxy in between", endpoint, mediaType(resp.Header))
	}
	return nil
}
