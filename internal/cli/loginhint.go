package cli

import (
	"fmt"
	"maps"
)

// extraParams returns the authorization request's extra parameters with
// --oidc-login-hint as login_hint. Extra parameters are part of the cache key
// (docs/token-cache.md), so each account at a provider has its own cached
// login while the key's encoding stays as published.
func (o *getTokenOptions) extraParams() (map[string]string, error) {
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
