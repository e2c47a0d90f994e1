package harness

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The realm of harness/keycloak/realm.json, as the tests use it.
const (
	KeycloakRealm = "kubelogin"
	// KeycloakUser logs in on Keycloak's login page; the API server names
	// them by KeycloakEmail and sees their groups.
	KeycloakUser     = "alice"
	KeycloakEmail    = "alice@example.com"
	KeycloakPassword = "alice-password"
	// KeycloakViewersGroup is one of the user's 101 groups; the Keycloak API
	// server grants it view.
	KeycloakViewersGroup = "kubelogin-viewers"
	// KeycloakGroups is how many groups the user is in (enough for an ID
	// token over 4 KB).
	KeycloakGroups = 101
	// KeycloakPublicClientID requires PKCE (S256) and has the device grant on.
	KeycloakPublicClientID = "kubelogin-public"
	// KeycloakConfidentialClientID has a secret and the password grant on.
	KeycloakConfidentialClientID = "kubelogin"
	KeycloakConfidentialSecret   = "kubelogin-secret"
	// KeycloakShortLivedClientID is public, PKCE required, with access and ID
	// tokens that live KeycloakShortLivedTTL.
	KeycloakShortLivedClientID = "kubelogin-short-lived"
	KeycloakShortLivedTTL      = 15 * time.Second
	// KeycloakCIClientID is a robot with a secret (client_credentials).
	KeycloakCIClientID = "ci-pipeline"
	KeycloakCISecret   = "ci-pipeline-secret"
	// KeycloakWorkloadClientID is a robot that signs client assertions
	// (private_key_jwt) with Keycloak.WorkloadKey.
	KeycloakWorkloadClientID = "workload-jwt"
	// KeycloakExchangeClientID has standard token exchange (RFC 8693) on.
	KeycloakExchangeClientID = "kubelogin-exchange"
	KeycloakExchangeSecret   = "kubelogin-exchange-secret"
	// KeycloakRobotAudience is the audience the robots' access tokens carry
	// (an audience mapper), which the Keycloak API server accepts.
	KeycloakRobotAudience = "kubernetes"
	// KeycloakRobotPrefix prefixes the robots' preferred_username (they
	// have no email) in the Keycloak API server's usernames.
	KeycloakRobotPrefix = "keycloak-robot:"
)

// KeycloakServiceAccount is the username the API server gives a robot client.
func KeycloakServiceAccount(clientID string) string {
	return KeycloakRobotPrefix + "service-account-" + clientID
}

// Keycloak is the Keycloak server (the distribution install.sh unpacked and
// built), started by the first test that needs it with `kc.sh start
// --optimized` on loopback over HTTPS with the stack's certificate and the
// dev-file (H2) database of a per-run home, importing realm.json. A counting
// proxy is in front of it (its URL is in the issuer), and a second
// kube-apiserver, on the stack's etcd, accepts its tokens through an
// AuthenticationConfiguration.
type Keycloak struct {
	// Issuer is the realm's issuer, at the proxy.
	Issuer string
	// Addr is where Keycloak itself listens (HTTPS).
	Addr string
	// Proxy counts every request to Keycloak; Stack.Stop stops it.
	Proxy *Proxy
	// Version is the Keycloak version install.sh installed.
	Version string
	// Started is how long the start took (Keycloak up, realm imported);
	// RSSKiB is the Java process's resident memory just after.
	Started time.Duration
	RSSKiB  int
	// APIServer is a kube-apiserver that trusts Issuer ("" when the stack
	// runs the stand-in: the Keycloak scenarios then skip what needs it).
	APIServer string
	// AdminKubeconfig is a system:masters kubeconfig for APIServer.
	AdminKubeconfig string
	// WorkloadKey is the PEM (PKCS#8) EC key of KeycloakWorkloadClientID;
	// its public half is registered in the realm under its JWK thumbprint.
	WorkloadKey string
	// Dir holds Keycloak's home, logs and the API server's files.
	Dir string

	adminPassword string
	proc          *Process
	tls           *TLSFiles
	stack         *Stack
}

// keycloakState is the stack's Keycloak, started at most once.
type keycloakState struct {
	mu  sync.Mutex
	kc  *Keycloak
	err error
}

// Keycloak starts Keycloak the first time a test asks for it and returns it
// (or the error of that first start) afterwards.
func (s *Stack) Keycloak(ctx context.Context) (*Keycloak, error) {
	s.keycloak.mu.Lock()
	defer s.keycloak.mu.Unlock()
	if s.keycloak.kc != nil || s.keycloak.err != nil {
		return s.keycloak.kc, s.keycloak.err
	}
	start := time.Now()
	kc, err := s.startKeycloak(ctx)
	if err != nil {
		s.keycloak.err = fmt.Errorf("start keycloak: %w", err)
		return nil, s.keycloak.err
	}
	s.keycloak.kc = kc
	s.opts.Logf("keycloak %s up in %s (Keycloak itself %s, RSS %d MiB): issuer %s, API server %s, log %s",
		kc.Version, time.Since(start).Round(time.Millisecond), kc.Started.Round(time.Millisecond), kc.RSSKiB/1024,
		kc.Issuer, kc.APIServer, kc.proc.LogPath)
	return kc, nil
}

// stopKeycloak stops Keycloak's proxy (its processes are in s.procs).
func (s *Stack) stopKeycloak() {
	s.keycloak.mu.Lock()
	defer s.keycloak.mu.Unlock()
	if s.keycloak.kc != nil && s.keycloak.kc.Proxy != nil {
		s.keycloak.kc.Proxy.Stop()
	}
}

// keycloakInstall returns the Keycloak home install.sh prepared and its
// version, from the stamp file install.sh writes after `kc.sh build`.
func keycloakInstall(cache string) (home, version string, err error) {
	dir := filepath.Join(cache, "keycloak")
	b, err := os.ReadFile(filepath.Join(dir, "installed"))
	if err != nil {
		return "", "", fmt.Errorf("no Keycloak in %s: run acceptance_test/tools/install.sh (it says why when it cannot install it): %w", dir, err)
	}
	version = strings.TrimSpace(string(b))
	home = filepath.Join(dir, "keycloak-"+version)
	if _, err := os.Stat(filepath.Join(home, "bin", "kc.sh")); err != nil {
		return "", "", fmt.Errorf("no kc.sh in %s: run acceptance_test/tools/install.sh: %w", home, err)
	}
	return home, version, nil
}

func (s *Stack) startKeycloak(ctx context.Context) (kc *Keycloak, err error) {
	dist, version, err := keycloakInstall(s.opts.Cache)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(s.Dir, "keycloak")
	home := filepath.Join(dir, "home")
	if err := makeKeycloakHome(dist, home); err != nil {
		return nil, err
	}
	kcPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	proxyPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	proxyAddr := "127.0.0.1:" + strconv.Itoa(proxyPort)
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	k := &Keycloak{
		Issuer:        "https://" + proxyAddr + "/realms/" + KeycloakRealm,
		Addr:          "127.0.0.1:" + strconv.Itoa(kcPort),
		Version:       version,
		Dir:           dir,
		adminPassword: hex.EncodeToString(secret),
		tls:           s.TLS,
		stack:         s,
	}
	kc = k
	defer func() { // on an error, kc is nil by then: k still holds the proxy
		if err != nil && k.Proxy != nil {
			k.Proxy.Stop()
		}
	}()
	jwks, err := kc.makeWorkloadKey()
	if err != nil {
		return nil, err
	}
	if err := writeRealm(filepath.Join(s.opts.ModuleDir, "harness", "keycloak", "realm.json"),
		filepath.Join(home, "data", "import", "realm.json"), jwks); err != nil {
		return nil, err
	}
	// The API server starts meanwhile; its JWT authenticator retries
	// Keycloak's discovery until it answers.
	apiErr := make(chan error, 1)
	go func() { apiErr <- kc.startAPIServer(ctx, s) }()

	start := time.Now()
	// C1 only: the JIT's second tier costs a 2-core machine more at start
	// than it saves in a test run (measured: 196 s → 115 s on a busy machine).
	env := append(os.Environ(), "JAVA_OPTS_APPEND=-XX:TieredStopAtLevel=1",
		"KC_BOOTSTRAP_ADMIN_USERNAME=admin", "KC_BOOTSTRAP_ADMIN_PASSWORD="+kc.adminPassword)
	// The build-time options are install.sh's `kc.sh build` (dev-file
	// database, no health or metrics). --cache=local: the production default
	// is a cluster over JGroups, on 0.0.0.0:7800.
	kc.proc, err = StartProcess(dir, "keycloak", env, filepath.Join(home, "bin", "kc.sh"), "start", "--optimized",
		"--cache=local",
		"--http-enabled=false", "--http-host=127.0.0.1", "--https-port="+strconv.Itoa(kcPort),
		"--https-certificate-file="+s.TLS.ServerCert, "--https-certificate-key-file="+s.TLS.ServerKey,
		"--hostname=https://"+proxyAddr,
		"--import-realm")
	if err != nil {
		<-apiErr
		return nil, err
	}
	s.procs.add(kc.proc)
	readyErr := kc.waitReady(ctx)
	kc.Started = time.Since(start)
	kc.RSSKiB = rssKiB(kc.proc.PID())
	if err := errors.Join(readyErr, <-apiErr); err != nil {
		return nil, err
	}
	if kc.Proxy, err = s.startProxy(proxyAddr, kc.Addr); err != nil {
		return nil, err
	}
	if kc.APIServer != "" {
		if err := kc.grantViewersGroup(ctx); err != nil {
			return nil, err
		}
		if err := kc.waitAuthenticates(ctx); err != nil {
			return nil, err
		}
	}
	return kc, nil
}

// makeKeycloakHome makes a Keycloak home of the run's own: bin copied (kc.sh
// takes its home from its own location), lib, providers, themes and conf
// linked to the built distribution, and a data directory (database, import)
// that no other run shares.
func makeKeycloakHome(dist, home string) error {
	if err := os.MkdirAll(filepath.Join(home, "data", "import"), 0o700); err != nil {
		return err
	}
	for _, d := range []string{"lib", "providers", "themes", "conf"} {
		if err := os.Symlink(filepath.Join(dist, d), filepath.Join(home, d)); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(home, "bin"), 0o700); err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(dist, "bin", "kc.sh"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(home, "bin", "kc.sh"), b, 0o700)
}

// makeWorkloadKey makes the P-256 key of KeycloakWorkloadClientID, writes it
// as PEM for kubelogin, and returns the JWKS to register, with the key's
// RFC 7638 thumbprint as kid (what kubelogin sends by default).
func (kc *Keycloak) makeWorkloadKey() (string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	point, err := key.PublicKey.ECDH()
	if err != nil {
		return "", err
	}
	raw := point.Bytes()
	b64 := base64.RawURLEncoding.EncodeToString
	pub := jwk{"kty": "EC", "crv": "P-256", "x": b64(raw[1:33]), "y": b64(raw[33:])}
	pub["kid"], pub["use"], pub["alg"] = jwkThumbprint(pub, "crv", "kty", "x", "y"), "sig", "ES256"
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	kc.WorkloadKey = filepath.Join(kc.Dir, "workload-jwt.key")
	if err := os.WriteFile(kc.WorkloadKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return "", err
	}
	jwks, err := json.Marshal(map[string]any{"keys": []jwk{pub}})
	return string(jwks), err
}

// writeRealm copies the realm file, registering jwks for the workload client
// (its "jwks.string" attribute).
func writeRealm(src, dst, jwks string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var realm map[string]any
	if err := json.Unmarshal(b, &realm); err != nil {
		return fmt.Errorf("parse %s: %w", src, err)
	}
	clients, _ := realm["clients"].([]any)
	found := false
	for _, c := range clients {
		c, _ := c.(map[string]any)
		if c["clientId"] != KeycloakWorkloadClientID {
			continue
		}
		attrs, _ := c["attributes"].(map[string]any)
		if attrs == nil {
			return fmt.Errorf("%s: client %s has no attributes", src, KeycloakWorkloadClientID)
		}
		attrs["jwks.string"] = jwks
		found = true
	}
	if !found {
		return fmt.Errorf("%s: no client %s", src, KeycloakWorkloadClientID)
	}
	out, err := json.Marshal(realm)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, out, 0o600)
}

// client is an HTTP client that trusts the stack's CA.
func (kc *Keycloak) client() (*http.Client, error) {
	cfg, err := kc.tls.ClientTLS(false)
	if err != nil {
		return nil, err
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}, nil
}

// direct turns a URL at the proxy into the same URL at Keycloak itself.
func (kc *Keycloak) direct(proxyURL string) string {
	u, err := url.Parse(proxyURL)
	if err != nil {
		return proxyURL
	}
	u.Host = kc.Addr
	return u.String()
}

// keycloakStartTimeout bounds Keycloak's start (measured: tens of seconds
// on 2 idle cores, minutes when the machine is busy).
const keycloakStartTimeout = 5 * time.Minute

// waitReady waits until Keycloak serves the realm's discovery document with
// the issuer at the proxy.
func (kc *Keycloak) waitReady(ctx context.Context) error {
	client, err := kc.client()
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	u := kc.direct(kc.Issuer) + "/.well-known/openid-configuration"
	return Poll(ctx, keycloakStartTimeout, 250*time.Millisecond, func() error {
		if err := aliveCheck(kc.proc); err != nil {
			return err
		}
		d, err := getDiscovery(client, u)
		if err != nil {
			return err
		}
		if d.Issuer != kc.Issuer {
			return fmt.Errorf("%s: issuer %q, want %q", u, d.Issuer, kc.Issuer)
		}
		return nil
	})
}

// Discovery is what the tests read of Keycloak's discovery document.
type Discovery struct {
	Issuer                                   string   `json:"issuer"`
	TokenEndpoint                            string   `json:"token_endpoint"`
	RevocationEndpoint                       string   `json:"revocation_endpoint"`
	DeviceAuthorizationEndpoint              string   `json:"device_authorization_endpoint"`
	CodeChallengeMethodsSupported            []string `json:"code_challenge_methods_supported"`
	AuthorizationResponseIssParameterSupport bool     `json:"authorization_response_iss_parameter_supported"`
}

func getDiscovery(client *http.Client, u string) (*Discovery, error) {
	resp, err := client.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", u, resp.Status)
	}
	var d Discovery
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	return &d, nil
}

// Discovery fetches the realm's discovery document through the proxy.
func (kc *Keycloak) Discovery() (*Discovery, error) {
	client, err := kc.client()
	if err != nil {
		return nil, err
	}
	defer client.CloseIdleConnections()
	return getDiscovery(client, kc.Issuer+"/.well-known/openid-configuration")
}

// TokenResponse is the token endpoint's answer: a token set or an OAuth error.
type TokenResponse struct {
	Status           int    `json:"-"`
	AccessToken      string `json:"access_token"`
	IDToken          string `json:"id_token"`
	RefreshToken     string `json:"refresh_token"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// PostForm posts form to a Keycloak endpoint at Keycloak itself (the proxy
// does not count it), authenticating as clientID with secret (Basic) when
// secret is set.
func (kc *Keycloak) PostForm(ctx context.Context, endpoint, clientID, secret string, form url.Values) (*TokenResponse, error) {
	client, err := kc.client()
	if err != nil {
		return nil, err
	}
	defer client.CloseIdleConnections()
	if secret == "" {
		form.Set("client_id", clientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, kc.direct(endpoint), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	tr := &TokenResponse{Status: resp.StatusCode}
	if err := json.NewDecoder(resp.Body).Decode(tr); err != nil {
		return nil, fmt.Errorf("%s: %s, not JSON: %w", endpoint, resp.Status, err)
	}
	return tr, nil
}

// Refresh tries a refresh token at Keycloak's token endpoint, as clientID.
func (kc *Keycloak) Refresh(ctx context.Context, clientID, secret, refreshToken string) (*TokenResponse, error) {
	return kc.PostForm(ctx, kc.Issuer+"/protocol/openid-connect/token", clientID, secret,
		url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

// LogoutUser ends every session of KeycloakUser through the admin REST API
// (as an administrator would after a laptop was lost): their refresh tokens
// stop working.
func (kc *Keycloak) LogoutUser(ctx context.Context) error {
	admin, err := kc.PostForm(ctx, strings.Replace(kc.Issuer, "/realms/"+KeycloakRealm, "/realms/master", 1)+
		"/protocol/openid-connect/token", "admin-cli", "",
		url.Values{"grant_type": {"password"}, "username": {"admin"}, "password": {kc.adminPassword}})
	if err != nil {
		return fmt.Errorf("admin token: %w", err)
	}
	if admin.AccessToken == "" {
		return fmt.Errorf("admin token: %d %s %s", admin.Status, admin.Error, admin.ErrorDescription)
	}
	client, err := kc.client()
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	adminAPI := "https://" + kc.Addr + "/admin/realms/" + KeycloakRealm
	call := func(method, path string, out any) error {
		req, err := http.NewRequestWithContext(ctx, method, adminAPI+path, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+admin.AccessToken)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("%s %s: %s", method, path, resp.Status)
		}
		if out == nil {
			return nil
		}
		return json.NewDecoder(resp.Body).Decode(out)
	}
	var users []struct {
		ID string `json:"id"`
	}
	if err := call(http.MethodGet, "/users?exact=true&username="+KeycloakUser, &users); err != nil {
		return err
	}
	if len(users) != 1 {
		return fmt.Errorf("users named %s: %d, want 1", KeycloakUser, len(users))
	}
	return call(http.MethodPost, "/users/"+users[0].ID+"/logout", nil)
}

// Tail returns the last n lines of Keycloak's log (refused logins and
// token requests are logged as WARN events with their error).
func (kc *Keycloak) Tail(n int) string { return kc.proc.Tail(n) }

// rssKiB is the resident memory (VmRSS) of the processes of a process group
// (kc.sh and its java), 0 if unknown.
func rssKiB(pgid int) int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	total := 0
	for _, stat := range stats {
		b, err := os.ReadFile(stat)
		if err != nil {
			continue
		}
		// "pid (comm) state ppid pgrp …"
		i := strings.LastIndexByte(string(b), ')')
		if f := strings.Fields(string(b[i+1:])); i < 0 || len(f) < 3 || f[2] != strconv.Itoa(pgid) {
			continue
		}
		status, err := os.ReadFile(filepath.Join(filepath.Dir(stat), "status"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
				total += n
			}
		}
	}
	return total
}
