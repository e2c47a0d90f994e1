package usecase

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/system"
	"github.com/kubelogin/kubelogin/internal/token"
)

// StatusInput is what status was told.
type StatusInput struct {
	Dir    string
	Filter CacheFilter
	// JSON selects the JSON output instead of the table.
	JSON bool
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

// Run prints the cached logins on stdout.
func (u *Status) Run(in StatusInput) error {
	all, err := listCache(in.Dir)
	if err != nil {
		return err
	}
	now := u.OS.Now()
	rows := []LoginStatus{}
	for _, c := range all {
		if c.matches(in.Filter) {
			rows = append(rows, describe(c, now))
		}
	}
	if in.JSON {
		enc := json.NewEncoder(u.OS.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintf(u.OS.Stdout, "No cached logins in %s.\n", in.Dir)
		return nil
	}
	return writeTable(u.OS.Stdout, rows, now)
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
	switch g := m["groups"].(type) {
	case string:
		return []string{g}
	case []any:
		var out []string
		for _, v := range g {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func writeTable(w io.Writer, rows []LoginStatus, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ISSUER\tCLIENT\tUSER\tGROUPS\tID TOKEN\tREFRESH TOKEN\tSTORAGE\tKEY")
	for _, r := range rows {
		if r.Issuer == "" && r.Error != "" {
			fmt.Fprintf(tw, "(unreadable: %s)\t\t\t\t\t\t%s\t%s\n", oneLine(r.Error, 80), r.Storage, r.Key[:12])
			continue
		}
		idTok := "none"
		if r.IDTokenExpiry != nil {
			idTok = until(*r.IDTokenExpiry, now)
		}
		refresh := "none"
		switch {
		case r.RefreshTokenExpiry != nil:
			refresh = until(*r.RefreshTokenExpiry, now)
		case r.RefreshToken:
			refresh = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Issuer, r.ClientID, cmp.Or(r.Email, r.Subject, "-"),
			cmp.Or(oneLine(strings.Join(r.Groups, ","), 40), "-"), idTok, refresh, r.Storage, r.Key[:12])
	}
	return tw.Flush()
}

// until says how long until t, or how long ago it passed.
func until(t, now time.Time) string {
	if d := t.Sub(now); d > 0 {
		return "expires in " + human(d)
	}
	return "expired " + human(now.Sub(t)) + " ago"
}

func human(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}
