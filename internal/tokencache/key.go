// Package tokencache keeps tokens between plugin runs: the cache key, the disk
// store, the per-key lock and the caching token source.
package tokencache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
)

// KeyVersion is the version of the cache key encoding. Bump it only when the
// encoding must change; every user logs in once more when it does.
const KeyVersion = 1

// KeyInput is every setting that changes which token a login yields. The key is
// SHA-256 over its canonical encoding, documented in docs/token-cache.md: a JSON
// object with sorted keys, sorted and de-duplicated lists, no insignificant
// whitespace. The same inputs give the same key in every version of the plugin.
type KeyInput struct {
	IssuerURL      string
	ClientID       string
	ClientSecret   string
	Scopes         []string
	RedirectURL    string
	PKCEMethod     string
	UseAccessToken bool
	RequestHeaders map[string]string
	ExtraParams    map[string]string
	// CACerts are the contents of the CA certificates given by flags (PEM);
	// the key holds their SHA-256, so moving a CA file does not force a login.
	CACerts  [][]byte
	Username string

	// Members added after version 1 of the encoding appear only when set, so
	// that the keys of every setting that existed before stay the same.

	// ClientCredentials marks tokens of the client itself (the
	// client-credentials grant), which must not answer for a user's login.
	ClientCredentials bool
	// ClientAssertion names where a client assertion comes from
	// ("key:PATH", "file:PATH", "env:NAME"): two workloads sharing a client ID
	// but not an identity get two entries.
	ClientAssertion string
	// TokenExchange describes a token exchange (--grant-type=token-exchange):
	// where the subject token comes from, the token types, the audiences and
	// resources; string lists are sorted and de-duplicated.
	TokenExchange map[string]any
	// Audience is the audience a token was obtained for (--request-audience,
	// or a cluster's exec extension): each audience has its own entry, and
	// the login it was obtained from has the entry without it.
	Audience string
}

// Key returns the hex SHA-256 of the canonical encoding.
func (in KeyInput) Key() string {
	sum := sha256.Sum256(in.Canonical())
	return hex.EncodeToString(sum[:])
}

// Canonical returns the canonical encoding that Key hashes.
func (in KeyInput) Canonical() []byte {
	cas := make([]string, 0, len(in.CACerts))
	for _, c := range in.CACerts {
		s := sha256.Sum256(c)
		cas = append(cas, hex.EncodeToString(s[:]))
	}
	// encoding/json writes map keys sorted, which makes the object canonical.
	m := map[string]any{
		"v":                KeyVersion,
		"issuer":           in.IssuerURL,
		"client_id":        in.ClientID,
		"client_secret":    in.ClientSecret,
		"scopes":           sortedSet(in.Scopes),
		"redirect_url":     in.RedirectURL,
		"pkce_method":      in.PKCEMethod,
		"use_access_token": in.UseAccessToken,
		"request_headers":  nonNil(in.RequestHeaders),
		"extra_params":     nonNil(in.ExtraParams),
		"ca_sha256":        sortedSet(cas),
		"username":         in.Username,
	}
	if in.ClientCredentials {
		m["grant"] = "client-credentials"
	}
	if in.ClientAssertion != "" {
		m["client_assertion"] = in.ClientAssertion
	}
	if in.TokenExchange != nil {
		m["grant"] = "token-exchange"
		x := map[string]any{}
		for k, v := range in.TokenExchange {
			if l, ok := v.([]string); ok {
				v = sortedSet(l)
			}
			x[k] = v
		}
		m["token_exchange"] = x
	}
	if in.Audience != "" {
		m["audience"] = in.Audience
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // plain RFC 8259 escaping, not Go's HTML-safe variant
	if err := enc.Encode(m); err != nil {
		panic("tokencache: canonical key encoding: " + err.Error()) // only strings, bools and ints
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func sortedSet(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
