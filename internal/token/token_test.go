package token

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func jwt(payload string) string {
	return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
}

func TestDecodeClaims(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		wantExp  time.Time
		wantErr  bool
	}{
		{"integer exp", jwt(`{"exp":1800000000,"iat":1799996400,"sub":"s","email":"a@b"}`), time.Unix(1800000000, 0), false},
		{"float exp", jwt(`{"exp":1800000000.5}`), time.Unix(1800000000, 5e8), false},
		{"padded payload", "h." + base64.URLEncoding.EncodeToString([]byte(`{"exp":1}`)) + ".s", time.Unix(1, 0), false},
		{"no exp", jwt(`{"sub":"s"}`), time.Time{}, true},
		{"two parts", "a.b", time.Time{}, true},
		{"not base64", "a.!!!.c", time.Time{}, true},
		{"not JSON", jwt(`nope`), time.Time{}, true},
		{"exp a string", jwt(`{"exp":"soon"}`), time.Time{}, true},
		{"empty", "", time.Time{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := DecodeClaims(tc.in)
			if tc.wantErr {
				if !errors.Is(err, ErrMalformed) {
					t.Errorf("err = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil || !c.Expiry.Equal(tc.wantExp) {
				t.Errorf("DecodeClaims = %+v, %v", c, err)
			}
		})
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2")
	for _, got := range []string{fmt.Sprint(s), fmt.Sprintf("%v %s %#v %+v", s, s, s, s), fmt.Sprintf("%v", struct{ P Secret }{s})} {
		if got == "" || strings.Contains(got, "hunter2") {
			t.Errorf("printed %q", got)
		}
	}
	if s.Reveal() != "hunter2" {
		t.Error("Reveal")
	}
}

// BenchmarkDecodeClaims decodes a payload each time; DecodeClaims itself
// would answer all but the first from what it remembers
// (BenchmarkDecodeClaimsRemembered).
func BenchmarkDecodeClaims(b *testing.B) {
	in := jwt(`{"iss":"https://issuer.example.com","sub":"08a8684b-db88-4b73-90a9-3cd1661f5466","aud":"kubelogin","exp":1800000000,"iat":1799996400,"email":"admin@example.com","groups":["a","b"]}`)
	for b.Loop() {
		if _, err := decodeClaims(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeClaimsRemembered(b *testing.B) {
	in := jwt(`{"iss":"https://issuer.example.com","sub":"08a8684b-db88-4b73-90a9-3cd1661f5466","aud":"kubelogin","exp":1800000000,"iat":1799996400,"email":"admin@example.com","groups":["a","b"]}`)
	for b.Loop() {
		if _, err := DecodeClaims(in); err != nil {
			b.Fatal(err)
		}
	}
}

// TestClaimNamesAreCaseSensitive: "Exp" is not "exp" (RFC 7519 section 4),
// although encoding/json matches struct fields case-insensitively (found by
// FuzzDecodeClaims).
func TestClaimNamesAreCaseSensitive(t *testing.T) {
	if _, err := DecodeClaims(jwt(`{"Exp":1800000000}`)); err == nil {
		t.Error(`a payload with "Exp" and no "exp" was accepted`)
	}
	c, err := DecodeClaims(jwt(`{"exp":1800000000,"SUB":"impostor","sub":"s","Email":"x@example.com"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "s" || c.Email != "" {
		t.Errorf("sub = %q, email = %q; want the exact claims only", c.Subject, c.Email)
	}
}

// DecodeClaims remembers its latest JWT; what it answers must not depend on
// what was decoded before.
func TestDecodeClaimsRemembersOnlyItsInput(t *testing.T) {
	a, b := jwt(`{"exp":1800000000,"sub":"a"}`), jwt(`{"exp":1900000000,"sub":"b"}`)
	for _, step := range []struct {
		in, wantSub string
	}{{a, "a"}, {a, "a"}, {b, "b"}, {"not.a.jwt", ""}, {b, "b"}, {a, "a"}} {
		c, err := DecodeClaims(step.in)
		if step.wantSub == "" {
			if err == nil {
				t.Fatalf("DecodeClaims(%q) accepted it after a valid JWT", step.in)
			}
			continue
		}
		if err != nil || c.Subject != step.wantSub {
			t.Fatalf("DecodeClaims(%s) = %+v, %v; want sub %s", step.wantSub, c, err, step.wantSub)
		}
	}
	// A caller's Claims are its own: a change does not reach the next call.
	for i := range 3 {
		c, err := DecodeClaims(a)
		if err != nil || c.Subject != "a" || !c.Expiry.Equal(time.Unix(1800000000, 0)) {
			t.Fatalf("call %d after a caller's change: %+v, %v", i, c, err)
		}
		c.Subject, c.Expiry = "changed by a caller", time.Time{}
	}
}
