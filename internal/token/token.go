// Package token holds the token set that flows between the cache, the grants and
// the ExecCredential writer, and decodes JWT payloads without verifying them.
//
// Decoding without verification is only used for tokens that were verified when
// they were obtained (they come from our own cache) or for display.
package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kubelogin/kubelogin/internal/jsonobj"
)

// Set is what a login or a refresh yields and what the cache keeps.
type Set struct {
	IDToken      string `json:"id_token,omitempty"`
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	// AccessTokenExpiry is the access token's expiry from the token response's
	// expires_in; zero when the provider did not say.
	AccessTokenExpiry time.Time `json:"access_token_expiry,omitzero"`
	// ObtainedAt is when the provider answered: the issue time of an opaque
	// access token, which carries no iat, for the expiry margin.
	ObtainedAt time.Time `json:"obtained_at,omitzero"`
}

// Claims are the registered claims the plugin reads from an ID token, plus the
// whole payload for display.
type Claims struct {
	Subject  string
	Issuer   string
	Expiry   time.Time
	IssuedAt time.Time
	Email    string
	Raw      map[string]any
	RawBytes []byte
}

// ErrMalformed is returned for a string that is not a JWS compact serialisation.
var ErrMalformed = errors.New("not a JWT")

// DecodeClaims decodes the payload of a JWT without verifying its signature.
// Each call returns its own Claims; RawBytes is shared by the calls for the
// same JWT.
func DecodeClaims(jwt string) (*Claims, error) {
	last.Lock()
	defer last.Unlock()
	if last.claims != nil && last.jwt == jwt {
		c := *last.claims
		return &c, nil
	}
	c, err := decodeClaims(jwt)
	if err != nil {
		return nil, err
	}
	last.jwt, last.claims = jwt, c
	copied := *c
	return &copied, nil
}

// last remembers the latest decoded JWT: a cached get-token decodes its
// token twice (is it usable, and then its expiry for kubectl), and a decode
// was a sixth of the run's own instructions (callgrind).
var last struct {
	sync.Mutex
	jwt    string
	claims *Claims
}

func decodeClaims(jwt string) (*Claims, error) {
	first := strings.IndexByte(jwt, '.')
	if first < 0 {
		return nil, ErrMalformed
	}
	rest := jwt[first+1:]
	second := strings.IndexByte(rest, '.')
	if second < 0 {
		return nil, ErrMalformed
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(rest[:second], "="))
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	// Claim names are case-sensitive (RFC 7519 section 4): decode the top
	// level by exact name (jsonobj). A claim that is not of its type is
	// malformed.
	top, err := jsonobj.Members(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	var c struct {
		Sub, Iss, Email string
		Exp, Iat        json.Number
	}
	if err := jsonobj.Decode(top,
		jsonobj.Field{Name: "sub", Dst: &c.Sub}, jsonobj.Field{Name: "iss", Dst: &c.Iss}, jsonobj.Field{Name: "email", Dst: &c.Email},
		jsonobj.Field{Name: "exp", Dst: &c.Exp}, jsonobj.Field{Name: "iat", Dst: &c.Iat},
	); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	exp, err := numericDate(c.Exp)
	if err != nil {
		return nil, fmt.Errorf("%w: exp: %v", ErrMalformed, err)
	}
	iat, _ := numericDate(c.Iat)
	return &Claims{Subject: c.Sub, Issuer: c.Iss, Expiry: exp, IssuedAt: iat, Email: c.Email, RawBytes: payload}, nil
}

// Map decodes the whole payload, for display (setup, status).
func (c *Claims) Map() (map[string]any, error) {
	if c.Raw != nil {
		return c.Raw, nil
	}
	var m map[string]any
	if err := json.Unmarshal(c.RawBytes, &m); err != nil {
		return nil, err
	}
	c.Raw = m
	return m, nil
}

func numericDate(n json.Number) (time.Time, error) {
	if n == "" {
		return time.Time{}, errors.New("missing")
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, err
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), nil
}

// Secret is a string that never prints: fmt, %v and %s show "[redacted]".
// Use Reveal at the one place the value must leave the process.
type Secret string

// String implements fmt.Stringer.
func (Secret) String() string { return "[redacted]" }

// GoString implements fmt.GoStringer.
func (Secret) GoString() string { return "[redacted]" }

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// Format prints a Set with every token redacted, whatever the verb (%v, %+v,
// %#v, %s, %q, %x, …), so that a Set logged or wrapped into an error by
// mistake shows which tokens are present and when they expire, never a token.
// JSON keeps the tokens: it is the cache's format.
func (s Set) Format(f fmt.State, verb rune) {
	present := func(v string) string {
		if v == "" {
			return `""`
		}
		return "[redacted]"
	}
	fmt.Fprintf(f, "token.Set{IDToken:%s AccessToken:%s RefreshToken:%s AccessTokenExpiry:%s ObtainedAt:%s}",
		present(s.IDToken), present(s.AccessToken), present(s.RefreshToken),
		s.AccessTokenExpiry.Format(time.RFC3339), s.ObtainedAt.Format(time.RFC3339))
}
