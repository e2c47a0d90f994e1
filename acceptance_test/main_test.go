// Package acceptance runs kubelogin the way its users do, against the real
// world: Dex (behind a counting proxy), a real kube-apiserver with etcd,
// Google Cloud SDK's versioned kubectl binaries and a headless Chromium that
// logs in through Dex's pages; for the client_credentials grant, which Dex
// lacks, oidc-provider (npm), started by the first test that needs it.
// TestMain starts the stack once; each test is one thing a user does, with
// its own HOME and kubeconfig.
//
// Run it with `make acceptance-test` from the repository root, after
// acceptance_test/tools/install.sh. See README.md.
package acceptance

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/acceptance_test/harness"
)

// stack is the world every test runs against, started by TestMain.
var stack *harness.Stack

// logf prints a line that `make acceptance-test` shows (it greps for "acceptance:").
func logf(format string, args ...any) {
	fmt.Printf("acceptance: "+format+"\n", args...)
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	bin, err := kubeloginBin()
	if err != nil {
		logf("FAIL: %v", err)
		return 1
	}
	for _, addr := range []string{"127.0.0.1:8000", "127.0.0.1:18000"} {
		if !harness.PortIsFree(addr) {
			logf("FAIL: %s is in use; kubelogin's default callback ports 8000 and 18000 must be free for this suite", addr)
			return 1
		}
	}
	moduleDir, err := os.Getwd()
	if err != nil {
		logf("FAIL: %v", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)

	start := time.Now()
	logf("plugin under test: %s", bin)
	s, err := harness.Start(ctx, harness.Options{
		Kubelogin: bin,
		Cache:     testCache(),
		ModuleDir: moduleDir,
		Logf:      logf,
	})
	if err != nil {
		logf("FAIL: start the stack: %v", err)
		return 1
	}
	stack = s
	// On Ctrl-C or SIGTERM, stop every process before dying.
	go func() {
		sig := <-signals
		logf("%v: stopping the stack", sig)
		cancel()
		s.Stop()
		os.Exit(130)
	}()
	logf("stack started in %s", time.Since(start).Round(time.Millisecond))

	code := m.Run()
	s.Stop()
	if code == 0 {
		_ = os.RemoveAll(s.Dir)
	} else {
		logf("stack logs kept in %s (dex.log, kube-apiserver.log, etcd.log, oidc-provider/oidc-provider.log)", s.Dir)
	}
	logf("suite finished in %s", time.Since(start).Round(time.Second))
	return code
}

// kubeloginBin is $KUBELOGIN_BIN, or ../bin/kubelogin (what `make build` makes).
func kubeloginBin() (string, error) {
	bin := os.Getenv("KUBELOGIN_BIN")
	if bin == "" {
		bin = filepath.Join("..", "bin", "kubelogin")
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("no plugin binary at %s (set KUBELOGIN_BIN or run `make build`): %w", abs, err)
	}
	if info.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s is not executable", abs)
	}
	return abs, nil
}

// testCache is where install.sh put the tools it built.
func testCache() string {
	if c := os.Getenv("KUBELOGIN_TEST_CACHE"); c != "" {
		return c
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "kubelogin-test")
}
