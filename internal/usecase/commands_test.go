package usecase

import (
	"testing"

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
		{[]string{"--grant-type", "authcode-keyboard"}, true},
		{[]string{"--grant-type", "device-code", "--username", "u"}, false},
	} {
		if got := needsTerminal(tc.flags); got != tc.want {
			t.Errorf("needsTerminal(%v) = %v", tc.flags, got)
		}
	}
}
