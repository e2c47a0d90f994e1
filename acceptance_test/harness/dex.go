package harness

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Dex's static user and clients, as the kubeconfigs and the browser use them.
const (
	Username             = "admin@example.com"
	Password             = "password"
	PublicClientID       = "kubelogin-public"
	ConfidentialClientID = "kubelogin"
	ConfidentialSecret   = "kubelogin-secret"
)

// DefaultIDTokenExpiry is the ID-token lifetime Dex runs with unless a test
// asks for a short one.
const DefaultIDTokenExpiry = time.Hour

// Dex is the Dex process, with sqlite storage so that a restart (to change
// the ID-token lifetime) keeps signing keys and refresh tokens.
type Dex struct {
	// Addr is where Dex itself listens (HTTPS); clients use the proxy's issuer instead.
	Addr string
	// Issuer is the proxy's URL, the issuer Dex puts in tokens.
	Issuer string
	// IDTokenExpiry is the lifetime of the ID tokens Dex issues now.
	IDTokenExpiry time.Duration

	bin, dir string
	tls      *TLSFiles
	procs    *processes
	proc     *Process
	restarts int
}

// dexConfig follows REAL_COMPONENTS.md; %s are filled by config.
const dexConfig = `issuer: %s
storage:
  type: sqlite3
  config: {file: %s}
web:
  https: %s
  tlsCert: %s
  tlsKey: %s
logger: {level: debug, format: text}
oauth2:
  grantTypes: [authorization_code, refresh_token, password, "urn:ietf:params:oauth:grant-type:device_code"]
  responseTypes: [code]
  passwordConnector: local
expiry:
  idTokens: %s
  deviceRequests: 5m
staticClients:
- id: kubelogin-public
  name: public
  public: true
  redirectURIs: [%s]
- id: kubelogin
  name: confidential
  secret: kubelogin-secret
  redirectURIs: [%s]
# The clusters of the multi-cluster scenario (harness/multicluster.go): each
# lets kubelogin's clients ask for ID tokens naming it (cross-client trust).
- {id: cluster-a, name: cluster-a, secret: cluster-a-unused, trustedPeers: [kubelogin-public, kubelogin]}
- {id: cluster-b, name: cluster-b, secret: cluster-b-unused, trustedPeers: [kubelogin-public, kubelogin]}
enablePasswordDB: true
staticPasswords:
- email: admin@example.com
  hash: "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W"
  username: admin
  userID: 08a8684b-db88-4b73-90a9-3cd1661f5466
`

// RedirectURIs are registered for both clients: the plugin's two default
// loopback ports, the first over HTTPS too (--local-server-cert), and Dex's
// own device callback.
var RedirectURIs = []string{"http://localhost:8000", "http://localhost:18000", "https://localhost:8000", "/device/callback"}

func (d *Dex) config() string {
	uris := `"` + strings.Join(RedirectURIs, `", "`) + `"`
	return fmt.Sprintf(dexConfig, d.Issuer, filepath.Join(d.dir, "dex.sqlite"), d.Addr,
		d.tls.ServerCert, d.tls.ServerKey, d.IDTokenExpiry.String(), uris, uris)
}

// start writes the config and starts Dex, waiting until it serves its keys.
func (d *Dex) start(ctx context.Context) error {
	cfg := filepath.Join(d.dir, "dex.yaml")
	if err := os.WriteFile(cfg, []byte(d.config()), 0o600); err != nil {
		return err
	}
	d.restarts++
	name := "dex"
	if d.restarts > 1 {
		name = fmt.Sprintf("dex-%d", d.restarts)
	}
	p, err := StartProcess(d.dir, name, os.Environ(), d.bin, "serve", cfg)
	if err != nil {
		return err
	}
	d.procs.add(p)
	d.proc = p
	tlsCfg, err := d.tls.ClientTLS(false)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	// Discovery answers before the signing key exists: wait for a key.
	return Poll(ctx, 30*time.Second, 50*time.Millisecond, func() error {
		if err := aliveCheck(p); err != nil {
			return err
		}
		return dexHasKeys(client, "https://"+d.Addr+"/dex/keys")
	})
}

func dexHasKeys(client *http.Client, keysURL string) error {
	resp, err := client.Get(keysURL)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var keys struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&keys); err != nil {
		return fmt.Errorf("decode %s: %w", keysURL, err)
	}
	if len(keys.Keys) == 0 {
		return fmt.Errorf("%s has no keys yet", keysURL)
	}
	return nil
}

// Restart stops Dex and starts it again with another ID-token lifetime.
// Refresh tokens and signing keys survive (sqlite storage).
func (d *Dex) Restart(ctx context.Context, idTokenExpiry time.Duration) error {
	if d.proc != nil {
		d.proc.Stop(5 * time.Second)
	}
	d.IDTokenExpiry = idTokenExpiry
	return d.start(ctx)
}

// Tail returns the last n lines of the running Dex's log.
func (d *Dex) Tail(n int) string {
	if d.proc == nil {
		return "(dex not started)"
	}
	return d.proc.Tail(n)
}

// upstreamTLS is a TLS config for the proxy's upstream connection to Dex.
func (d *Dex) upstreamTLS() (*tls.Config, error) { return d.tls.ClientTLS(false) }
