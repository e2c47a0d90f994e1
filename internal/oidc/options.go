package oidc

import (
	"fmt"
	"maps"

	"github.com/kubelogin/kubelogin/internal/token"
)

// Options are the provider flags: which provider, which client, what to ask
// for. The command line binds its flags straight into them.
type Options struct {
	IssuerURL    string
	ClientID     string
	ClientSecret token.Secret
	// ExtraScopes are requested besides "openid", which is always requested.
	ExtraScopes []string
	PKCEMethod  string
	// AuthRequestExtraParams are added to the authorization request (and
	// the device request); LoginHint joins them as login_hint.
	AuthRequestExtraParams map[string]string
	LoginHint              string
	// UseAccessToken gives kubectl the access token instead of the ID token.
	UseAccessToken bool
}

// ExtraParams returns the authorization request's extra parameters with
// LoginHint as login_hint. Extra parameters are part of the cache key
// (docs/token-cache.md), so each account at a provider has its own cached
// login while the key's encoding stays as published.
func (o Options) ExtraParams() (map[string]string, error) {
	if o.LoginHint == "" {
		return o.AuthRequestExtraParams, nil
	}
	if v, ok := o.AuthRequestExtraParams["login_hint"]; ok && v != o.LoginHint {
		return nil, fmt.Errorf("--oidc-login-hint=%s and --oidc-auth-request-extra-params=login_hint=%s disagree: give one of them", o.LoginHint, v)
	}
	out := maps.Clone(o.AuthRequestExtraParams)
	if out == nil {
		out = map[string]string{}
	}
	out["login_hint"] = o.LoginHint
	return out, nil
}
