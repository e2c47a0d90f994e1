package integration_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// TestKilledDuringRefreshNeverCorruptsTheCache kills the plugin at random
// moments of a refresh: the entry must always be a whole entry, old or new.
func TestKilledDuringRefreshNeverCorruptsTheCache(t *testing.T) {
	rounds := 100
	if testing.Short() {
		rounds = 20
	}
	// Without rotation: a process killed after the provider rotated the
	// refresh token but before it saved the new one would leave an entry that
	// is whole but whose refresh token is spent, which is not what this tests.
	e := newEnv(t, oidcfake.Config{NoRotation: true})
	mustCredential(t, e.getToken())
	name, _ := e.onlyEntry()
	path := filepath.Join(e.cacheDir, name)
	// Kill at a random moment of a whole run: calibrate on one.
	start := time.Now()
	mustCredential(t, e.getToken("--force-refresh"))
	runTime := time.Since(start)
	killedMidway := 0
	for i := range rounds {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, pluginBin, e.args("--force-refresh")...)
		cmd.Env = e.environ(runOpts{})
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rand.Int64N(int64(runTime) * 6 / 5)))
		cmd.Process.Signal(syscall.SIGKILL)
		if err := cmd.Wait(); err != nil {
			killedMidway++
		}
		cancel()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("round %d: the entry is gone: %v", i, err)
		}
		var entry struct {
			Version      int    `json:"version"`
			IDToken      string `json:"id_token"`
			RefreshToken string `json:"refresh_token"`
		}
		if err := json.Unmarshal(b, &entry); err != nil || entry.Version != 1 || entry.IDToken == "" || entry.RefreshToken == "" {
			t.Fatalf("round %d: corrupt entry after SIGKILL (%v): %q", i, err, b)
		}
	}
	t.Logf("%d rounds over a %s run: %d processes killed before they finished", rounds, runTime.Round(time.Millisecond), killedMidway)
	if killedMidway == 0 || killedMidway == rounds {
		t.Logf("warning: the kills did not spread over the run")
	}
	// Whatever happened, the next run works without a new login.
	mustCredential(t, e.getToken())
	if e.launches() != 1 {
		t.Errorf("browser launches = %d, want 1", e.launches())
	}
	// Temporary files of killed writers do not pile up beyond one run's worth.
	tmps, _ := filepath.Glob(filepath.Join(e.cacheDir, ".tmp-*"))
	if len(tmps) > rounds {
		t.Errorf("%d temporary files left", len(tmps))
	}
}

// TestSoakConcurrentRefreshWithRotation: 50 processes × 20 rounds of forced
// refreshes against a provider that rotates refresh tokens and detects reuse.
func TestSoakConcurrentRefreshWithRotation(t *testing.T) {
	procs, rounds := 50, 20
	if testing.Short() {
		procs, rounds = 10, 3
	}
	e := newEnv(t, oidcfake.Config{})
	mustCredential(t, e.getToken())
	failures := 0
	for round := range rounds {
		for i, r := range e.runParallel(procs, "--force-refresh") {
			if r.code != 0 {
				failures++
				t.Errorf("round %d process %d failed: %s", round, i, strings.TrimSpace(r.stderr))
			}
		}
	}
	if got := e.provider.RefreshTokenReuses(); got != 0 {
		t.Errorf("the provider saw a rotated refresh token reused %d times", got)
	}
	if e.launches() != 1 {
		t.Errorf("browser launches = %d, want 1", e.launches())
	}
	t.Logf("%d processes × %d rounds: %d failures, %d refresh requests, %d reuses", procs, rounds, failures,
		e.provider.TokenRequests("refresh_token"), e.provider.RefreshTokenReuses())
}
