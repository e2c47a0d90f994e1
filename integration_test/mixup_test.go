package integration_test

import (
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// TestMixUpDefence runs the built binary against a provider whose
// authorization response names another issuer, or none (RFC 9207): the code
// is never exchanged, nothing is cached, and one line says why.
func TestMixUpDefence(t *testing.T) {
	const (
		evil     = "https://evil.example.com"
		wrongIss = `the authorization response came from another issuer (iss "https://evil.example.com", expected "ISSUER"), a possible mix-up attack: ` +
			"check that --oidc-issuer-url is the provider you logged in to and that no other login ran in this browser, then log in again"
		noIss = "the authorization response carries no iss although ISSUER advertises authorization_response_iss_parameter_supported, so it may come from another issuer (a possible mix-up attack): " +
			"check that --oidc-issuer-url is the provider you logged in to and that nothing between the browser and kubelogin rewrites the redirect, then log in again"
	)
	for _, tc := range []struct {
		name   string
		cfg    oidcfake.Config
		faults oidcfake.Faults
		want   string // "" = the login works
	}{
		{"advertised, wrong iss", oidcfake.Config{}, oidcfake.Faults{AuthResponseIss: evil}, wrongIss},
		{"advertised, no iss", oidcfake.Config{}, oidcfake.Faults{NoAuthResponseIss: true}, noIss},
		{"not advertised, wrong iss", oidcfake.Config{NoIssParameter: true}, oidcfake.Faults{AuthResponseIss: evil}, wrongIss},
		{"advertised, wrong iss in an error response", oidcfake.Config{}, oidcfake.Faults{AuthResponseIss: evil, AuthError: "access_denied"}, wrongIss},
		{"not advertised, no iss", oidcfake.Config{NoIssParameter: true}, oidcfake.Faults{}, ""},
		{"advertised, right iss", oidcfake.Config{}, oidcfake.Faults{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.cfg)
			e.provider.SetFaults(tc.faults)
			r := e.getToken()
			if tc.want == "" {
				mustCredential(t, r)
				if e.provider.TokenRequests("authorization_code") != 1 || len(e.cacheEntries()) != 1 {
					t.Errorf("code exchanges %d, cache entries %d; want 1 and 1", e.provider.TokenRequests("authorization_code"), len(e.cacheEntries()))
				}
				return
			}
			want := strings.ReplaceAll(tc.want, "ISSUER", e.provider.Issuer())
			mustFail(t, r, "error: "+want+"\n")
			if n := e.provider.Count("token"); n != 0 {
				t.Errorf("%d token requests: the code of a refused response was exchanged", n)
			}
			if len(e.cacheEntries()) != 0 {
				t.Error("something was cached after a refused response")
			}
			if e.launches() != 1 || !strings.Contains(e.browserLog(), "done Login failed") {
				t.Errorf("want one launch ending on the failure page:\n%s", e.browserLog())
			}
		})
	}
}
