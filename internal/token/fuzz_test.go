package token

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDecodeClaims feeds arbitrary strings: no panic, and what is accepted
// is a JWS compact serialisation (three parts) whose claims agree with a
// plain JSON decoding of its payload.
func FuzzDecodeClaims(f *testing.F) {
	f.Add(jwt(`{"exp":1800000000,"iat":1,"sub":"s"}`))
	f.Add("a." + base64.RawURLEncoding.EncodeToString([]byte(`{"exp":1e308}`)) + ".c")
	f.Add("a." + base64.RawURLEncoding.EncodeToString([]byte(`{"exp":-1e308,"iat":"x"}`)) + ".c")
	f.Add("..")
	f.Add("a.=.c")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := DecodeClaims(in)
		if err != nil {
			return
		}
		if c == nil {
			t.Fatal("nil claims without an error")
		}
		if strings.Count(in, ".") < 2 {
			t.Fatalf("accepted %q, which has fewer than three parts", in)
		}
		m, err := c.Map()
		if err != nil {
			t.Fatalf("accepted %q but its payload is not a JSON object: %v", in, err)
		}
		if _, ok := m["exp"].(float64); !ok {
			t.Fatalf("accepted %q without a numeric exp", in)
		}
		for claim, got := range map[string]string{"sub": c.Subject, "iss": c.Issuer, "email": c.Email} {
			if want, _ := m[claim].(string); got != want {
				t.Fatalf("%s = %q, the payload says %q", claim, got, want)
			}
		}
	})
}

// FuzzClaimsRoundTrip builds a JWT from claims and decodes it again: every
// claim comes back as it went in (padded or not).
func FuzzClaimsRoundTrip(f *testing.F) {
	f.Add("08a8684b", "https://issuer.example.com", "a@example.com", int64(1800000000), int64(1799996400), false)
	f.Add("", "", "", int64(0), int64(-1), true)
	f.Add("ü\"\\", "x", "\u2028", int64(-1<<40), int64(1<<40), true)
	f.Fuzz(func(t *testing.T, sub, iss, email string, exp, iat int64, padded bool) {
		if !utf8.ValidString(sub) || !utf8.ValidString(iss) || !utf8.ValidString(email) {
			t.Skip("JSON cannot carry invalid UTF-8")
		}
		// Within the range float64 holds exactly (NumericDate is a JSON number).
		exp, iat = exp%(1<<52), iat%(1<<52)
		payload, _ := json.Marshal(map[string]any{"sub": sub, "iss": iss, "email": email, "exp": exp, "iat": iat, "aud": "kubelogin"})
		enc := base64.RawURLEncoding.EncodeToString(payload)
		if padded {
			enc = base64.URLEncoding.EncodeToString(payload)
		}
		c, err := DecodeClaims("eyJhbGciOiJSUzI1NiJ9." + enc + ".c2ln")
		if err != nil {
			t.Fatalf("%s: %v", payload, err)
		}
		if c.Subject != sub || c.Issuer != iss || c.Email != email {
			t.Fatalf("%s decoded as sub %q iss %q email %q", payload, c.Subject, c.Issuer, c.Email)
		}
		if !c.Expiry.Equal(time.Unix(exp, 0)) || !c.IssuedAt.Equal(time.Unix(iat, 0)) {
			t.Fatalf("%s decoded as exp %v iat %v", payload, c.Expiry.Unix(), c.IssuedAt.Unix())
		}
		if m, err := c.Map(); err != nil || m["aud"] != "kubelogin" {
			t.Fatalf("%s: the whole payload reads back as %v, %v", payload, m, err)
		}
	})
}
