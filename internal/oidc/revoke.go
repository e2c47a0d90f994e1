package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ErrNoRevocationEndpoint is returned by Revoke when the discovery document
// lists no revocation_endpoint.
var ErrNoRevocationEndpoint = errors.New("the provider lists no revocation_endpoint")

// Token type hints of RFC 7009 section 2.1.
const (
	HintRefreshToken = "refresh_token"
	HintAccessToken  = "access_token"
)

// Revoke asks the provider to revoke a token (RFC 7009), authenticating the
// client as for token requests. A token the provider does not know counts as
// revoked (RFC 7009 section 2.2). The error never includes the token.
func (c *Client) Revoke(ctx context.Context, tok, hint string) error {
	m, err := c.Metadata(ctx)
	if err != nil {
		return err
	}
	if m.RevocationEndpoint == "" {
		return ErrNoRevocationEndpoint
	}
	form := url.Values{"token": {tok}, "token_type_hint": {hint}}
	basic := c.authenticate(m, form)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.RevocationEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.ClientSecret.Reveal()))
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return describeHTTPError(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var r struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &r)
	return fmt.Errorf("revoke: %w", &TokenError{Status: resp.StatusCode, Code: r.Error, Description: r.ErrorDescription})
}
