package cli

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kubelogin/kubelogin/internal/usecase"
)

// writeStatus shows status's result as a table.
func writeStatus(w io.Writer, res *usecase.StatusResult) error {
	if len(res.Logins) == 0 {
		f := res.Filter
		if res.Others == 0 || f.Issuer == "" && f.ClientID == "" {
			fmt.Fprintf(w, "No cached logins in %s.\n", res.Dir)
			return nil
		}
		var of, other, flags []string
		if f.Issuer != "" {
			of, other, flags = append(of, "issuer "+f.Issuer), append(other, "issuers"), append(flags, "--issuer")
		}
		if f.ClientID != "" {
			of, other, flags = append(of, "client "+f.ClientID), append(other, "clients"), append(flags, "--client-id")
		}
		them := "them"
		if res.Others == 1 {
			them = "it"
		}
		fmt.Fprintf(w, "No cached logins for %s in %s (%s for other %s: run status without %s to list %s).\n",
			strings.Join(of, " and "), res.Dir, plural(res.Others, "login", "logins"), strings.Join(other, " or "), strings.Join(flags, " and "), them)
		return nil
	}
	now := res.Now
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ISSUER\tCLIENT\tUSER\tGROUPS\tID TOKEN\tREFRESH TOKEN\tSTORAGE\tKEY")
	for _, r := range res.Logins {
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

// writeClean shows what clean did; ok tells whether it ended without an error.
func writeClean(w io.Writer, res *usecase.CleanResult, ok bool) {
	for _, l := range res.Removed {
		fmt.Fprintf(w, "Removed %s\n", l)
	}
	for _, name := range res.Legacy {
		fmt.Fprintf(w, "Removed a login cached by int128/kubelogin (%s)\n", name[:min(12, len(name))])
	}
	if len(res.Removed)+len(res.Legacy) == 0 && ok {
		fmt.Fprintf(w, "No cached logins to remove in %s.\n", res.Dir)
	}
	if res.Kept > 0 {
		fmt.Fprintf(w, "Kept %s: their issuer and client are unknown (run clean without --issuer and --client-id to remove them).\n",
			plural(res.Kept, "unreadable entry", "unreadable entries"))
	}
	if res.Left > 0 {
		fmt.Fprintf(w, "Left %s in %s that %s not kubelogin's.\n", plural(res.Left, "file", "files"), res.Dir, pick(res.Left, "is", "are"))
	}
}

// writeLogout shows what logout did; ok tells whether it ended without an error.
func writeLogout(w io.Writer, res *usecase.LogoutResult, ok bool) {
	if len(res.Logins)+len(res.Clusters) == 0 && ok {
		fmt.Fprintf(w, "No cached login for these settings in %s: nothing to do.\n", res.Dir)
	}
	for _, l := range res.Logins {
		switch {
		case l.Unreadable:
			fmt.Fprintf(w, "The cached login is unreadable: nothing to revoke.\n")
		case l.What == "":
			fmt.Fprintf(w, "The cached login has no refresh or access token: nothing to revoke.\n")
		case l.Endpoint == "":
			fmt.Fprintf(w, "The provider lists no revocation endpoint: the %s was not revoked and stays valid until it expires.\n", l.What)
		default:
			fmt.Fprintf(w, "Revoked the %s at %s.\n", l.What, l.Endpoint)
		}
		if l.Removed {
			fmt.Fprintf(w, "Removed %s.\n", l.Label)
		}
	}
	if n := len(res.Clusters); n > 0 {
		fmt.Fprintf(w, "Removed %s of this login (%s).\n", plural(n, "cluster token", "cluster tokens"), strings.Join(res.Clusters, ", "))
	}
}

// plural is "1 file", "2 files".
func plural(n int, one, many string) string {
	return fmt.Sprintf("%d %s", n, pick(n, one, many))
}

func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
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
