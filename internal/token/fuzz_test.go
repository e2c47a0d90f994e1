package token

import (
	"encoding/base64"
	"testing"
)

func FuzzDecodeClaims(f *testing.F) {
	f.Add(jwt(`{"exp":1800000000,"iat":1,"sub":"s"}`))
	f.Add("a." + base64.RawURLEncoding.EncodeToString([]byte(`{"exp":1e308}`)) + ".c")
	f.Add("a." + base64.RawURLEncoding.EncodeToString([]byte(`{"exp":-1e308,"iat":"x"}`)) + ".c")
	f.Add("..")
	f.Add("a.=.c")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := DecodeClaims(in)
		if err == nil && c == nil {
			t.Fatal("nil claims without an error")
		}
		if err == nil {
			c.Map() // must not panic either
		}
	})
}
