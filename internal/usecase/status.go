package usecase

import (
	"time"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/system"
	"github.com/kubelogin/kubelogin/internal/token"
)

// StatusInput is what status was told.
type StatusInput struct {
	Dir    string
	Filter CacheFilter
}

// StatusResult is what status found, for the command line to show as a
// table or as JSON.
type StatusResult struct {
	Dir    string
	Filter CacheFilter
	// Logins are the cached logins the filter selects.
	Logins []LoginStatus
	// Others counts the logins the filter left out.
	Others int
	// Now is when the expiries were judged.
	Now time.Time
}

// Status lists the cached logins.
type Status struct {
	OS  system.OS
	Log *logger.Logger
}

// NewStatus returns the use-case.
func NewStatus(sys system.OS, log *logger.Logger) *Status {
	return &Status{OS: sys, Log: log}
}

// LoginStatus is one cached login as status shows it (the JSON output). It
// holds no token.
type LoginStatus struct {
	Key      string   `json:"key"`
	Storage  string   `json:"storage"`
	Issuer   string   `json:"issuer,omitempty"`
	ClientID string   `json:"client_id,omitempty"`
	Subject  string   `json:"subject,omitempty"`
	Email    string   `json:"email,omitempty"`
	Groups   []string `json:"groups,omitempty"`
	// IDTokenExpiry is the ID token's exp; IDTokenValid tells whether it has
	// not passed (get-token refreshes a minute earlier).
	IDTokenExpiry     *time.Time `json:"id_token_expiry,omitempty"`
	IDTokenValid      bool       `json:"id_token_valid"`
	AccessTokenExpiry *time.Time `json:"access_token_expiry,omitempty"`
	RefreshToken      bool       `json:"refresh_token"`
	// RefreshTokenExpiry is known only for refresh tokens that are JWTs.
	RefreshTokenExpiry *time.Time `json:"refresh_token_expiry,omitempty"`
	Error              string     `json:"error,omitempty"`
}

// Run reads the cached logins.
func (u *Status) Run(in StatusInput) (*StatusResult, error) {
	all, err := listCache(in.Dir)
	if err != nil {
		return nil, err
	}
	res := &StatusResult{Dir: in.Dir, Filter: in.Filter, Logins: []LoginStatus{}, Now: u.OS.Now()}
	for _, c := range all {
		if c.matches(in.Filter) {
			res.Logins = append(res.Logins, describe(c, res.Now))
		} else {
			res.Others++
		}
	}
	return res, nil
}

func describe(c cached, now time.Time) LoginStatus {
	s := LoginStatus{Key: c.Key, Storage: c.Storage}
	if c.Err != nil {
		s.Error = c.Err.Error()
	}
	if c.Entry == nil {
		return s
	}
	e := c.Entry
	s.Issuer, s.ClientID = e.Issuer, e.ClientID
	s.RefreshToken = e.RefreshToken != ""
	if !e.AccessTokenExpiry.IsZero() {
		s.AccessTokenExpiry = ptr(e.AccessTokenExpiry.UTC().Truncate(time.Second))
	}
	if e.RefreshToken != "" {
		if rc, err := token.DecodeClaims(e.RefreshToken); err == nil && !rc.Expiry.IsZero() {
			s.RefreshTokenExpiry = ptr(rc.Expiry.UTC())
		}
	}
	if cl := c.claims(); cl != nil {
		s.Subject, s.Email = cl.Subject, cl.Email
		s.Groups = groups(cl)
		if !cl.Expiry.IsZero() {
			s.IDTokenExpiry = ptr(cl.Expiry.UTC())
			s.IDTokenValid = now.Before(cl.Expiry)
		}
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// groups reads the groups claim, a list of strings or one string.
func groups(c *token.Claims) []string {
	m, err := c.Map()
	if err != nil {
		return nil
	}
	return stringList(m["groups"])
}

// stringList reads a claim that is one string or a list of strings, as aud
// (RFC 7519 section 4.1.3) and most providers' groups.
func stringList(v any) []string {
	switch a := v.(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, s := range a {
			if s, ok := s.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
