package usecase

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMigrateFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want []string
	}{
		{"nothing obsolete", []string{"--oidc-issuer-url=https://i"}, []string{"--oidc-issuer-url=https://i"}},
		{"--listen-port, repeated and separate", []string{"--listen-port=8000", "--listen-port", "18000"}, []string{"--listen-address=127.0.0.1:8000", "--listen-address=127.0.0.1:18000"}},
		{"--listen-port comma list", []string{"--listen-port=8000,18000"}, []string{"--listen-address=127.0.0.1:8000", "--listen-address=127.0.0.1:18000"}},
		{"--listen-address wins", []string{"--listen-port=8000", "--listen-address=127.0.0.1:9000"}, []string{"--listen-address=127.0.0.1:9000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := migrateFlags(tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestNeedsTerminal(t *testing.T) {
	for _, tc := range []struct {
		flags []string
		want  bool
	}{
		{nil, false},
		{[]string{"--grant-type=authcode-keyboard"}, true},
		{[]string{"--grant-type=password", "--username=u"}, true},
		{[]string{"--grant-type=password", "--username=u", "--password=p"}, false},
		{[]string{"--username=u"}, true},
		{[]string{"--grant-type=device-code"}, false},
	} {
		if got := needsTerminal(tc.flags); got != tc.want {
			t.Errorf("needsTerminal(%v) = %v", tc.flags, got)
		}
	}
}

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
