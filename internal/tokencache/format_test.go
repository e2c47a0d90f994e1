package tokencache

import (
	"fmt"
	"strings"
	"testing"
)

func TestKeyInputNeverPrintsASecret(t *testing.T) {
	in := KeyInput{IssuerURL: "https://issuer.example.com", ClientID: "kubelogin", ClientSecret: "secret-client",
		RequestHeaders: map[string]string{"X-Api-Key": "secret-header"}, Scopes: []string{"email"}}
	key := in.Key()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X"} {
		for _, v := range []any{in, &in, struct{ In KeyInput }{in}, []*KeyInput{&in}} {
			got := fmt.Sprintf(verb, v)
			if strings.Contains(got, "secret") || strings.Contains(got, fmt.Sprintf("%x", "secret")) {
				t.Errorf("%s of %T printed a secret: %s", verb, v, got)
			}
		}
	}
	if got := fmt.Sprintf("%+v", in); !strings.Contains(got, "X-Api-Key:[redacted]") || !strings.Contains(got, "ClientID:kubelogin") {
		t.Errorf("%%+v = %s, want the settings and the header names", got)
	}
	if in.Key() != key || in.RequestHeaders["X-Api-Key"] != "secret-header" {
		t.Error("printing changed the input")
	}
}
