package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"golang.org/x/oauth2"

	"github.com/kubelogin/kubelogin/internal/token"
)

// ExchangeCode redeems an authorization code and verifies the ID token against nonce.
func (c *Client) ExchangeCode(ctx context.Context, conf *oauth2.Config, code, verifier, nonce string) (*token.Set, error) {
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	t, err := c.retrieve(ctx, conf.Endpoint.TokenURL, func(ctx context.Context) (*oauth2.Token, error) {
		return conf.Exchange(ctx, code, opts...)
	})
	if err != nil {
		if !oauthAnswer(err) {
			c.forgetCached() // the endpoint may have moved: rediscover next time
		}
		return nil, fmt.Errorf("exchange the authorization code: %w", err)
	}
	return c.setFromOAuth2(ctx, t, nonce, true)
}

// setFromOAuth2 converts and verifies a token response. requireIDToken is false
// only for modes that return the access token.
func (c *Client) setFromOAuth2(ctx context.Context, t *oauth2.Token, nonce string, requireIDToken bool) (*token.Set, error) {
	s := &token.Set{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, AccessTokenExpiry: c.expiry(t), ObtainedAt: c.cfg.Now()}
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

// Refresh redeems a refresh token. The ID token, when present, is verified
// (without a nonce: refreshed tokens carry none, or the original one).
// requireIDToken makes a response without one fail with ErrNoIDToken.
//
// A failure is one line with its cause and what to do. Only an invalid_grant
// answer means the refresh token is no longer good (LoginRequired); after any
// other (a rejected client, a scope, a proxy, a network failure) a new login
// would fail as well.
func (c *Client) Refresh(ctx context.Context, refreshToken string, requireIDToken bool) (*token.Set, error) {
	m, err := c.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	// x/oauth2's refresher (Config.TokenSource) sends no scope; Okta returns
	// an ID token on refresh only when the request names openid
	// (TestRefreshSendsTheScopes), so grant_type is overridden instead.
	conf := c.grantConfig(m, c.cfg.Scopes(), url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
	}, false)
	t, err := c.retrieve(ctx, m.TokenEndpoint, conf.Token)
	if err != nil {
		if !oauthAnswer(err) {
			c.forgetCached() // the endpoint may have moved: rediscover next time
		}
		return nil, explainRefresh(err)
	}
	// An answer without a refresh token keeps the old one (RFC 6749 section
	// 6): x/oauth2 copies it from the request's refresh_token.
	return c.setFromOAuth2(ctx, t, "", requireIDToken)
}
