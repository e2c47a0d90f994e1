package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/url"
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
	resp, body, err := c.send(ctx, m, m.RevocationEndpoint, form)
	if err != nil {
		return err
	}
	if te := answerError(resp, body); te != nil {
		return fmt.Errorf("revoke: %w", te)
	}
	return nil
}
