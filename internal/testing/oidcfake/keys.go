package oidcfake

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// keySet holds the RSA keys: the published one, the one of the UnknownKid
// fault (published once used) and the rogue one of the BadSignature fault.
// The last two are generated on first use: RSA key generation is slow.
type keySet struct {
	primary jose.JSONWebKey

	mu        sync.Mutex
	second    *jose.JSONWebKey
	published bool // second is in the JWKS
	rogue     *rsa.PrivateKey
}

func newKeySet() (*keySet, error) {
	k, err := newRSAKey()
	if err != nil {
		return nil, err
	}
	return &keySet{primary: k}, nil
}

// newRSAKey returns an RSA 2048 key whose kid is its RFC 7638 thumbprint.
func newRSAKey() (jose.JSONWebKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	jwk := jose.JSONWebKey{Key: priv, Algorithm: string(jose.RS256), Use: "sig"}
	pub := jwk.Public()
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	jwk.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	return jwk, nil
}

// signingKey returns the key to sign the next ID token with, per the faults.
func (k *keySet) signingKey(f Faults) (jose.JSONWebKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case f.BadSignature:
		if k.rogue == nil {
			priv, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				return jose.JSONWebKey{}, err
			}
			k.rogue = priv
		}
		return jose.JSONWebKey{Key: k.rogue, KeyID: k.primary.KeyID, Algorithm: string(jose.RS256)}, nil
	case f.UnknownKid:
		if k.second == nil {
			jwk, err := newRSAKey()
			if err != nil {
				return jose.JSONWebKey{}, err
			}
			k.second = &jwk
		}
		k.published = true
		return *k.second, nil
	}
	return k.primary, nil
}

// public returns the JWKS.
func (k *keySet) public() jose.JSONWebKeySet {
	k.mu.Lock()
	defer k.mu.Unlock()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k.primary.Public()}}
	if k.published {
		set.Keys = append(set.Keys, k.second.Public())
	}
	return set
}

func (p *Provider) handleJWKS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "max-age=3600")
	writeJSON(w, http.StatusOK, p.keys.public())
}

// signIDToken serializes claims as a compact JWS per the faults.
func (p *Provider) signIDToken(claims map[string]any, f Faults) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	if f.AlgNone {
		header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
		return header + "." + base64.RawURLEncoding.EncodeToString(payload) + ".", nil
	}
	key, err := p.keys.signingKey(f)
	if err != nil {
		return "", fmt.Errorf("generate signing key: %w", err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// atHash returns the at_hash claim of an RS256 ID token for accessToken.
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// newServerCert returns a server certificate for 127.0.0.1, ::1 and
// localhost, the PEM of the CA that signed it and a pool holding that CA.
func newServerCert() (tls.Certificate, []byte, *x509.CertPool, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "oidcfake CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caPEM, pool, nil
}
