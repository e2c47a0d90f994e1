package integration_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// requireKeyring skips unless a Secret Service is reachable on a session
// bus. hack/keyring-test.sh runs these tests under dbus-run-session with a
// throwaway GNOME Keyring.
func requireKeyring(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the keyring end-to-end tests run on Linux (hack/keyring-test.sh)")
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is empty): run hack/keyring-test.sh to test against a throwaway GNOME Keyring")
	}
}

func TestKeyringStorageEndToEnd(t *testing.T) {
	requireKeyring(t)
	// Many groups make an ID token of over 4 KiB, more than one macOS or
	// Windows keyring item holds.
	var groups []string
	for i := range 250 {
		groups = append(groups, fmt.Sprintf("team-%03d", i))
	}
	s := newShell(t, oidcfake.Config{Groups: groups})
	flags := append([]string{"get-token"}, s.loginFlags("--token-cache-storage=keyring")...)
	first := mustCredential(t, s.kubelogin(flags...))
	if len(first.Status.Token) < 4096 {
		t.Fatalf("ID token of %d bytes, want over 4 KiB", len(first.Status.Token))
	}
	if n := len(s.cacheEntries()); n != 0 {
		t.Fatalf("%d token files written with keyring storage", n)
	}
	markers, _ := filepath.Glob(filepath.Join(s.cacheDir, "*.keyring"))
	if len(markers) != 1 {
		t.Fatalf("markers %v, want 1", markers)
	}
	key := strings.TrimSuffix(filepath.Base(markers[0]), ".keyring")
	t.Cleanup(func() { keyring.Delete("kubelogin", key) })
	item, err := keyring.Get("kubelogin", key)
	if err != nil || !strings.Contains(item, first.Status.Token) {
		t.Fatalf("the keyring item does not hold the token: %v", err)
	}
	for _, f := range dirFiles(t, s.cacheDir) {
		if b, _ := os.ReadFile(filepath.Join(s.cacheDir, f)); strings.Contains(string(b), first.Status.Token[:40]) {
			t.Errorf("%s holds the token", f)
		}
	}

	// Served from the keyring, with the provider gone.
	s.provider.Close()
	second := mustCredential(t, s.kubelogin(flags...))
	if second.Status.Token != first.Status.Token || s.launches() != 1 {
		t.Errorf("the second run did not use the keyring (launches %d)", s.launches())
	}

	r := mustRun(t, s.kubelogin(append([]string{"status"}, s.cacheFlags()...)...))
	if !strings.Contains(r.stdout, "keyring") || !strings.Contains(r.stdout, "admin@example.com") {
		t.Errorf("status:\n%s", r.stdout)
	}
	mustRun(t, s.kubelogin(append([]string{"clean"}, s.cacheFlags()...)...))
	if _, err := keyring.Get("kubelogin", key); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("the keyring item is still there after clean: %v", err)
	}
	if _, err := os.Stat(s.cacheDir); !os.IsNotExist(err) {
		t.Errorf("the cache directory is left: %v", dirFiles(t, s.cacheDir))
	}
}

// Without a keyring, keyring storage fails at once and names the other
// storage; it never logs in only to keep the tokens in a plain file.
func TestKeyringUnavailableFailsClearly(t *testing.T) {
	s := newShell(t, oidcfake.Config{})
	s.extraEnv = []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(t.TempDir(), "no-bus")}
	r := s.kubelogin(append([]string{"get-token"}, s.loginFlags("--token-cache-storage=keyring")...)...)
	mustFail(t, r, "--token-cache-storage=keyring: read the OS keyring", "use --token-cache-storage=disk")
	if s.launches() != 0 {
		t.Error("a browser was opened although the token could not be kept")
	}
	if files := dirFiles(t, s.cacheDir); len(files) != 0 {
		t.Errorf("files written: %v", files)
	}

	// A keyring login that cannot be read is reported, and kept for later.
	marker := filepath.Join(s.cacheDir, strings.Repeat("cd", 32)+".keyring")
	writeText(t, marker, "")
	r = mustRun(t, s.kubelogin(append([]string{"status"}, s.cacheFlags()...)...))
	if !strings.Contains(r.stdout, "(unreadable: read the OS keyring") {
		t.Errorf("status:\n%s", r.stdout)
	}
	mustFail(t, s.kubelogin(append([]string{"clean"}, s.cacheFlags()...)...), "read the OS keyring")
	if _, err := os.Stat(marker); err != nil {
		t.Error("clean removed the marker of a keyring entry it could not remove")
	}
}

func TestKeyringLogout(t *testing.T) {
	requireKeyring(t)
	s := newShell(t, oidcfake.Config{})
	flags := s.loginFlags("--token-cache-storage=keyring")
	mustCredential(t, s.kubelogin(append([]string{"get-token"}, flags...)...))
	markers, _ := filepath.Glob(filepath.Join(s.cacheDir, "*.keyring"))
	if len(markers) != 1 {
		t.Fatalf("markers %v", markers)
	}
	key := strings.TrimSuffix(filepath.Base(markers[0]), ".keyring")
	t.Cleanup(func() { keyring.Delete("kubelogin", key) })
	r := mustRun(t, s.kubelogin(append([]string{"logout"}, flags...)...))
	if !strings.Contains(r.stdout, "Revoked the refresh token") || !strings.Contains(r.stdout, "keyring, key "+key[:12]) {
		t.Errorf("logout says:\n%s", r.stdout)
	}
	if _, err := keyring.Get("kubelogin", key); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("the keyring item is still there: %v", err)
	}
	if s.provider.Count("revoke") != 1 {
		t.Errorf("revocations = %d", s.provider.Count("revoke"))
	}
}

func dirFiles(t *testing.T, dir string) []string {
	t.Helper()
	des, _ := os.ReadDir(dir)
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}
