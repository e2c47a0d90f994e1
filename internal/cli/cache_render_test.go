package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubelogin/kubelogin/internal/usecase"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"--exec-arg=--oidc-issuer-url=https://i": "--exec-arg=--oidc-issuer-url=https://i",
		"https://i#sub":                          "'https://i#sub'",
		"it's":                                   `'it'\''s'`,
		"":                                       "''",
		"a b":                                    "'a b'",
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestUntil(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{59*time.Minute + 30*time.Second, "expires in 59m"},
		{30 * time.Second, "expires in 30s"},
		{26 * time.Hour, "expires in 26h00m"},
		{-3 * time.Hour, "expired 3h00m ago"},
		{-72 * time.Hour, "expired 3d ago"},
	} {
		if got := until(now.Add(tc.d), now); got != tc.want {
			t.Errorf("until(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// status with a filter that selects nothing says whether other logins exist.
func TestStatusNothingSelected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		filter usecase.CacheFilter
		others int
		want   string
	}{
		{"empty cache", usecase.CacheFilter{}, 0, "No cached logins in /c.\n"},
		{"filter, nothing else", usecase.CacheFilter{Issuer: "https://x"}, 0, "No cached logins in /c.\n"},
		{"issuer, one other", usecase.CacheFilter{Issuer: "https://x"}, 1,
			"No cached logins for issuer https://x in /c (1 login for other issuers: run status without --issuer to list it).\n"},
		{"issuer, three others", usecase.CacheFilter{Issuer: "https://x"}, 3,
			"No cached logins for issuer https://x in /c (3 logins for other issuers: run status without --issuer to list them).\n"},
		{"issuer and client", usecase.CacheFilter{Issuer: "https://x", ClientID: "k"}, 2,
			"No cached logins for issuer https://x and client k in /c (2 logins for other issuers or clients: run status without --issuer and --client-id to list them).\n"},
		{"client", usecase.CacheFilter{ClientID: "k"}, 2,
			"No cached logins for client k in /c (2 logins for other clients: run status without --client-id to list them).\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := writeStatus(&b, &usecase.StatusResult{Dir: "/c", Filter: tc.filter, Others: tc.others, Logins: []usecase.LoginStatus{}}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// One file, two files: every count clean prints agrees with its noun.
func TestCleanPlurals(t *testing.T) {
	for _, tc := range []struct {
		res  usecase.CleanResult
		want []string
	}{
		{usecase.CleanResult{Dir: "/c", Kept: 1, Left: 1}, []string{"Kept 1 unreadable entry: ", "Left 1 file in /c that is not kubelogin's."}},
		{usecase.CleanResult{Dir: "/c", Kept: 2, Left: 3}, []string{"Kept 2 unreadable entries: ", "Left 3 files in /c that are not kubelogin's."}},
	} {
		var b bytes.Buffer
		writeClean(&b, &tc.res, true)
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("clean says %q, want %q", b.String(), w)
			}
		}
	}
}

func TestWriteLogout(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  usecase.LogoutResult
		ok   bool
		want string
	}{
		{"nothing", usecase.LogoutResult{Dir: "/c"}, true, "No cached login for these settings in /c: nothing to do.\n"},
		{"nothing, failed", usecase.LogoutResult{Dir: "/c"}, false, ""},
		{"revoked", usecase.LogoutResult{Logins: []usecase.LoggedOut{{Label: "L", What: "refresh token", Endpoint: "https://i/revoke", Removed: true}}}, true,
			"Revoked the refresh token at https://i/revoke.\nRemoved L.\n"},
		{"no endpoint", usecase.LogoutResult{Logins: []usecase.LoggedOut{{Label: "L", What: "access token", Removed: true}}}, true,
			"The provider lists no revocation endpoint: the access token was not revoked and stays valid until it expires.\nRemoved L.\n"},
		{"unreadable, then not removed", usecase.LogoutResult{Logins: []usecase.LoggedOut{{Label: "L", Unreadable: true}}}, false,
			"The cached login is unreadable: nothing to revoke.\n"},
		{"no token", usecase.LogoutResult{Logins: []usecase.LoggedOut{{Label: "L", Removed: true}}}, true,
			"The cached login has no refresh or access token: nothing to revoke.\nRemoved L.\n"},
		{"with clusters", usecase.LogoutResult{Logins: []usecase.LoggedOut{{Label: "L", What: "refresh token", Endpoint: "https://i/revoke", Removed: true}},
			Clusters: []string{"cluster-a", "cluster-b"}}, true,
			"Revoked the refresh token at https://i/revoke.\nRemoved L.\nRemoved 2 cluster tokens of this login (cluster-a, cluster-b).\n"},
		{"one cluster, the login gone before", usecase.LogoutResult{Dir: "/c", Clusters: []string{"cluster-a"}}, true,
			"Removed 1 cluster token of this login (cluster-a).\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			writeLogout(&b, &tc.res, tc.ok)
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
