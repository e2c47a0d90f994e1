package oidc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// TestVerifyWithPicksTheSigningKey: the key named by kid, or any key when
// the token names none; never a key marked for encryption, nor another
// key's kid. Mutation survivors of make mutation (docs/security.md).
func TestVerifyWithPicksTheSigningKey(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv}, nil)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := signer.Sign([]byte(`{"sub":"s"}`))
	if err != nil {
		t.Fatal(err)
	}
	compact, _ := signed.CompactSerialize()
	jws, err := jose.ParseSigned(compact, signingAlgs)
	if err != nil {
		t.Fatal(err)
	}
	key := func(k *ecdsa.PrivateKey, kid, use string) jose.JSONWebKey {
		return jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Use: use, Algorithm: "ES256"}
	}
	for _, tc := range []struct {
		name string
		keys []jose.JSONWebKey
		kid  string
		want bool
	}{
		{"by kid", []jose.JSONWebKey{key(other, "k0", "sig"), key(priv, "k1", "sig")}, "k1", true},
		{"no use given", []jose.JSONWebKey{key(priv, "k1", "")}, "k1", true},
		{"no kid in the token: any key", []jose.JSONWebKey{key(other, "k0", ""), key(priv, "k1", "sig")}, "", true},
		{"the key is for encryption", []jose.JSONWebKey{key(priv, "k1", "enc")}, "k1", false},
		{"another kid", []jose.JSONWebKey{key(priv, "k1", "sig")}, "k2", false},
		{"kid of another key", []jose.JSONWebKey{key(other, "k1", "sig"), key(priv, "k2", "sig")}, "k1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload, ok := verifyWith(jws, &jose.JSONWebKeySet{Keys: tc.keys}, tc.kid)
			if ok != tc.want || ok && string(payload) != `{"sub":"s"}` {
				t.Errorf("verifyWith = %q, %v; want %v", payload, ok, tc.want)
			}
		})
	}
}
