package kubeconfig

import (
	"fmt"
	"strings"
	"testing"
)

func TestAuthProviderNeverPrintsASecret(t *testing.T) {
	a := AuthProvider{IssuerURL: "https://issuer.example.com", ClientID: "kubelogin", ClientSecret: "secret-client",
		IDToken: "secret-id-token", RefreshToken: "secret-refresh-token", ExtraScopes: []string{"email"}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X"} {
		for _, v := range []any{a, &a, struct{ A *AuthProvider }{&a}, []AuthProvider{a}} {
			got := fmt.Sprintf(verb, v)
			if strings.Contains(got, "secret") || strings.Contains(got, fmt.Sprintf("%x", "secret")) {
				t.Errorf("%s of %T printed a secret: %s", verb, v, got)
			}
		}
	}
	if got := fmt.Sprintf("%+v", a); !strings.Contains(got, "IssuerURL:https://issuer.example.com") || !strings.Contains(got, "IDToken:[redacted]") {
		t.Errorf("%%+v = %s, want the settings and which secrets are present", got)
	}
	if got := fmt.Sprintf("%+v", AuthProvider{IssuerURL: "i"}); strings.Contains(got, "[redacted]") {
		t.Errorf("absent secrets print as present: %s", got)
	}
}
