package harness

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// keycloakAuthenticationConfig is the Keycloak API server's
// AuthenticationConfiguration (%s: the issuer, its CA as indented PEM). The
// audiences are the realm's browser clients (an ID token's aud is its
// client) and the robots' access-token audience. People are named by their
// verified email; robots, which have none, by their preferred_username.
const keycloakAuthenticationConfig = `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: %s
    certificateAuthority: |
%s
    audiences: [kubelogin-public, kubelogin, kubelogin-short-lived, kubernetes]
    audienceMatchPolicy: MatchAny
  claimMappings:
    username:
      expression: 'has(claims.email) && has(claims.email_verified) && claims.email_verified ? claims.email : "keycloak-robot:" + claims.preferred_username'
    groups:
      expression: 'has(claims.groups) ? claims.groups : []'
`

// StartKeycloakClusters starts the clusters of the multi-cluster scenario
// (ClusterAudiences) for Keycloak, in parallel: each kube-apiserver accepts
// only kc's tokens for its own audience, which Keycloak puts only in access
// tokens (the audience mappers of kubelogin-exchange, narrowed to one
// cluster by the standard token exchange), and lets Keycloak's user read. Stop
// them with Stop. It needs the real kube-apiserver.
func (s *Stack) StartKeycloakClusters(ctx context.Context, kc *Keycloak) (*Clusters, error) {
	if !s.real {
		return nil, errNoClusters
	}
	ca, err := s.indentedCA()
	if err != nil {
		return nil, err
	}
	cs := &Clusters{}
	err = s.startClusters(ctx, cs, "keycloak-", KeycloakEmail, func(c *Cluster) string {
		return clusterAuthenticationConfig(ca, c.Audience, clusterIssuer{kc.Issuer, ""})
	})
	return cs, err
}

// startAPIServer starts a second kube-apiserver, on the stack's etcd under
// its own prefix (a cluster of its own), that accepts Keycloak's tokens.
// With the stand-in there is none: APIServer stays "".
func (kc *Keycloak) startAPIServer(ctx context.Context, s *Stack) error {
	if !s.real {
		s.opts.Logf("WARNING: the stack runs the API-server stand-in: the Keycloak scenarios that need an API server skip")
		return nil
	}
	bin := filepath.Join(s.opts.Cache, "bin", "kube-apiserver")
	indented, err := s.indentedCA()
	if err != nil {
		return err
	}
	authnConfig := filepath.Join(kc.Dir, "authentication-config.yaml")
	if err := os.WriteFile(authnConfig, fmt.Appendf(nil, keycloakAuthenticationConfig, kc.Issuer, indented), 0o600); err != nil {
		return err
	}
	port, err := FreePort()
	if err != nil {
		return err
	}
	server := "https://127.0.0.1:" + strconv.Itoa(port)
	certDir := filepath.Join(kc.Dir, "apiserver-certs")
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return err
	}
	f := s.TLS
	p, err := StartProcess(kc.Dir, "kube-apiserver", os.Environ(), bin,
		"--etcd-servers="+s.etcdURL, "--etcd-prefix=/keycloak-cluster",
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
		"--tls-cert-file="+f.ServerCert, "--tls-private-key-file="+f.ServerKey,
		"--client-ca-file="+f.CACert,
		"--service-account-issuer="+server,
		"--service-account-key-file="+f.SAPub,
		"--service-account-signing-key-file="+f.SAKey,
		"--service-cluster-ip-range=10.96.0.0/24",
		"--authorization-mode=RBAC",
		"--authentication-config="+authnConfig,
		"--cert-dir="+certDir,
		"--enable-priority-and-fairness=false",
		"--endpoint-reconciler-type=none",
	)
	if err != nil {
		return err
	}
	s.procs.add(p)
	if err := waitReady(ctx, p, server, f, keycloakStartTimeout); err != nil {
		return fmt.Errorf("the Keycloak kube-apiserver did not become ready: %w", err)
	}
	kc.APIServer = server
	kc.AdminKubeconfig = filepath.Join(kc.Dir, "admin.kubeconfig")
	return os.WriteFile(kc.AdminKubeconfig, []byte(strings.Replace(s.adminKubeconfig(), s.APIServer, server, 1)), 0o600)
}

// KeycloakBindingName is the ClusterRoleBinding that lets KeycloakViewersGroup read.
const KeycloakBindingName = "keycloak-viewers-view"

// grantViewersGroup binds ViewRole to KeycloakViewersGroup on the Keycloak
// API server, and waits until RBAC lets the user list pods through it.
func (kc *Keycloak) grantViewersGroup(ctx context.Context) error {
	manifest := filepath.Join(kc.Dir, "binding.json")
	binding := fmt.Sprintf(`{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
  "metadata": {"name": %q},
  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": %q},
  "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": %q}]}`,
		KeycloakBindingName, ViewRole, KeycloakViewersGroup)
	if err := os.WriteFile(manifest, []byte(binding), 0o600); err != nil {
		return err
	}
	if _, err := kc.Admin(ctx, "create", "-f", manifest); err != nil {
		return err
	}
	return Poll(ctx, 20*time.Second, 100*time.Millisecond, func() error {
		out, _ := kc.Admin(ctx, "auth", "can-i", "list", "pods", "--namespace=default",
			"--as="+KeycloakEmail, "--as-group="+KeycloakViewersGroup)
		if !strings.HasPrefix(strings.TrimSpace(out), "yes") {
			return fmt.Errorf("RBAC: group %s may not list pods yet", KeycloakViewersGroup)
		}
		return nil
	})
}

// Admin runs kubectl 1.33 as the Keycloak API server's administrator.
func (kc *Keycloak) Admin(ctx context.Context, args ...string) (string, error) {
	return kc.stack.adminKubectl(ctx, kc.AdminKubeconfig, filepath.Join(kc.Dir, "admin-home"), args...)
}

// waitAuthenticates waits until the Keycloak API server accepts a Keycloak
// ID token: its JWT authenticator fetches the issuer's discovery document
// only every 10 s until it gets it, and refuses every token before
// ("oidc: authenticator not initialized").
func (kc *Keycloak) waitAuthenticates(ctx context.Context) error {
	tr, err := kc.PostForm(ctx, kc.Issuer+"/protocol/openid-connect/token", KeycloakConfidentialClientID, KeycloakConfidentialSecret,
		url.Values{"grant_type": {"password"}, "scope": {"openid"}, "username": {KeycloakUser}, "password": {KeycloakPassword}})
	if err != nil {
		return fmt.Errorf("get a token to check the API server: %w", err)
	}
	if tr.IDToken == "" {
		return fmt.Errorf("get a token to check the API server: %d %s %s", tr.Status, tr.Error, tr.ErrorDescription)
	}
	cfg, err := kc.tls.ClientTLS(false)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
	defer client.CloseIdleConnections()
	review := `{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`
	err = Poll(ctx, 30*time.Second, 250*time.Millisecond, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, kc.APIServer+"/apis/authentication.k8s.io/v1/selfsubjectreviews", strings.NewReader(review))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tr.IDToken)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("SelfSubjectReview with a Keycloak ID token: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("the Keycloak API server does not accept Keycloak's tokens (see %s): %w", filepath.Join(kc.Dir, "kube-apiserver.log"), err)
	}
	return nil
}
