package harness

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure Start.
type Options struct {
	// Kubelogin is the plugin binary under test.
	Kubelogin string
	// Cache holds the tools install.sh built (bin/dex, bin/kube-apiserver).
	Cache string
	// ModuleDir is the acceptance_test module, to build the browser program
	// and, if needed, the API-server stand-in.
	ModuleDir string
	// Logf prints progress; every line is prefixed "acceptance:".
	Logf func(format string, args ...any)
}

// Stack is the running world: Dex behind the counting proxy, etcd and
// kube-apiserver trusting Dex's issuer, the programs a user runs, and, once a
// test asks for it, oidc-provider behind a proxy of its own.
type Stack struct {
	// Dir is the stack's temporary directory (TLS files, configs, logs).
	Dir string
	// TLS is the stack's certificate material.
	TLS *TLSFiles
	// Dex is the provider; Proxy counts every request to it.
	Dex   *Dex
	Proxy *Proxy
	// Issuer is the OIDC issuer URL (the proxy's).
	Issuer string
	// APIServer is the Kubernetes API server URL, and APIServerKind says
	// whether it is the real kube-apiserver or the stand-in.
	APIServer, APIServerKind string
	// AdminKubeconfig authenticates with a system:masters client certificate.
	AdminKubeconfig string
	// Kubelogin is the plugin under test; Browser is the chromium-login program.
	Kubelogin, Browser string
	// KubectlDir holds the versioned kubectl binaries (kubectl.1.27 …).
	KubectlDir string

	opts  Options
	procs processes
	// real is set when APIServer is a real kube-apiserver, not the stand-in.
	real bool

	// oidc is oidc-provider, started by the first test that needs it.
	oidcMu  sync.Mutex
	oidc    *OIDCProvider
	oidcErr error

	// keycloak is Keycloak, started by the first test that needs it, on
	// etcdURL's etcd (harness/keycloak.go).
	keycloak keycloakState
	etcdURL  string
}

// Start brings the whole stack up. On error, everything started is stopped.
func Start(ctx context.Context, opts Options) (s *Stack, err error) {
	dir, err := os.MkdirTemp("", "kubelogin-acceptance-")
	if err != nil {
		return nil, err
	}
	s = &Stack{Dir: dir, Kubelogin: opts.Kubelogin, opts: opts}
	// started, not s: every `return nil, err` below sets s to nil before
	// this runs (stopping a nil s panicked and hid the error).
	started := s
	defer func() {
		if err != nil {
			started.Stop()
		}
	}()
	step := func(name string, f func() error) error {
		start := time.Now()
		if err := f(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		opts.Logf("%-22s %s", name, time.Since(start).Round(time.Millisecond))
		return nil
	}
	if err := step("kubectl binaries", s.findKubectl); err != nil {
		return nil, err
	}
	if err := step("browser program", s.buildBrowser); err != nil {
		return nil, err
	}
	if err := step("openssl TLS material", func() (err error) { s.TLS, err = MakeTLS(dir); return err }); err != nil {
		return nil, err
	}
	if err := step("dex + counting proxy", func() error { return s.startDex(ctx) }); err != nil {
		return nil, err
	}
	if err := step("etcd + API server", func() error { return s.startKube(ctx) }); err != nil {
		return nil, err
	}
	opts.Logf("stack up in %s: issuer %s, API server %s (%s)", dir, s.Issuer, s.APIServer, s.APIServerKind)
	return s, nil
}

// Stop stops the proxies and every process, by PID, in reverse start order.
// Dir stays, with the logs; the caller removes it after a success.
func (s *Stack) Stop() {
	if s.Proxy != nil {
		s.Proxy.Stop()
	}
	// Processes first: an oidc-provider start in progress (which holds
	// oidcMu) then fails at once instead of waiting for node.
	s.procs.stopAll()
	s.oidcMu.Lock()
	if s.oidc != nil && s.oidc.Proxy != nil {
		s.oidc.Proxy.Stop()
	}
	s.oidcMu.Unlock()
	s.stopKeycloak()
}

// RestartDex restarts Dex with another ID-token lifetime, behind the same proxy.
func (s *Stack) RestartDex(ctx context.Context, idTokenExpiry time.Duration) error {
	err := s.Dex.Restart(ctx, idTokenExpiry)
	s.Proxy.ForgetUpstream()
	return err
}

// findKubectl finds the real versioned kubectl binaries beside the Google
// Cloud SDK dispatcher that is on PATH.
func (s *Stack) findKubectl() error {
	candidates := []string{}
	if p, err := exec.LookPath("kubectl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			candidates = append(candidates, filepath.Dir(real))
		}
		candidates = append(candidates, filepath.Dir(p))
	}
	if p, err := exec.LookPath("kubectl.1.33"); err == nil {
		candidates = append(candidates, filepath.Dir(p))
	}
	for _, dir := range candidates {
		if _, err := os.Stat(filepath.Join(dir, "kubectl.1.33")); err == nil {
			s.KubectlDir = dir
			return nil
		}
	}
	return fmt.Errorf("no kubectl.1.33 beside the kubectl on PATH (looked in %v)", candidates)
}

// Kubectl returns the path of a real kubectl binary of version minor, such
// as "1.27".
func (s *Stack) Kubectl(minor string) (string, error) {
	p := filepath.Join(s.KubectlDir, "kubectl."+minor)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("kubectl %s: %w", minor, err)
	}
	return p, nil
}

// buildBrowser builds cmd/chromium-login into the stack's directory.
func (s *Stack) buildBrowser() error {
	s.Browser = filepath.Join(s.Dir, "bin", "chromium-login")
	cmd := exec.Command("go", "build", "-o", s.Browser, "./cmd/chromium-login")
	cmd.Dir = s.opts.ModuleDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/chromium-login: %w\n%s", err, out)
	}
	if _, err := exec.LookPath("chromium"); err != nil {
		return fmt.Errorf("chromium is not on PATH: run acceptance_test/tools/install.sh")
	}
	return nil
}

// startDex starts Dex on a free port and the proxy, whose URL is the issuer.
func (s *Stack) startDex(ctx context.Context) error {
	bin := filepath.Join(s.opts.Cache, "bin", "dex")
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("no Dex at %s: run acceptance_test/tools/install.sh", bin)
	}
	dexPort, err := FreePort()
	if err != nil {
		return err
	}
	proxyPort, err := FreePort()
	if err != nil {
		return err
	}
	proxyAddr := "127.0.0.1:" + strconv.Itoa(proxyPort)
	s.Issuer = "https://" + proxyAddr + "/dex"
	s.Dex = &Dex{
		Addr:          "127.0.0.1:" + strconv.Itoa(dexPort),
		Issuer:        s.Issuer,
		IDTokenExpiry: DefaultIDTokenExpiry,
		bin:           bin,
		dir:           s.Dir,
		tls:           s.TLS,
		procs:         &s.procs,
	}
	if err := s.Dex.start(ctx); err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(s.TLS.ServerCert, s.TLS.ServerKey)
	if err != nil {
		return err
	}
	upstreamTLS, err := s.Dex.upstreamTLS()
	if err != nil {
		return err
	}
	s.Proxy = NewProxy(proxyAddr, &url.URL{Scheme: "https", Host: s.Dex.Addr}, cert, upstreamTLS)
	return s.Proxy.Start()
}

// startKube starts etcd and kube-apiserver, or the stand-in when no
// kube-apiserver could be built, and writes the admin kubeconfig.
func (s *Stack) startKube(ctx context.Context) error {
	bin := filepath.Join(s.opts.Cache, "bin", "kube-apiserver")
	if _, err := os.Stat(bin); err == nil {
		etcd, err := findEtcd(s.opts.Cache)
		if err != nil {
			return err
		}
		etcdURL, err := startEtcd(ctx, s.Dir, &s.procs, etcd)
		if err != nil {
			return err
		}
		s.etcdURL = etcdURL
		s.APIServer, _, err = startKubeAPIServer(ctx, s.Dir, &s.procs, bin, etcdURL, s.Issuer, s.TLS)
		if err != nil {
			return err
		}
		s.APIServerKind = "kube-apiserver " + kubeAPIServerVersion(bin)
		s.real = true
	} else {
		s.opts.Logf("WARNING: WARNING: WARNING: no kube-apiserver at %s (its build failed or install.sh was not run)", bin)
		s.opts.Logf("WARNING: falling back to the OIDC stand-in (k8s.io/apiserver token/oidc authenticator); this is NOT a real kube-apiserver")
		standin, err := buildStandin(s.opts.ModuleDir, s.opts.Cache)
		if err != nil {
			return err
		}
		s.APIServer, err = startStandin(ctx, s.Dir, &s.procs, standin, s.Issuer, s.TLS)
		if err != nil {
			return err
		}
		s.APIServerKind = "STAND-IN, not kube-apiserver"
	}
	s.AdminKubeconfig = filepath.Join(s.Dir, "admin.kubeconfig")
	return os.WriteFile(s.AdminKubeconfig, []byte(s.adminKubeconfig()), 0o600)
}

func (s *Stack) adminKubeconfig() string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: acceptance
  cluster: {server: %q, certificate-authority: %q}
users:
- name: admin
  user: {client-certificate: %q, client-key: %q}
contexts:
- name: admin
  context: {cluster: acceptance, user: admin}
current-context: admin
`, s.APIServer, s.TLS.CACert, s.TLS.AdminCert, s.TLS.AdminKey)
}

// Admin runs kubectl 1.33 as the cluster administrator (client certificate).
func (s *Stack) Admin(ctx context.Context, args ...string) (string, error) {
	return s.adminKubectl(ctx, s.AdminKubeconfig, filepath.Join(s.Dir, "admin-home"), args...)
}

// adminKubectl runs kubectl 1.33 with an administrator's kubeconfig and a
// HOME of its own, for at most 30 s.
func (s *Stack) adminKubectl(ctx context.Context, kubeconfig, home string, args ...string) (string, error) {
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
		return string(out), fmt.Errorf("admin kubectl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// startProxy starts a counting reverse proxy on proxyAddr, serving the
// suite's certificate, in front of the HTTPS server at upstream (host:port).
func (s *Stack) startProxy(proxyAddr, upstream string) (*Proxy, error) {
	cert, err := tls.LoadX509KeyPair(s.TLS.ServerCert, s.TLS.ServerKey)
	if err != nil {
		return nil, err
	}
	upstreamTLS, err := s.TLS.ClientTLS(false)
	if err != nil {
		return nil, err
	}
	p := NewProxy(proxyAddr, &url.URL{Scheme: "https", Host: upstream}, cert, upstreamTLS)
	if err := p.Start(); err != nil {
		return nil, err
	}
	return p, nil
}

// BindingName is the ClusterRoleBinding that lets Dex's user read the cluster.
const BindingName = "acceptance-oidc-view"

// ViewRole is the ClusterRole GrantView binds. It is the bootstrap role that
// carries view's rules: `view` itself is filled in by kube-controller-manager's
// aggregation controller, which this stack does not run.
const ViewRole = "system:aggregate-to-view"

// GrantView lets admin@example.com, the user Dex logs in, read the cluster.
// The binding goes in as a JSON manifest (`kubectl create -f`), which the
// stand-in understands too.
func (s *Stack) GrantView(ctx context.Context) error {
	if _, err := s.Admin(ctx, "get", "clusterrolebinding", BindingName); err == nil {
		return nil
	}
	manifest := filepath.Join(s.Dir, "binding.json")
	binding := fmt.Sprintf(`{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
  "metadata": {"name": %q},
  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": %q},
  "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": %q}]}`, BindingName, ViewRole, Username)
	if err := os.WriteFile(manifest, []byte(binding), 0o600); err != nil {
		return err
	}
	if _, err := s.Admin(ctx, "create", "--validate=false", "-f", manifest); err != nil {
		return err
	}
	return s.waitRBAC(ctx, true)
}

// waitRBAC waits until kube-apiserver's RBAC authorizer (fed by an informer)
// agrees that Dex's user may, or may not, list pods. The stand-in applies
// bindings at once and cannot answer impersonated access reviews.
func (s *Stack) waitRBAC(ctx context.Context, allowed bool) error {
	if !s.real {
		return nil
	}
	return Poll(ctx, 10*time.Second, 100*time.Millisecond, func() error {
		out, _ := s.Admin(ctx, "auth", "can-i", "list", "pods", "--namespace=default", "--as="+Username)
		if got := strings.HasPrefix(strings.TrimSpace(out), "yes"); got != allowed {
			return fmt.Errorf("RBAC: may %s list pods = %v, want %v", Username, got, allowed)
		}
		return nil
	})
}

// RevokeView removes the binding GrantView made.
func (s *Stack) RevokeView(ctx context.Context) error {
	if _, err := s.Admin(ctx, "delete", "clusterrolebinding", BindingName, "--ignore-not-found"); err != nil {
		return err
	}
	return s.waitRBAC(ctx, false)
}

// kubeAPIServerVersion asks the binary for its version.
func kubeAPIServerVersion(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "(unknown version)"
	}
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "Kubernetes ")
}
