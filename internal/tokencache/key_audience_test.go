package tokencache

import (
	"strings"
	"testing"
)

// The token exchange and the audience join the key only when set: every key
// of the settings that existed before stays byte for byte the same.
func TestKeyTokenExchangeAndAudience(t *testing.T) {
	base := KeyInput{IssuerURL: "https://issuer.example.com", ClientID: "kubelogin"}
	before := string(base.Canonical())
	if strings.Contains(before, "audience") || strings.Contains(before, "token_exchange") {
		t.Fatalf("unset members are encoded: %s", before)
	}
	a, b := base, base
	a.Audience, b.Audience = "cluster-a", "cluster-b"
	if a.Key() == b.Key() || a.Key() == base.Key() {
		t.Error("two audiences (or none) share a key")
	}
	if want := `"audience":"cluster-a"`; !strings.Contains(string(a.Canonical()), want) {
		t.Errorf("canonical %s lacks %s", a.Canonical(), want)
	}
	x1, x2 := base, base
	x1.TokenExchange = map[string]any{"subject": "env:T", "audience": []string{"b", "a", "a"}}
	x2.TokenExchange = map[string]any{"subject": "env:T", "audience": []string{"a", "b"}}
	if x1.Key() != x2.Key() {
		t.Error("the order or repetition of audiences changes the key")
	}
	if want := `"grant":"token-exchange","issuer"`; !strings.Contains(string(x1.Canonical()), want) {
		t.Errorf("canonical %s lacks %s", x1.Canonical(), want)
	}
}
