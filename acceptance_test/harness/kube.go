package harness

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// startEtcd starts etcd on two free loopback ports and waits for /health.
func startEtcd(ctx context.Context, dir string, procs *processes, bin string) (clientURL string, err error) {
	clientPort, err := FreePort()
	if err != nil {
		return "", err
	}
	peerPort, err := FreePort()
	if err != nil {
		return "", err
	}
	clientURL = "http://127.0.0.1:" + strconv.Itoa(clientPort)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	p, err := StartProcess(dir, "etcd", os.Environ(), bin,
		"--name=acceptance",
		"--data-dir="+filepath.Join(dir, "etcd-data"),
		"--listen-client-urls="+clientURL, "--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=acceptance="+peerURL,
		"--log-level=warn")
	if err != nil {
		return "", err
	}
	procs.add(p)
	client := &http.Client{Timeout: time.Second}
	err = Poll(ctx, 30*time.Second, 100*time.Millisecond, func() error {
		if err := aliveCheck(p); err != nil {
			return err
		}
		resp, err := client.Get(clientURL + "/health")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("etcd /health: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("etcd did not become healthy: %w", err)
	}
	return clientURL, nil
}

// startKubeAPIServer starts kube-apiserver with the OIDC flags of
// REAL_COMPONENTS.md on a free port and waits for /readyz.
func startKubeAPIServer(ctx context.Context, dir string, procs *processes, bin, etcdURL, issuer string, f *TLSFiles) (server string, p *Process, err error) {
	port, err := FreePort()
	if err != nil {
		return "", nil, err
	}
	server = "https://127.0.0.1:" + strconv.Itoa(port)
	certDir := filepath.Join(dir, "apiserver-certs")
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return "", nil, err
	}
	p, err = StartProcess(dir, "kube-apiserver", os.Environ(), bin,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
		"--tls-cert-file="+f.ServerCert, "--tls-private-key-file="+f.ServerKey,
		"--client-ca-file="+f.CACert,
		"--service-account-issuer="+server,
		"--service-account-key-file="+f.SAPub,
		"--service-account-signing-key-file="+f.SAKey,
		"--service-cluster-ip-range=10.96.0.0/24",
		"--authorization-mode=RBAC",
		"--oidc-issuer-url="+issuer,
		"--oidc-client-id="+PublicClientID,
		"--oidc-ca-file="+f.CACert,
		"--oidc-username-claim=email",
		"--oidc-groups-claim=groups",
		"--cert-dir="+certDir,
		"--enable-priority-and-fairness=false",
		"--endpoint-reconciler-type=none",
	)
	if err != nil {
		return "", nil, err
	}
	procs.add(p)
	if err := waitReady(ctx, p, server, f, 90*time.Second); err != nil {
		return "", nil, fmt.Errorf("kube-apiserver did not become ready: %w", err)
	}
	return server, p, nil
}

// waitReady polls server/readyz with the admin certificate.
func waitReady(ctx context.Context, p *Process, server string, f *TLSFiles, timeout time.Duration) error {
	tlsCfg, err := f.ClientTLS(true)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	return Poll(ctx, timeout, 200*time.Millisecond, func() error {
		if err := aliveCheck(p); err != nil {
			return err
		}
		resp, err := client.Get(server + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s/readyz: %s", server, resp.Status)
		}
		return nil
	})
}

// findEtcd returns etcd from PATH (Debian's etcd-server) or the cache.
func findEtcd(cache string) (string, error) {
	if p, err := exec.LookPath("etcd"); err == nil {
		return p, nil
	}
	p := filepath.Join(cache, "bin", "etcd")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("no etcd on PATH nor in %s: run acceptance_test/tools/install.sh", filepath.Dir(p))
}
