package grant

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/go-cmp/cmp"
)

var testNow = time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)

func writePEM(t *testing.T, name string, blocks ...*pem.Block) string {
	t.Helper()
	var b []byte
	for _, bl := range blocks {
		b = append(b, pem.EncodeToMemory(bl)...)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func selfSigned(t *testing.T, key crypto.Signer, cn string) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

// verifyAssertion checks the signature with pub and returns the header and claims.
func verifyAssertion(t *testing.T, raw string, pub crypto.PublicKey) (jose.Header, jwt.Claims) {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.ES384})
	if err != nil {
		t.Fatalf("parse assertion: %v", err)
	}
	var c jwt.Claims
	if err := tok.Claims(pub, &c); err != nil {
		t.Fatalf("assertion signature: %v", err)
	}
	return tok.Headers[0], c
}

func TestKeyAssertion(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	pkcs8 := func(k any) *pem.Block {
		b, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return &pem.Block{Type: "PRIVATE KEY", Bytes: b}
	}
	ecDER, _ := x509.MarshalECPrivateKey(ecKey)
	leaf := selfSigned(t, rsaKey, "kubelogin")
	issuer := selfSigned(t, ecKey, "issuer CA")
	jwkThumb := func(pub crypto.PublicKey) string {
		tp, _ := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
		return base64.RawURLEncoding.EncodeToString(tp)
	}
	certThumb := sha256.Sum256(leaf.Raw)

	tests := []struct {
		name     string
		key      *pem.Block
		kid      string
		certs    []*x509.Certificate
		pub      crypto.PublicKey
		wantAlg  string
		wantKid  string
		wantX5C  int
		wantX5TS string
	}{
		{name: "RSA PKCS#1", key: &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}, pub: rsaKey.Public(), wantAlg: "RS256", wantKid: jwkThumb(rsaKey.Public())},
		{name: "RSA PKCS#8", key: pkcs8(rsaKey), pub: rsaKey.Public(), wantAlg: "RS256", wantKid: jwkThumb(rsaKey.Public())},
		{name: "EC SEC 1 with parameters block", key: &pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}, pub: ecKey.Public(), wantAlg: "ES256", wantKid: jwkThumb(ecKey.Public())},
		{name: "EC P-384", key: pkcs8(ec384), pub: ec384.Public(), wantAlg: "ES384", wantKid: jwkThumb(ec384.Public())},
		{name: "kid given", key: pkcs8(ecKey), kid: "registered-kid", pub: ecKey.Public(), wantAlg: "ES256", wantKid: "registered-kid"},
		{name: "RSA with chain", key: pkcs8(rsaKey), certs: []*x509.Certificate{leaf, issuer}, pub: rsaKey.Public(), wantAlg: "RS256",
			wantKid: base64.RawURLEncoding.EncodeToString(certThumb[:]), wantX5C: 2, wantX5TS: base64.RawURLEncoding.EncodeToString(certThumb[:])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keyFile := writePEM(t, "key.pem", &pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 5, 43, 129, 4, 0, 34}}, tt.key)
			certFile := ""
			if tt.certs != nil {
				var blocks []*pem.Block
				for _, c := range tt.certs {
					blocks = append(blocks, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
				}
				certFile = writePEM(t, "chain.pem", blocks...)
			}
			k, err := LoadKeyAssertion(keyFile, certFile, tt.kid, "my-client", func() time.Time { return testNow })
			if err != nil {
				t.Fatal(err)
			}
			raw, err := k.Assertion("https://issuer.example.com/token")
			if err != nil {
				t.Fatal(err)
			}
			h, c := verifyAssertion(t, raw, tt.pub)
			if h.Algorithm != tt.wantAlg || h.KeyID != tt.wantKid {
				t.Errorf("alg %s kid %s, want %s %s", h.Algorithm, h.KeyID, tt.wantAlg, tt.wantKid)
			}
			if typ := h.ExtraHeaders["typ"]; typ != "JWT" {
				t.Errorf("typ = %v", typ)
			}
			x5c := rawHeader(t, raw).X5C
			if len(x5c) != tt.wantX5C {
				t.Errorf("x5c has %d certificates, want %d", len(x5c), tt.wantX5C)
			}
			if tt.wantX5C > 0 && x5c[0] != base64.StdEncoding.EncodeToString(leaf.Raw) {
				t.Error("x5c does not start with the leaf")
			}
			if got, _ := h.ExtraHeaders["x5t#S256"].(string); got != tt.wantX5TS {
				t.Errorf("x5t#S256 = %q, want %q", got, tt.wantX5TS)
			}
			want := jwt.Claims{Issuer: "my-client", Subject: "my-client", Audience: jwt.Audience{"https://issuer.example.com/token"},
				ID: c.ID, IssuedAt: jwt.NewNumericDate(testNow), Expiry: jwt.NewNumericDate(testNow.Add(5 * time.Minute))}
			if diff := cmp.Diff(want, c); diff != "" || len(c.ID) < 16 {
				t.Errorf("claims (-want +got):\n%s (jti %q)", diff, c.ID)
			}
			again, _ := k.Assertion("https://issuer.example.com/token")
			if _, c2 := verifyAssertion(t, again, tt.pub); c2.ID == c.ID {
				t.Error("two assertions share a jti")
			}
		})
	}
}

// rawHeader decodes the JWS header as sent.
func rawHeader(t *testing.T, raw string) (h struct {
	X5C []string `json:"x5c"`
}) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	if err == nil {
		err = json.Unmarshal(b, &h)
	}
	if err != nil {
		t.Fatalf("header: %v", err)
	}
	return h
}

func TestKeyAssertionErrors(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	keyFile := writePEM(t, "key.pem", &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})
	tests := []struct {
		name      string
		key, cert string
		want      string
	}{
		{"missing key file", filepath.Join(t.TempDir(), "nope.pem"), "", "read --oidc-client-assertion-key"},
		{"no PEM", writePEM(t, "c.pem", &pem.Block{Type: "CERTIFICATE", Bytes: selfSigned(t, rsaKey, "x").Raw}), "", "no PEM private key found"},
		{"encrypted", writePEM(t, "e.pem", &pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), "", "the key is encrypted"},
		{"weak RSA", writePEM(t, "s.pem", &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(small)}), "", "1024 bits"},
		{"certificate of another key", keyFile, writePEM(t, "o.pem", &pem.Block{Type: "CERTIFICATE", Bytes: selfSigned(t, other, "x").Raw}), "is not for the key"},
		{"no certificate", keyFile, writePEM(t, "k.pem", &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}), "holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadKeyAssertion(tt.key, tt.cert, "", "c", time.Now)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func unsignedJWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(claims)) + ".c2ln"
}

func TestFederatedAssertions(t *testing.T) {
	now := func() time.Time { return testNow }
	file := filepath.Join(t.TempDir(), "token")
	fromFile := FileAssertion(file, now)
	if _, err := fromFile("aud"); err == nil || !strings.Contains(err.Error(), "read --oidc-client-assertion-file") {
		t.Errorf("missing file: %v", err)
	}
	valid := unsignedJWT(`{"iss":"https://k8s","sub":"system:serviceaccount:ci:deployer","exp":` + itoa(testNow.Add(time.Hour).Unix()) + `}`)
	rotated := unsignedJWT(`{"iss":"https://k8s","sub":"system:serviceaccount:ci:deployer","exp":` + itoa(testNow.Add(2*time.Hour).Unix()) + `}`)
	for _, tok := range []string{valid, rotated} {
		os.WriteFile(file, []byte(tok+"\n"), 0o600)
		got, err := fromFile("aud")
		if err != nil || got != tok {
			t.Errorf("file assertion = %q, %v; want the file's current token", got, err)
		}
	}
	for _, tt := range []struct {
		name, value, want string
	}{
		{"empty", "  \n", "is empty or unset"},
		{"not a JWT", "hello", "does not hold a JWT"},
		{"expired", unsignedJWT(`{"exp":` + itoa(testNow.Add(-time.Minute).Unix()) + `}`), "expired at 2026-11-23T17:59:00Z"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			os.WriteFile(file, []byte(tt.value), 0o600)
			_, err := fromFile("aud")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), file) {
				t.Errorf("err = %v, want %q naming the file", err, tt.want)
			}
			if err != nil && len(tt.value) > 8 && strings.Contains(err.Error(), tt.value) {
				t.Error("the error shows the token")
			}
		})
	}
	env := map[string]string{"CI_JOB_JWT": valid}
	fromEnv := EnvAssertion("CI_JOB_JWT", func(k string) string { return env[k] }, now)
	if got, err := fromEnv("aud"); err != nil || got != valid {
		t.Errorf("env assertion = %q, %v", got, err)
	}
	delete(env, "CI_JOB_JWT")
	if _, err := fromEnv("aud"); err == nil || !strings.Contains(err.Error(), "environment variable CI_JOB_JWT (--oidc-client-assertion-env) is empty or unset") {
		t.Errorf("unset env: %v", err)
	}
}

func itoa(n int64) string { return big.NewInt(n).String() }
