package grant

import (
	"cmp"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/kubelogin/kubelogin/internal/oidc"
	"github.com/kubelogin/kubelogin/internal/token"
)

// assertionLifetime is the lifetime of a signed client assertion: it is used
// at once, and providers refuse long-lived ones.
const assertionLifetime = 5 * time.Minute

// KeyAssertion signs private_key_jwt client assertions (RFC 7523 section 2.2,
// OpenID Connect Core section 9): iss = sub = the client ID, aud = the token
// endpoint, a fresh jti, iat and a 5-minute exp.
type KeyAssertion struct {
	clientID string
	key      crypto.Signer
	alg      jose.SignatureAlgorithm
	headers  map[jose.HeaderKey]any
	now      func() time.Time
}

// LoadKeyAssertion reads a PEM private key (RSA or EC; PKCS#8, PKCS#1 or
// SEC 1) and, when certFile is not "", its PEM certificate chain, leaf first.
// The kid is kid when not "", else the certificate's SHA-256 thumbprint when
// there is one (also sent as x5t#S256, with x5t and the chain as x5c), else
// the key's JWK thumbprint (RFC 7638). Providers pick the registered key by
// it: it must be the kid the key was registered with, if any.
func LoadKeyAssertion(keyFile, certFile, kid, clientID string, now func() time.Time) (*KeyAssertion, error) {
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("read --oidc-client-assertion-key: %w", err)
	}
	key, err := parsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("--oidc-client-assertion-key %s: %w", keyFile, err)
	}
	k := &KeyAssertion{clientID: clientID, key: key, now: now, headers: map[jose.HeaderKey]any{}}
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		k.alg = jose.RS256
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P256():
			k.alg = jose.ES256
		case elliptic.P384():
			k.alg = jose.ES384
		case elliptic.P521():
			k.alg = jose.ES512
		default:
			return nil, fmt.Errorf("--oidc-client-assertion-key %s: unsupported curve %s (use P-256, P-384 or P-521)", keyFile, pub.Curve.Params().Name)
		}
	}
	if certFile == "" {
		tp, err := (&jose.JSONWebKey{Key: key.Public()}).Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("--oidc-client-assertion-key %s: %w", keyFile, err)
		}
		k.headers["kid"] = cmp.Or(kid, base64.RawURLEncoding.EncodeToString(tp))
		return k, nil
	}
	chain, err := readCertChain(certFile)
	if err != nil {
		return nil, err
	}
	leaf := chain[0]
	if pub, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(key.Public()) {
		return nil, fmt.Errorf("the first certificate in --oidc-client-assertion-cert %s is not for the key in --oidc-client-assertion-key %s", certFile, keyFile)
	}
	s256, s1 := sha256.Sum256(leaf.Raw), sha1.Sum(leaf.Raw) // x5t is SHA-1 by definition (RFC 7515); a fingerprint, not a signature
	x5c := make([]string, len(chain))
	for i, c := range chain {
		x5c[i] = base64.StdEncoding.EncodeToString(c.Raw)
	}
	k.headers["kid"] = cmp.Or(kid, base64.RawURLEncoding.EncodeToString(s256[:]))
	k.headers["x5t#S256"] = base64.RawURLEncoding.EncodeToString(s256[:])
	k.headers["x5t"] = base64.RawURLEncoding.EncodeToString(s1[:])
	k.headers["x5c"] = x5c
	return k, nil
}

// KeyID returns the kid sent in the assertions' header.
func (k *KeyAssertion) KeyID() string { return k.headers["kid"].(string) }

// Algorithm returns the signature algorithm of the assertions.
func (k *KeyAssertion) Algorithm() string { return string(k.alg) }

// Assertion returns a signed assertion for audience; it implements oidc.Assertion.
func (k *KeyAssertion) Assertion(audience string) (string, error) {
	opts := (&jose.SignerOptions{}).WithType("JWT")
	for h, v := range k.headers {
		opts = opts.WithHeader(h, v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.key}, opts)
	if err != nil {
		return "", fmt.Errorf("sign the client assertion: %w", err)
	}
	now := k.now()
	claims := jwt.Claims{
		Issuer:   k.clientID,
		Subject:  k.clientID,
		Audience: jwt.Audience{audience},
		ID:       randomString(),
		IssuedAt: jwt.NewNumericDate(now),
		Expiry:   jwt.NewNumericDate(now.Add(assertionLifetime)),
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("sign the client assertion: %w", err)
	}
	return s, nil
}

func parsePrivateKey(b []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return nil, errors.New("no PEM private key found (want PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)")
		}
		if strings.Contains(block.Type, "ENCRYPTED") || block.Headers["Proc-Type"] != "" {
			return nil, errors.New("the key is encrypted; give an unencrypted one (openssl pkey -in KEY -out PLAIN), readable only by you")
		}
		var key any
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			continue // e.g. EC PARAMETERS, or a certificate in the same file
		}
		if err != nil {
			return nil, fmt.Errorf("parse the %s: %w", strings.ToLower(block.Type), err)
		}
		switch k := key.(type) {
		case *rsa.PrivateKey:
			if k.N.BitLen() < 2048 {
				return nil, fmt.Errorf("the RSA key has %d bits; providers want at least 2048", k.N.BitLen())
			}
			return k, nil
		case *ecdsa.PrivateKey:
			return k, nil
		case ed25519.PrivateKey:
			return nil, errors.New("an Ed25519 key is not supported for client assertions (use RSA or EC P-256)")
		}
		return nil, fmt.Errorf("unsupported key type %T (use RSA or EC)", key)
	}
}

func readCertChain(file string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read --oidc-client-assertion-cert: %w", err)
	}
	var chain []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("--oidc-client-assertion-cert %s: %w", file, err)
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("--oidc-client-assertion-cert %s holds no PEM certificate", file)
	}
	return chain, nil
}

// FileAssertion returns the federated token in file as the client assertion,
// read at every login: projected service account tokens and CI tokens are
// rotated in place.
func FileAssertion(file string, now func() time.Time) oidc.Assertion {
	return func(string) (string, error) {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read --oidc-client-assertion-file: %w", err)
		}
		return federated(strings.TrimSpace(string(b)), "the file "+file+" (--oidc-client-assertion-file)", now)
	}
}

// EnvAssertion returns the federated token in the environment variable name
// as the client assertion.
func EnvAssertion(name string, getenv func(string) string, now func() time.Time) oidc.Assertion {
	return func(string) (string, error) {
		return federated(strings.TrimSpace(getenv(name)), "the environment variable "+name+" (--oidc-client-assertion-env)", now)
	}
}

// federated checks what can be checked of a federated token without its
// issuer's keys, for a clearer message than the provider's refusal.
func federated(jwt, where string, now func() time.Time) (string, error) {
	if jwt == "" {
		return "", fmt.Errorf("%s is empty or unset: it must hold the token to log in with", where)
	}
	c, err := token.DecodeClaims(jwt)
	if errors.Is(err, token.ErrMalformed) && strings.Count(jwt, ".") != 2 {
		return "", fmt.Errorf("%s does not hold a JWT", where)
	}
	if err == nil && !c.Expiry.IsZero() && !now().Before(c.Expiry) {
		return "", fmt.Errorf("the token in %s expired at %s (is whatever writes it still running?)", where, c.Expiry.UTC().Format(time.RFC3339))
	}
	return jwt, nil
}
