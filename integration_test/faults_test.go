package integration_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// The provider-side fault matrix not covered elsewhere: every case fails with
// one clear line, writes nothing to the cache, and leaves no lock behind.
func TestProviderFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults oidcfake.Faults
		args   []string
		want   []string
	}{
		{"5xx on discovery", oidcfake.Faults{Status: 502}, nil, []string{"error: discover the provider: http://", "/.well-known/openid-configuration answered 502 Bad Gateway: the provider is failing; try again later"}},
		{"429 with a long Retry-After", oidcfake.Faults{Status: 429, RetryAfter: "3600"}, nil, []string{"429 Too Many Requests", "rate limiting"}},
		{"HTML instead of JSON", oidcfake.Faults{HTMLBody: true}, nil, []string{"answered text/html, not JSON"}},
		{"slow beyond the timeout", oidcfake.Faults{Hang: true}, []string{"--oidc-request-timeout=1s"}, []string{"error: discover the provider: no answer from http://", "/.well-known/openid-configuration within 1s: is the provider up? (if it is only slow, raise --oidc-request-timeout)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, oidcfake.Config{})
			e.provider.SetFaults(tc.faults)
			r := e.getToken(tc.args...)
			mustFail(t, r, tc.want...)
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 {
				t.Errorf("want one line, got %d:\n%s", n+1, r.stderr)
			}
			if len(e.cacheEntries()) != 0 || e.launches() != 0 {
				t.Error("a failed discovery cached something or opened a browser")
			}
		})
	}
}

func TestRateLimitedOnceIsRetried(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	e.provider.SetFaults(oidcfake.Faults{Status: 429, RetryAfter: "1", Times: 1})
	mustCredential(t, e.getToken())
	if got := e.provider.Count("discovery"); got != 2 {
		t.Errorf("discovery requests = %d, want 2 (one retry after Retry-After)", got)
	}
}

func TestCacheDirectoryIsAFile(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	os.WriteFile(e.cacheDir, []byte("not a directory"), 0o600)
	r := e.getToken()
	mustFail(t, r, "error: token cache directory "+e.cacheDir+" is a file, not a directory (remove or rename it, or set --token-cache-dir)")
	oneLine(t, r) // no warning before the error, no hint about the parent's permissions
	if e.launches() != 0 {
		t.Error("a browser was opened although the token could not be kept")
	}
}

// TestKilledLockHolderDoesNotBlock: the lock is an OS lock, released when its
// holder dies even by SIGKILL, so the next run proceeds at once.
func TestKilledLockHolderDoesNotBlock(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	e.how = "none" // the holder waits for a login that never comes
	holder := e.start(e.args()...)
	waitForFile(t, filepath.Join(e.cacheDir, "*.lock"))
	waitFor(t, func() bool { return e.launches() == 1 })
	holder.Process.Signal(syscall.SIGKILL)
	holder.Wait()
	e.how = ""
	start := time.Now()
	mustCredential(t, e.getToken())
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the run after a killed lock holder took %s", d)
	}
}

func TestInterruptWhileWaiting(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(e *env)
		want  string
	}{
		{"for the browser", func(e *env) { e.how = "none" }, "login interrupted"},
		{"for the provider", func(e *env) { e.provider.SetFaults(oidcfake.Faults{Hang: true}) }, "interrupt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, oidcfake.Config{})
			tc.setup(e)
			var stderr syncBuffer
			cmd := e.command(e.args()...)
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			cmd.Process.Signal(os.Interrupt)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err == nil {
					t.Fatal("exit 0 after Ctrl-C")
				}
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatal("Ctrl-C did not stop kubelogin within 10 s")
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr.String())
			}
			if len(e.cacheEntries()) != 0 {
				t.Error("something was cached")
			}
		})
	}

	t.Run("for the lock", func(t *testing.T) {
		e := newEnv(t, oidcfake.Config{})
		e.how = "none"
		holder := e.start(e.args()...)
		defer func() { holder.Process.Kill(); holder.Wait() }()
		waitFor(t, func() bool { return e.launches() == 1 })
		var stderr syncBuffer
		waiter := e.command(e.args()...)
		waiter.Stderr = &stderr
		waiter.Start()
		waitFor(t, func() bool { return strings.Contains(stderr.String(), "Waiting for another kubelogin process") })
		waiter.Process.Signal(os.Interrupt)
		waiter.Wait()
		if !strings.Contains(stderr.String(), "interrupted while waiting for another kubelogin process") {
			t.Errorf("stderr:\n%s", stderr.String())
		}
	})
}

func TestProviderClockSkew(t *testing.T) {
	for _, skew := range []time.Duration{-5 * time.Minute, 5 * time.Minute} {
		t.Run(skew.String(), func(t *testing.T) {
			e := newEnv(t, oidcfake.Config{Now: func() time.Time { return time.Now().Add(skew) }})
			first := mustCredential(t, e.getToken())
			second := mustCredential(t, e.getToken())
			if first.Status.Token != second.Status.Token {
				t.Error("a token from a provider whose clock is off by 5 minutes was not reused from the cache")
			}
		})
	}
}

// command prepares a plugin run with the test's environment.
func (e *env) command(args ...string) *exec.Cmd {
	cmd := exec.Command(pluginBin, args...)
	cmd.Env = e.environ(runOpts{})
	return cmd
}

// start starts a plugin run in the background.
func (e *env) start(args ...string) *exec.Cmd {
	e.t.Helper()
	cmd := e.command(args...)
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	return cmd
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitForFile(t *testing.T, pattern string) {
	t.Helper()
	waitFor(t, func() bool { m, _ := filepath.Glob(pattern); return len(m) > 0 })
}
