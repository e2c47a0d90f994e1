package integration_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// TestKilledBetweenWriteAndRenameKeepsTheOldEntry kills the plugin at the
// worst moment of a refresh: the new entry is written and fsynced to its
// temporary file, not yet renamed. A binary built with -tags killtest pauses
// there and says so (internal/atomicfile/hook_killtest.go). The entry must be
// the old one, byte for byte, and the next run must refresh without a login.
// A cache written in place (os.WriteFile) never reaches the pause, or leaves
// the new content in the entry: either fails here.
func TestKilledBetweenWriteAndRenameKeepsTheOldEntry(t *testing.T) {
	bin := killtestBin(t)
	e := newEnv(t, oidcfake.Config{NoRotation: true})
	mustCredential(t, e.getToken())
	name, _ := e.onlyEntry()
	path := filepath.Join(e.cacheDir, name)
	for i := range 3 {
		old, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		announce := filepath.Join(t.TempDir(), "announce")
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, bin, e.args("--force-refresh")...)
		// No coverage counters from this build (make coverage): its hook would
		// count as statements that no other build has.
		cmd.Env = e.environ(runOpts{env: []string{"KUBELOGIN_KILLTEST_PAUSE=" + name, "KUBELOGIN_KILLTEST_ANNOUNCE=" + announce, "GOCOVERDIR="}})
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		var tmp string
		deadline := time.After(30 * time.Second)
	wait:
		for {
			select {
			case err := <-exited:
				cancel()
				t.Fatalf("round %d: the run ended (%v) without pausing between write and rename of %s: the entry was not written through atomicfile", i, err, name)
			case <-deadline:
				cancel()
				t.Fatalf("round %d: no pause between write and rename within 30 s", i)
			case <-time.After(5 * time.Millisecond):
				if b, _ := os.ReadFile(announce); strings.HasSuffix(string(b), "\n") {
					tmp = strings.TrimSpace(string(b))
					break wait
				}
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		cancel()
		// The kill landed after the new entry was whole on disk ...
		written, err := os.ReadFile(tmp)
		if err != nil {
			t.Fatalf("round %d: the announced temporary file: %v", i, err)
		}
		if filepath.Dir(tmp) != e.cacheDir || !json.Valid(written) || bytes.Equal(written, old) {
			t.Fatalf("round %d: the temporary file %s does not hold a new whole entry: %q", i, tmp, written)
		}
		// ... and before the rename: the entry is the old one.
		now, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("round %d: the entry is gone: %v", i, err)
		}
		if !bytes.Equal(now, old) {
			t.Fatalf("round %d: the entry changed although the rename never happened:\n old %q\n now %q", i, old, now)
		}
		os.Remove(tmp)
	}
	// The kept entry still works: a refresh, no login.
	mustCredential(t, e.getToken("--force-refresh"))
	if e.launches() != 1 {
		t.Errorf("browser launches = %d, want 1", e.launches())
	}
}

var killtest struct {
	once sync.Once
	bin  string
	err  error
}

// killtestBin builds the plugin with -tags killtest, once.
func killtestBin(t *testing.T) string {
	t.Helper()
	killtest.once.Do(func() {
		killtest.bin = filepath.Join(filepath.Dir(pluginBin), "kubelogin-killtest")
		killtest.err = buildPlugin(killtest.bin, "-tags", "killtest")
	})
	if killtest.err != nil {
		t.Fatal(killtest.err)
	}
	return killtest.bin
}

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
	if killedMidway == 0 {
		t.Errorf("no kill landed before a run finished: this proved nothing")
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
