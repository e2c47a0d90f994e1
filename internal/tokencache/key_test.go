package tokencache

import (
	"fmt"
	"testing"
)

func TestKeyIsStableAcrossMapOrder(t *testing.T) {
	want := ""
	for i := range 200 {
		headers, params := map[string]string{}, map[string]string{}
		// Insert in a different order each time; Go also randomises iteration.
		for j := range 20 {
			k := (j*7 + i) % 20
			headers[fmt.Sprintf("X-H%d", k)] = fmt.Sprint(k)
			params[fmt.Sprintf("p%d", k)] = fmt.Sprint(k)
		}
		got := KeyInput{IssuerURL: "https://issuer", ClientID: "c", RequestHeaders: headers, ExtraParams: params,
			Scopes: []string{"groups", "email", "groups"}}.Key()
		if want == "" {
			want = got
		}
		if got != want {
			t.Fatalf("run %d: key %s, want %s", i, got, want)
		}
	}
}

// The encoding is a published format: changing it logs every user out.
func TestCanonicalEncodingIsFrozen(t *testing.T) {
	in := KeyInput{
		IssuerURL: "https://issuer.example.com", ClientID: "kubelogin", ClientSecret: "s<>&",
		Scopes: []string{"profile", "email"}, RedirectURL: "", PKCEMethod: "auto",
		RequestHeaders: map[string]string{"B": "2", "A": "1"}, ExtraParams: map[string]string{"prompt": "consent"},
		CACerts: [][]byte{[]byte("pem")}, Username: "alice",
	}
	const want = `{"ca_sha256":["f0aeace912cf19dc1c6fffd41de6e395daeb5462f1221945706bd0674c3005eb"],"client_id":"kubelogin","client_secret":"s<>&","extra_params":{"prompt":"consent"},"issuer":"https://issuer.example.com","pkce_method":"auto","redirect_url":"","request_headers":{"A":"1","B":"2"},"scopes":["email","profile"],"use_access_token":false,"username":"alice","v":1}`
	if got := string(in.Canonical()); got != want {
		t.Errorf("canonical encoding changed:\n got %s\nwant %s", got, want)
	}
}

func TestKeyChangesWithEachSetting(t *testing.T) {
	base := KeyInput{IssuerURL: "https://i", ClientID: "c"}
	variants := []KeyInput{
		{IssuerURL: "https://i/", ClientID: "c"},
		{IssuerURL: "https://i", ClientID: "d"},
		{IssuerURL: "https://i", ClientID: "c", ClientSecret: "s"},
		{IssuerURL: "https://i", ClientID: "c", Scopes: []string{"email"}},
		{IssuerURL: "https://i", ClientID: "c", RedirectURL: "http://localhost:8000"},
		{IssuerURL: "https://i", ClientID: "c", PKCEMethod: "S256"},
		{IssuerURL: "https://i", ClientID: "c", UseAccessToken: true},
		{IssuerURL: "https://i", ClientID: "c", RequestHeaders: map[string]string{"a": "b"}},
		{IssuerURL: "https://i", ClientID: "c", ExtraParams: map[string]string{"a": "b"}},
		{IssuerURL: "https://i", ClientID: "c", CACerts: [][]byte{[]byte("x")}},
		{IssuerURL: "https://i", ClientID: "c", Username: "u"},
		{IssuerURL: "https://i", ClientID: "c", ClientCredentials: true},
		{IssuerURL: "https://i", ClientID: "c", ClientCredentials: true, ClientAssertion: "file:/var/run/token"},
		{IssuerURL: "https://i", ClientID: "c", ClientCredentials: true, ClientAssertion: "env:CI_TOKEN"},
	}
	seen := map[string]int{base.Key(): -1}
	for i, v := range variants {
		k := v.Key()
		if j, ok := seen[k]; ok {
			t.Errorf("variant %d has the same key as %d", i, j)
		}
		seen[k] = i
	}
}

func BenchmarkKey(b *testing.B) {
	in := KeyInput{IssuerURL: "https://issuer.example.com", ClientID: "kubelogin", Scopes: []string{"email", "groups"},
		ExtraParams: map[string]string{"prompt": "consent", "audience": "k8s"}}
	for b.Loop() {
		in.Key()
	}
}
