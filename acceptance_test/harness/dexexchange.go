package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The exchange Dex of the multi-cluster scenario: a second Dex whose oidc
// connector trusts the suite's Dex, with the token exchange grant on. A CI
// job holding an ID token of the suite's Dex exchanges it there for a token
// of one cluster (RFC 8693, Dex's connector_id, cross-client scope).
const (
	// ExchangeClientID is the exchange Dex's confidential client of CI jobs.
	ExchangeClientID = "ci-pipeline"
	ExchangeSecret   = "ci-pipeline-secret"
	// ExchangeConnectorID is the connector that validates subject tokens.
	ExchangeConnectorID = "upstream"
)

const exchangeDexConfig = `issuer: %[1]s
storage: {type: memory}
web:
  https: %[2]s
  tlsCert: %[3]s
  tlsKey: %[4]s
logger: {level: debug, format: text}
oauth2:
  grantTypes: [authorization_code, refresh_token, "urn:ietf:params:oauth:grant-type:token-exchange"]
  responseTypes: [code]
staticClients:
- {id: %[5]s, name: ci, secret: %[6]s}
- {id: cluster-a, name: cluster-a, secret: cluster-a-unused, trustedPeers: [%[5]s]}
- {id: cluster-b, name: cluster-b, secret: cluster-b-unused, trustedPeers: [%[5]s]}
connectors:
- type: oidc
  id: %[7]s
  name: the suite's Dex
  config:
    issuer: %[8]s
    clientID: %[9]s
    clientSecret: unused
    redirectURI: %[1]s/callback
    rootCAs: [%[10]s]
`

// ExchangeDex is the second Dex.
type ExchangeDex struct {
	// Issuer is its issuer URL (no proxy in front).
	Issuer string
	proc   *Process
}

// startExchangeDex starts the exchange Dex in dir, trusting the stack's Dex.
func (s *Stack) startExchangeDex(ctx context.Context, dir string) (*ExchangeDex, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	d := &ExchangeDex{Issuer: "https://" + addr + "/dex"}
	cfg := filepath.Join(dir, "dex.yaml")
	body := fmt.Sprintf(exchangeDexConfig, d.Issuer, addr, s.TLS.ServerCert, s.TLS.ServerKey,
		ExchangeClientID, ExchangeSecret, ExchangeConnectorID, s.Issuer, ConfidentialClientID, s.TLS.CACert)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		return nil, err
	}
	d.proc, err = StartProcess(dir, "dex-exchange", os.Environ(), filepath.Join(s.opts.Cache, "bin", "dex"), "serve", cfg)
	if err != nil {
		return nil, err
	}
	s.procs.add(d.proc)
	tlsCfg, err := s.TLS.ClientTLS(false)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	err = Poll(ctx, 30*time.Second, 50*time.Millisecond, func() error {
		if err := aliveCheck(d.proc); err != nil {
			return err
		}
		return dexHasKeys(client, d.Issuer+"/keys")
	})
	if err != nil {
		return nil, fmt.Errorf("the exchange Dex did not start: %w", err)
	}
	return d, nil
}

// Tail is the last n lines of the exchange Dex's log.
func (d *ExchangeDex) Tail(n int) string { return d.proc.Tail(n) }

// PasswordIDToken logs Dex's user in to the stack's Dex with the password
// grant (the confidential client) and returns the ID token: the token a CI
// job holds.
func (s *Stack) PasswordIDToken(ctx context.Context) (string, error) {
	tlsCfg, err := s.TLS.ClientTLS(false)
	if err != nil {
		return "", err
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	form := url.Values{"grant_type": {"password"}, "username": {Username}, "password": {Password}, "scope": {"openid email profile"}} // the connector wants a name claim
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Issuer+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(ConfidentialClientID, ConfidentialSecret)
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		IDToken string `json:"id_token"`
		Error   string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", fmt.Errorf("password grant: %s: %w", resp.Status, err)
	}
	if body.IDToken == "" {
		return "", fmt.Errorf("password grant: %s %s", resp.Status, body.Error)
	}
	return body.IDToken, nil
}
