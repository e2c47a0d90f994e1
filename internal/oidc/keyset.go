package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// signingAlgs are the JWS algorithms accepted at all; the verifier narrows
// them to what the provider advertises. "none" is never accepted.
var signingAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// keySet verifies ID token signatures with the provider's JWKS, taken from the
// metadata cache when fresh, and fetched at most once per run: when there are
// no keys yet, or when a token names a key ID the cached set lacks (rotation).
type keySet struct {
	c       *Client
	keys    *jose.JSONWebKeySet
	fetched bool
}

// VerifySignature implements go-oidc's KeySet.
func (k *keySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(raw, signingAlgs)
	if err != nil {
		return nil, fmt.Errorf("malformed JWT: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("malformed JWT: want exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	if k.keys != nil {
		if payload, ok := verifyWith(jws, k.keys, kid); ok {
			return payload, nil
		}
	}
	if k.fetched {
		return nil, errors.New("failed to verify signature: no key in the provider's JWKS matches")
	}
	if err := k.fetch(ctx); err != nil {
		return nil, err
	}
	if payload, ok := verifyWith(jws, k.keys, kid); ok {
		return payload, nil
	}
	return nil, errors.New("failed to verify signature: no key in the provider's JWKS matches")
}

func (k *keySet) fetch(ctx context.Context) error {
	k.fetched = true
	m := k.c.meta
	if m.JWKSURI == "" {
		return errors.New("the provider's discovery document has no jwks_uri")
	}
	k.c.cfg.Log.Debugf(1, "oidc: fetching the provider's keys")
	body, age, err := k.c.fetchJSON(ctx, m.JWKSURI)
	if err != nil {
		return fmt.Errorf("fetch the provider's signing keys: %w", err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return fmt.Errorf("read the provider's signing keys: %w", err)
	}
	k.keys = &set
	k.c.cached.JWKS = body
	k.c.cached.JWKSExpires = k.c.cfg.Now().Add(age)
	k.c.saveCached()
	return nil
}

// load takes the JWKS from the cache when it is fresh.
func (k *keySet) load(m *cachedMetadata, now time.Time) {
	if len(m.JWKS) == 0 || !now.Before(m.JWKSExpires) {
		return
	}
	var set jose.JSONWebKeySet
	if json.Unmarshal(m.JWKS, &set) == nil {
		k.keys = &set
	}
}

func verifyWith(jws *jose.JSONWebSignature, set *jose.JSONWebKeySet, kid string) ([]byte, bool) {
	candidates := set.Keys
	if kid != "" {
		candidates = set.Key(kid)
	}
	for _, key := range candidates {
		if key.Use != "" && key.Use != "sig" {
			continue
		}
		if payload, err := jws.Verify(key.Key); err == nil {
			return payload, true
		}
	}
	return nil, false
}
