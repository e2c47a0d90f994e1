package usecase

import (
	"errors"
	"time"

	"github.com/kubelogin/kubelogin/internal/token"
)

// DefaultExpiryMargin is how long before its expiry a cached token stops being
// used, so that it does not expire in the middle of a kubectl command (and
// clock skew between this machine and the API server does not bite). For
// tokens that live less than ten minutes the margin is a tenth of the lifetime.
const DefaultExpiryMargin = time.Minute

// credential picks the token to hand to kubectl and its expiry.
func credential(s *token.Set, useAccessToken bool) (tok string, exp, iat time.Time, err error) {
	if useAccessToken {
		if s.AccessToken == "" {
			return "", time.Time{}, time.Time{}, errors.New("the provider sent no access token")
		}
		exp = s.AccessTokenExpiry
		if c, err := token.DecodeClaims(s.AccessToken); err == nil {
			iat = c.IssuedAt
			if exp.IsZero() {
				exp = c.Expiry
			}
		}
		if iat.IsZero() {
			iat = s.ObtainedAt // opaque tokens carry no iat
		}
		if exp.IsZero() && s.IDToken != "" {
			if c, err := token.DecodeClaims(s.IDToken); err == nil {
				exp = c.Expiry
			}
		}
		return s.AccessToken, exp, iat, nil
	}
	if s.IDToken == "" {
		return "", time.Time{}, time.Time{}, errors.New("no ID token")
	}
	c, err := token.DecodeClaims(s.IDToken)
	if err != nil {
		return "", time.Time{}, time.Time{}, err
	}
	return s.IDToken, c.Expiry, c.IssuedAt, nil
}

// usableAt reports whether the token can still be used at now: it has more
// than the expiry margin left.
func usableAt(s *token.Set, useAccessToken bool, now time.Time) bool {
	_, exp, iat, err := credential(s, useAccessToken)
	if err != nil || exp.IsZero() {
		return false
	}
	return now.Add(expiryMargin(exp, iat)).Before(exp)
}

func expiryMargin(exp, iat time.Time) time.Duration {
	if iat.IsZero() || !iat.Before(exp) {
		return DefaultExpiryMargin
	}
	return min(DefaultExpiryMargin, exp.Sub(iat)/10)
}
