package harness

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The clients of the oidc-provider stack: robots that log in as themselves
// with the client_credentials grant.
const (
	// CIClientID authenticates with client_secret_basic at OIDCProvider.Issuer.
	CIClientID = "ci-pipeline"
	CISecret   = "ci-pipeline-secret"
	// CIPostClientID authenticates with client_secret_post at
	// OIDCProvider.PostOnlyIssuer, whose discovery lists only that method.
	CIPostClientID = "ci-pipeline-post"
	CIPostSecret   = "ci-pipeline-post-secret"
	// CIShortLivedClientID is CIClientID with tokens that live CIShortLivedTTL.
	CIShortLivedClientID = "ci-short-lived"
	CIShortLivedSecret   = "ci-short-lived-secret"
	CIShortLivedTTL      = 2 * time.Second
	// WorkloadECClientID authenticates with private_key_jwt; its JWKS holds
	// the public half of OIDCProvider.ECKey with the key's RFC 7638 JWK
	// thumbprint as kid (what kubelogin sends by default).
	WorkloadECClientID = "workload-ec"
	// WorkloadRSAClientID authenticates with private_key_jwt; its JWKS holds
	// the public half of OIDCProvider.RSAKey with the kid WorkloadRSAKID,
	// chosen by the operator (so kubelogin needs --oidc-client-assertion-kid).
	WorkloadRSAClientID = "workload-rsa"
	WorkloadRSAKID      = "workload-rsa-2026-11"
	// resourceServerID introspects tokens, as an API would.
	resourceServerID     = "acceptance-resource-server"
	resourceServerSecret = "acceptance-resource-server-secret"
	// DefaultClientCredentialsTTL is the lifetime of the other clients' tokens.
	DefaultClientCredentialsTTL = 10 * time.Minute
)

// The mounts of the two providers the node process serves.
const (
	oidcProviderMount         = "/oidc"
	oidcProviderPostOnlyMount = "/oidc-post-only"
)

// OIDCProvider is oidc-provider (npm), a certified OpenID provider, run by
// node with harness/oidc-provider/server.mjs behind a counting proxy. It has
// the client_credentials grant, which Dex does not. The node process serves
// two providers on one HTTPS port: Issuer lists client_secret_basic,
// client_secret_post and private_key_jwt in its discovery document;
// PostOnlyIssuer lists only client_secret_post (as some providers do).
type OIDCProvider struct {
	// Issuer and PostOnlyIssuer are the proxy's URLs of the two providers.
	Issuer, PostOnlyIssuer string
	// Addr is where node itself listens (HTTPS, the stack's server certificate).
	Addr string
	// Proxy counts every request to node; Stack.Stop stops it.
	Proxy *Proxy
	// Version is oidc-provider's version, from its package.json.
	Version string
	// ECKey (P-256) and RSAKey (2048 bits) are PEM PKCS#8 private keys
	// whose public halves the workload clients registered; ECKID is the EC
	// key's JWK thumbprint, its kid in the client's JWKS.
	ECKey, RSAKey, ECKID string

	ec   *ecdsa.PrivateKey
	proc *Process
	tls  *TLSFiles
}

// OIDCProvider starts oidc-provider the first time a test asks for it, and
// returns it (or the error of that first start) afterwards. Its process is
// stopped by Stop, like the rest of the stack; a failed start stops it at once.
func (s *Stack) OIDCProvider(ctx context.Context) (*OIDCProvider, error) {
	s.oidcMu.Lock()
	defer s.oidcMu.Unlock()
	if s.oidc != nil || s.oidcErr != nil {
		return s.oidc, s.oidcErr
	}
	start := time.Now()
	op, err := s.startOIDCProvider(ctx)
	if err != nil {
		s.oidcErr = fmt.Errorf("start oidc-provider: %w", err)
		return nil, s.oidcErr
	}
	s.oidc = op
	s.opts.Logf("oidc-provider %s up in %s: issuers %s and %s (node on %s, log %s)",
		op.Version, time.Since(start).Round(time.Millisecond), op.Issuer, op.PostOnlyIssuer, op.Addr, op.proc.LogPath)
	return op, nil
}

func (s *Stack) startOIDCProvider(ctx context.Context) (op *OIDCProvider, err error) {
	modules := filepath.Join(s.opts.Cache, "oidc-provider", "node_modules")
	version, err := oidcProviderVersion(modules)
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node is not on PATH: %w", err)
	}
	script := filepath.Join(s.opts.ModuleDir, "harness", "oidc-provider", "server.mjs")
	if _, err := os.Stat(script); err != nil {
		return nil, err
	}
	dir := filepath.Join(s.Dir, "oidc-provider")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	nodePort, err := FreePort()
	if err != nil {
		return nil, err
	}
	proxyPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	proxyAddr := "127.0.0.1:" + strconv.Itoa(proxyPort)
	started := &OIDCProvider{
		Issuer:         "https://" + proxyAddr + oidcProviderMount,
		PostOnlyIssuer: "https://" + proxyAddr + oidcProviderPostOnlyMount,
		Addr:           "127.0.0.1:" + strconv.Itoa(nodePort),
		Version:        version,
		tls:            s.TLS,
	}
	op = started
	defer func() { // on an error, op is nil by then: started still holds what runs
		if err != nil {
			started.stop()
		}
	}()
	jwksEC, jwksRSA, err := op.makeKeys(dir)
	if err != nil {
		return nil, err
	}
	config, err := op.config(nodePort, jwksEC, jwksRSA)
	if err != nil {
		return nil, err
	}
	configPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(configPath, config, 0o600); err != nil {
		return nil, err
	}
	env := append(os.Environ(), "OIDC_PROVIDER_NODE_MODULES="+modules, "NODE_ENV=production")
	op.proc, err = StartProcess(dir, "oidc-provider", env, node, script, configPath)
	if err != nil {
		return nil, err
	}
	s.procs.add(op.proc)
	if err := op.waitReady(ctx); err != nil {
		return nil, err
	}
	if op.Proxy, err = s.startProxy(proxyAddr, op.Addr); err != nil {
		return nil, err
	}
	return op, nil
}

// oidcProviderVersion checks that install.sh installed oidc-provider and
// returns its version.
func oidcProviderVersion(modules string) (string, error) {
	b, err := os.ReadFile(filepath.Join(modules, "oidc-provider", "package.json"))
	if err != nil {
		return "", fmt.Errorf("no oidc-provider in %s: run acceptance_test/tools/install.sh (%w)", modules, err)
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return "", fmt.Errorf("oidc-provider's package.json: %w", err)
	}
	return pkg.Version, nil
}

// stop stops the proxy and node (after a failed start; Stack.Stop otherwise).
func (op *OIDCProvider) stop() {
	if op.Proxy != nil {
		op.Proxy.Stop()
	}
	if op.proc != nil {
		op.proc.Stop(5 * time.Second)
	}
}

// jwk is a public JSON Web Key as the workload clients register it.
type jwk map[string]string

// makeKeys makes the workload clients' key pairs, writes the private keys as
// PEM for kubelogin, and returns the public JWKs.
func (op *OIDCProvider) makeKeys(dir string) (ecJWK, rsaJWK jwk, err error) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	point, err := ec.PublicKey.ECDH()
	if err != nil {
		return nil, nil, err
	}
	raw := point.Bytes() // 0x04 || X || Y
	b64 := base64.RawURLEncoding.EncodeToString
	ecJWK = jwk{"kty": "EC", "crv": "P-256", "x": b64(raw[1:33]), "y": b64(raw[33:])}
	op.ECKID = jwkThumbprint(ecJWK, "crv", "kty", "x", "y")
	ecJWK["kid"], ecJWK["use"], ecJWK["alg"] = op.ECKID, "sig", "ES256"
	op.ec = ec

	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	rsaJWK = jwk{"kty": "RSA", "n": b64(rk.N.Bytes()), "e": b64(big.NewInt(int64(rk.E)).Bytes()),
		"kid": WorkloadRSAKID, "use": "sig", "alg": "RS256"}

	op.ECKey, op.RSAKey = filepath.Join(dir, "workload-ec.key"), filepath.Join(dir, "workload-rsa.key")
	for path, key := range map[string]crypto.PrivateKey{op.ECKey: ec, op.RSAKey: rk} {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return nil, nil, err
		}
	}
	return ecJWK, rsaJWK, nil
}

// jwkThumbprint is the RFC 7638 thumbprint of a JWK: the SHA-256 of its
// required members in lexicographic order, base64url.
func jwkThumbprint(k jwk, members ...string) string {
	var b strings.Builder
	b.WriteString("{")
	for i, m := range members {
		if i > 0 {
			b.WriteString(",")
		}
		name, _ := json.Marshal(m)
		value, _ := json.Marshal(k[m])
		b.Write(name)
		b.WriteString(":")
		b.Write(value)
	}
	b.WriteString("}")
	sum := sha256.Sum256([]byte(b.String()))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// config is the JSON server.mjs reads.
func (op *OIDCProvider) config(port int, ecJWK, rsaJWK jwk) ([]byte, error) {
	type client map[string]any
	// meta is a client's metadata: a robot with no redirect URIs.
	meta := func(id, method string, grants []string, more client) client {
		c := client{"client_id": id, "token_endpoint_auth_method": method,
			"grant_types": grants, "response_types": []string{}, "redirect_uris": []string{}}
		maps.Copy(c, more)
		return c
	}
	cc := []string{"client_credentials"}
	secretClient := func(id, secret, method string) client {
		return meta(id, method, cc, client{"client_secret": secret})
	}
	keyClient := func(id string, key jwk) client {
		return meta(id, "private_key_jwt", cc, client{"jwks": map[string]any{"keys": []jwk{key}}})
	}
	resourceServer := func(method string) client {
		return meta(resourceServerID, method, []string{}, client{"client_secret": resourceServerSecret})
	}
	cfg := map[string]any{
		"port": port,
		"cert": op.tls.ServerCert,
		"key":  op.tls.ServerKey,
		"providers": []map[string]any{
			{
				"mount":             oidcProviderMount,
				"issuer":            op.Issuer,
				"clientAuthMethods": []string{"client_secret_basic", "client_secret_post", "private_key_jwt"},
				"clients": []client{
					secretClient(CIClientID, CISecret, "client_secret_basic"),
					secretClient(CIShortLivedClientID, CIShortLivedSecret, "client_secret_basic"),
					keyClient(WorkloadECClientID, ecJWK),
					keyClient(WorkloadRSAClientID, rsaJWK),
					resourceServer("client_secret_basic"),
				},
				"ttl": map[string]int{CIShortLivedClientID: int(CIShortLivedTTL / time.Second)},
			},
			{
				"mount":             oidcProviderPostOnlyMount,
				"issuer":            op.PostOnlyIssuer,
				"clientAuthMethods": []string{"client_secret_post"},
				"clients": []client{
					secretClient(CIPostClientID, CIPostSecret, "client_secret_post"),
					resourceServer("client_secret_post"),
				},
			},
		},
	}
	return json.MarshalIndent(cfg, "", "  ")
}

// nodeURL turns a URL of the proxy into the same URL at node itself.
func (op *OIDCProvider) nodeURL(proxyURL string) string {
	u, err := url.Parse(proxyURL)
	if err != nil {
		return proxyURL
	}
	u.Host = op.Addr
	return u.String()
}

func (op *OIDCProvider) client() (*http.Client, error) {
	cfg, err := op.tls.ClientTLS(false)
	if err != nil {
		return nil, err
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}, nil
}

// waitReady waits until node answers both discovery documents with the
// issuers the harness configured.
func (op *OIDCProvider) waitReady(ctx context.Context) error {
	client, err := op.client()
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	return Poll(ctx, 20*time.Second, 50*time.Millisecond, func() error {
		if err := aliveCheck(op.proc); err != nil {
			return err
		}
		for _, issuer := range []string{op.Issuer, op.PostOnlyIssuer} {
			u := op.nodeURL(issuer) + "/.well-known/openid-configuration"
			resp, err := client.Get(u)
			if err != nil {
				return err
			}
			var d struct {
				Issuer string `json:"issuer"`
			}
			err = json.NewDecoder(resp.Body).Decode(&d)
			resp.Body.Close()
			if err != nil {
				return fmt.Errorf("%s: %s: %w", u, resp.Status, err)
			}
			if d.Issuer != issuer {
				return fmt.Errorf("%s: issuer %q, want %q", u, d.Issuer, issuer)
			}
		}
		return nil
	})
}

// Tail returns the last n lines of node's log: one line per request and one
// per token-endpoint outcome, with oidc-provider's reason for a refusal.
func (op *OIDCProvider) Tail(n int) string { return op.proc.Tail(n) }

// Introspection is oidc-provider's answer about a token (RFC 7662).
type Introspection struct {
	Active    bool   `json:"active"`
	ClientID  string `json:"client_id"`
	Scope     string `json:"scope"`
	TokenType string `json:"token_type"`
	Exp       int64  `json:"exp"`
	Iss       string `json:"iss"`
}

// Introspect asks the provider of issuer, as a resource server would,
// whether token is active and whose it is. It goes to node directly, so the
// proxy does not count it.
func (op *OIDCProvider) Introspect(ctx context.Context, issuer, token string) (*Introspection, error) {
	client, err := op.client()
	if err != nil {
		return nil, err
	}
	defer client.CloseIdleConnections()
	form := url.Values{"token": {token}}
	post := issuer == op.PostOnlyIssuer
	if post {
		form.Set("client_id", resourceServerID)
		form.Set("client_secret", resourceServerSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, op.nodeURL(issuer)+"/token/introspection", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !post {
		req.SetBasicAuth(resourceServerID, resourceServerSecret)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("introspection: %s", resp.Status)
	}
	var in Introspection
	if err := json.NewDecoder(resp.Body).Decode(&in); err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	return &in, nil
}

// ECAssertion is a client assertion for WorkloadECClientID (RFC 7523:
// iss = sub = the client, aud = the token endpoint of issuer), signed ES256
// with ECKey, kid ECKID, expiring after lifetime (negative: already
// expired). It is what a sidecar or a token service would write into a file
// for --oidc-client-assertion-file.
func (op *OIDCProvider) ECAssertion(issuer string, lifetime time.Duration) (string, error) {
	if op.ec == nil {
		return "", errors.New("no EC key")
	}
	now := time.Now()
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	header, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "kid": op.ECKID})
	claims, _ := json.Marshal(map[string]any{
		"iss": WorkloadECClientID, "sub": WorkloadECClientID, "aud": issuer + "/token",
		"jti": base64.RawURLEncoding.EncodeToString(jti),
		"iat": now.Add(min(lifetime, 0)).Add(-time.Minute).Unix(), "exp": now.Add(lifetime).Unix(),
	})
	b64 := base64.RawURLEncoding.EncodeToString
	input := b64(header) + "." + b64(claims)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, op.ec, digest[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64(sig), nil
}
