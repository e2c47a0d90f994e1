package harness

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ClusterAudiences are the clusters of the multi-cluster scenario: each is a
// Dex static client that trusts kubelogin's clients (dex.go), and the
// audience its API server accepts.
var ClusterAudiences = []string{"cluster-a", "cluster-b"}

// AudienceExtraKey is the user extra under which each cluster's API server
// puts the token's aud claim (a claim mapping), so that `kubectl auth
// whoami` shows which audience the server authenticated.
const AudienceExtraKey = "acceptance.kubelogin.example/aud"

// clusterIssuer is one issuer a cluster of the scenario trusts, and the
// prefix of the usernames it gives that issuer's users (named by email).
type clusterIssuer struct{ URL, UsernamePrefix string }

// clusterJWT is one jwt entry of a cluster's AuthenticationConfiguration
// (%[1]s: the issuer, %[2]s its CA as indented PEM, %[3]s the cluster's
// audience, %[4]s the username prefix, %[5]s AudienceExtraKey).
const clusterJWT = `- issuer:
    url: %[1]s
    certificateAuthority: |
%[2]s
    audiences: [%[3]s]
  claimMappings:
    username: {claim: email, prefix: %[4]q}
    extra:
    - key: %[5]s
      valueExpression: 'claims.aud'
`

// clusterAuthenticationConfig is the AuthenticationConfiguration of a
// cluster of the scenario: only tokens of the issuers (CA: ca, indented PEM)
// whose aud names audience. No --oidc-* flags go with it.
func clusterAuthenticationConfig(ca, audience string, issuers ...clusterIssuer) string {
	var b strings.Builder
	b.WriteString("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n")
	for _, is := range issuers {
		fmt.Fprintf(&b, clusterJWT, is.URL, ca, audience, is.UsernamePrefix, AudienceExtraKey)
	}
	return b.String()
}

// Cluster is one kube-apiserver of the multi-cluster scenario, on the
// stack's etcd under its own prefix, behind an APIProxy that records the
// audience of every bearer token sent to it.
type Cluster struct {
	// Name is the cluster's name in kubeconfigs; Audience is the only
	// audience its API server accepts (the same string here).
	Name, Audience string
	// Server is the proxy's URL, the server users' kubeconfigs name.
	Server string
	// Direct is kube-apiserver's own URL (the administrator's).
	Direct string
	// AdminKubeconfig authenticates to Direct with the admin client certificate.
	AdminKubeconfig string
	// Proxy records what users send.
	Proxy *APIProxy
	// User is the username the server gives the scenario's user (RBAC
	// lets it read).
	User string

	dir        string
	etcdPrefix string
	proc       *Process
	stack      *Stack
}

// Clusters are the running clusters of the scenario, and the exchange Dex
// they trust besides the stack's Dex.
type Clusters struct {
	List     []*Cluster
	Exchange *ExchangeDex
}

// errNoClusters: the stack runs the stand-in.
var errNoClusters = errors.New("the stack runs the API-server stand-in: the multi-cluster scenario needs kube-apiserver (run acceptance_test/tools/install.sh)")

// StartClusters starts one kube-apiserver per name of ClusterAudiences, in
// parallel, each with --authentication-config accepting only its own
// audience from the stack's Dex, and lets Dex's user read each. Stop them
// with Stop. It needs the real kube-apiserver (not the stand-in).
func (s *Stack) StartClusters(ctx context.Context) (*Clusters, error) {
	if !s.real {
		return nil, errNoClusters
	}
	cs := &Clusters{}
	x, err := s.startExchangeDex(ctx, filepath.Join(s.Dir, "dex-exchange"))
	if err != nil {
		return nil, err
	}
	cs.Exchange = x
	ca, err := s.indentedCA()
	if err != nil {
		return nil, err
	}
	err = s.startClusters(ctx, cs, "", Username, func(c *Cluster) string {
		return clusterAuthenticationConfig(ca, c.Audience, clusterIssuer{s.Issuer, ""}, clusterIssuer{x.Issuer, "ci:"})
	})
	return cs, err
}

// startClusters starts a cluster per name of ClusterAudiences (prefix
// before the name in its directory and etcd prefix) into cs, in parallel,
// each with the AuthenticationConfiguration config gives it and RBAC
// letting user read; on an error every cluster of cs is stopped.
func (s *Stack) startClusters(ctx context.Context, cs *Clusters, prefix, user string, config func(*Cluster) string) error {
	errs := make([]error, len(ClusterAudiences))
	var wg sync.WaitGroup
	for i, name := range ClusterAudiences {
		c := &Cluster{Name: name, Audience: name, User: user, dir: filepath.Join(s.Dir, prefix+name), etcdPrefix: "/" + prefix + name, stack: s}
		cs.List = append(cs.List, c)
		wg.Go(func() { errs[i] = c.start(ctx, config(c)) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		cs.Stop()
		return err
	}
	return nil
}

// indentedCA is the stack's CA certificate as PEM indented for a
// certificateAuthority block of an AuthenticationConfiguration.
func (s *Stack) indentedCA() (string, error) {
	ca, err := os.ReadFile(s.TLS.CACert)
	if err != nil {
		return "", err
	}
	return "      " + strings.ReplaceAll(strings.TrimSpace(string(ca)), "\n", "\n      "), nil
}

// Stop stops every cluster's proxy and kube-apiserver.
func (cs *Clusters) Stop() {
	for _, c := range cs.List {
		if c.Proxy != nil {
			c.Proxy.Stop()
		}
		if c.proc != nil {
			c.proc.Stop(5 * time.Second)
		}
	}
	if cs.Exchange != nil {
		cs.Exchange.proc.Stop(5 * time.Second)
	}
}

func (c *Cluster) start(ctx context.Context, config string) error {
	s := c.stack
	if err := os.MkdirAll(filepath.Join(c.dir, "apiserver-certs"), 0o700); err != nil {
		return err
	}
	authnConfig := filepath.Join(c.dir, "authentication-config.yaml")
	if err := os.WriteFile(authnConfig, []byte(config), 0o600); err != nil {
		return err
	}
	port, err := FreePort()
	if err != nil {
		return err
	}
	c.Direct = "https://127.0.0.1:" + strconv.Itoa(port)
	f := s.TLS
	c.proc, err = StartProcess(c.dir, "kube-apiserver", os.Environ(), filepath.Join(s.opts.Cache, "bin", "kube-apiserver"),
		"--etcd-servers="+s.etcdURL, "--etcd-prefix="+c.etcdPrefix,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
		"--tls-cert-file="+f.ServerCert, "--tls-private-key-file="+f.ServerKey,
		"--client-ca-file="+f.CACert,
		"--service-account-issuer="+c.Direct,
		"--service-account-key-file="+f.SAPub,
		"--service-account-signing-key-file="+f.SAKey,
		"--service-cluster-ip-range=10.96.0.0/24",
		"--authorization-mode=RBAC",
		"--authentication-config="+authnConfig,
		"--cert-dir="+filepath.Join(c.dir, "apiserver-certs"),
		"--enable-priority-and-fairness=false",
		"--endpoint-reconciler-type=none",
	)
	if err != nil {
		return err
	}
	s.procs.add(c.proc)
	start := time.Now()
	if err := waitReady(ctx, c.proc, c.Direct, f, 120*time.Second); err != nil {
		return fmt.Errorf("the kube-apiserver of %s did not become ready: %w", c.Name, err)
	}
	s.opts.Logf("%-22s %s (%s, audience %s)", "kube-apiserver "+c.Name, time.Since(start).Round(time.Millisecond), c.Direct, c.Audience)
	c.AdminKubeconfig = filepath.Join(c.dir, "admin.kubeconfig")
	if err := os.WriteFile(c.AdminKubeconfig, []byte(strings.Replace(s.adminKubeconfig(), s.APIServer, c.Direct, 1)), 0o600); err != nil {
		return err
	}
	if err := c.grantView(ctx); err != nil {
		return err
	}
	proxyPort, err := FreePort()
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(f.ServerCert, f.ServerKey)
	if err != nil {
		return err
	}
	upstreamTLS, err := f.ClientTLS(false)
	if err != nil {
		return err
	}
	target, err := url.Parse(c.Direct)
	if err != nil {
		return err
	}
	c.Proxy = NewAPIProxy("127.0.0.1:"+strconv.Itoa(proxyPort), target, cert, upstreamTLS)
	if err := c.Proxy.Start(); err != nil {
		return err
	}
	c.Server = "https://" + c.Proxy.Addr
	return nil
}

// grantView binds ViewRole to c.User on this cluster and waits until RBAC
// agrees.
func (c *Cluster) grantView(ctx context.Context) error {
	manifest := filepath.Join(c.dir, "binding.json")
	binding := fmt.Sprintf(`{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
  "metadata": {"name": %q},
  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": %q},
  "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": %q}]}`, BindingName, ViewRole, c.User)
	if err := os.WriteFile(manifest, []byte(binding), 0o600); err != nil {
		return err
	}
	if _, err := c.Admin(ctx, "create", "-f", manifest); err != nil {
		return err
	}
	return Poll(ctx, 20*time.Second, 100*time.Millisecond, func() error {
		out, _ := c.Admin(ctx, "auth", "can-i", "list", "pods", "--namespace=default", "--as="+c.User)
		if !strings.HasPrefix(strings.TrimSpace(out), "yes") {
			return fmt.Errorf("RBAC of %s: %s may not list pods yet", c.Name, c.User)
		}
		return nil
	})
}

// Admin runs kubectl 1.33 as this cluster's administrator, directly (not
// through the proxy).
func (c *Cluster) Admin(ctx context.Context, args ...string) (string, error) {
	return runKubectl(ctx, c.stack, c.AdminKubeconfig, filepath.Join(c.dir, "admin-home"), args...)
}

// Tail is the last n lines of the cluster's kube-apiserver log.
func (c *Cluster) Tail(n int) string { return c.proc.Tail(n) }

// WriteMultiClusterKubeconfig writes one kubeconfig for all clusters: a
// cluster entry per cluster with its audience in the exec extension
// (docs/multi-cluster.md), ONE exec user with provideClusterInfo: true and
// the given get-token flags, and a context per cluster named after it. The
// current context is the first cluster's.
func (u *User) WriteMultiClusterKubeconfig(clusters []*Cluster, flags []string) error {
	pem, err := u.stack.TLS.CAData()
	if err != nil {
		return err
	}
	caData := base64.StdEncoding.EncodeToString(pem)
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Config\nclusters:\n")
	for _, c := range clusters {
		fmt.Fprintf(&b, `- name: %s
  cluster:
    server: %s
    certificate-authority-data: %s
    extensions:
    - name: client.authentication.k8s.io/exec
      extension:
        audience: %s
`, c.Name, c.Server, caData, c.Audience)
	}
	fmt.Fprintf(&b, `users:
- name: %s
  user:
    exec:
      apiVersion: %s
      command: kubelogin
      args:
      - get-token
`, UserName, ExecV1)
	for _, a := range flags {
		fmt.Fprintf(&b, "      - %q\n", a)
	}
	b.WriteString("      interactiveMode: IfAvailable\n      provideClusterInfo: true\ncontexts:\n")
	for _, c := range clusters {
		fmt.Fprintf(&b, "- name: %s\n  context: {cluster: %s, user: %s, namespace: default}\n", c.Name, c.Name, UserName)
	}
	fmt.Fprintf(&b, "current-context: %s\n", clusters[0].Name)
	return os.WriteFile(u.Kubeconfig, []byte(b.String()), 0o600)
}

// WriteClusters writes a kubeconfig with the clusters alone (no user, no
// context): what a user has before `kubelogin setup --cluster-audience`.
func (u *User) WriteClusters(clusters []*Cluster) error {
	pem, err := u.stack.TLS.CAData()
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Config\nclusters:\n")
	for _, c := range clusters {
		fmt.Fprintf(&b, "- name: %s\n  cluster:\n    server: %s\n    certificate-authority-data: %s\n", c.Name, c.Server, base64.StdEncoding.EncodeToString(pem))
	}
	return os.WriteFile(u.Kubeconfig, []byte(b.String()), 0o600)
}

// runKubectl runs kubectl 1.33 with a kubeconfig and its own HOME.
func runKubectl(ctx context.Context, s *Stack, kubeconfig, home string, args ...string) (string, error) {
	kubectl, err := s.Kubectl("1.33")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig=" + kubeconfig}, args...)...)
	cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// APIProxy is a TLS reverse proxy in front of one kube-apiserver that
// records, for every request with a bearer token, the token's aud claim (read,
// not verified: the API server verifies) and the server's answer. It is the
// servers' side of the scenario: which audience each cluster was shown, and
// whether it let the token in.
type APIProxy struct {
	// Addr is the host:port the proxy listens on.
	Addr string

	handler http.Handler
	tls     *tls.Config

	mu     sync.Mutex
	server *http.Server
	seen   []Seen
}

// Seen is one request with a bearer token.
type Seen struct {
	// Audience is the token's aud claim, its values joined by ",", or
	// "(not a JWT)".
	Audience string
	// Status is the API server's HTTP status.
	Status int
	// Path is the request's URL path.
	Path string
}

// NewAPIProxy makes a proxy that will listen on addr and forward to upstream.
func NewAPIProxy(addr string, upstream *url.URL, serverCert tls.Certificate, upstreamTLS *tls.Config) *APIProxy {
	rp := httputil.NewSingleHostReverseProxy(upstream)
	rp.Transport = &http.Transport{TLSClientConfig: upstreamTLS}
	p := &APIProxy{Addr: addr, tls: &tls.Config{Certificates: []tls.Certificate{serverCert}}}
	p.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			rp.ServeHTTP(w, r)
			return
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		rp.ServeHTTP(rec, r)
		p.mu.Lock()
		defer p.mu.Unlock()
		p.seen = append(p.seen, Seen{Audience: tokenAudience(token), Status: rec.status, Path: r.URL.Path})
	})
	return p
}

// tokenAudience is the aud claim of a JWT, joined by ",".
func tokenAudience(token string) string {
	claims, err := JWTClaims(token)
	if err != nil {
		return "(not a JWT)"
	}
	switch aud := claims["aud"].(type) {
	case string:
		return aud
	case []any:
		var list []string
		for _, a := range aud {
			list = append(list, fmt.Sprint(a))
		}
		return strings.Join(list, ",")
	}
	return fmt.Sprintf("(aud %v)", claims["aud"])
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Seen returns a copy of what the proxy recorded so far.
func (p *APIProxy) Seen() []Seen {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.seen)
}

// Start listens on Addr and serves until Stop.
func (p *APIProxy) Start() error {
	l, err := net.Listen("tcp", p.Addr)
	if err != nil {
		return fmt.Errorf("API proxy listen on %s: %w", p.Addr, err)
	}
	srv := &http.Server{Handler: p.handler, TLSConfig: p.tls, ErrorLog: log.New(io.Discard, "", 0)}
	p.mu.Lock()
	p.server = srv
	p.mu.Unlock()
	go func() {
		if err := srv.ServeTLS(l, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Printf("acceptance: API proxy: %v\n", err)
		}
	}()
	return nil
}

// Stop closes the listener and every connection.
func (p *APIProxy) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.server != nil {
		_ = p.server.Close()
		p.server = nil
	}
}
