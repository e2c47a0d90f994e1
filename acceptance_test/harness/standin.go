package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// buildStandin builds tools/apiserver-standin (its own module, so that
// k8s.io/apiserver is compiled only when the suite falls back) into the cache.
func buildStandin(moduleDir, cache string) (string, error) {
	bin := filepath.Join(cache, "bin", "apiserver-standin")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join(moduleDir, "tools", "apiserver-standin")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the API-server stand-in: %w\n%s", err, out)
	}
	fmt.Printf("acceptance: built the API-server stand-in in %s\n", time.Since(start).Round(time.Second))
	return bin, nil
}

// startStandin starts the stand-in with the OIDC flags kube-apiserver would
// get, on a free port, and waits until it answers.
func startStandin(ctx context.Context, dir string, procs *processes, bin, issuer string, f *TLSFiles) (string, error) {
	port, err := FreePort()
	if err != nil {
		return "", err
	}
	server := "https://127.0.0.1:" + strconv.Itoa(port)
	p, err := StartProcess(dir, "apiserver-standin", os.Environ(), bin,
		"--secure-port="+strconv.Itoa(port),
		"--tls-cert-file="+f.ServerCert, "--tls-private-key-file="+f.ServerKey,
		"--client-ca-file="+f.CACert,
		"--oidc-issuer-url="+issuer, "--oidc-client-id="+PublicClientID,
		"--oidc-ca-file="+f.CACert, "--oidc-username-claim=email")
	if err != nil {
		return "", err
	}
	procs.add(p)
	if err := waitReady(ctx, p, server, f, 30*time.Second); err != nil {
		return "", fmt.Errorf("the API-server stand-in did not become ready: %w", err)
	}
	return server, nil
}
