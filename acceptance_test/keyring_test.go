package acceptance

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/acceptance_test/harness"
)

// A desktop user stores tokens in the OS keyring (gnome-keyring over D-Bus):
// the login goes into the keyring, not into a file, and the next call is
// served from the keyring without a browser.
func TestKeyringStorageKeepsTokensOutOfFiles(t *testing.T) {
	ctx := context.Background()
	grantView(t, ctx)
	u := newUser(t, "1.33", harness.Exec{
		APIVersion: harness.ExecV1,
		Flags:      loginFlags(t, false, "--token-cache-storage=keyring"),
	})
	k, err := u.StartKeyring(ctx)
	if err != nil {
		fatalf(t, "start the keyring: %v", err)
	}
	t.Cleanup(func() {
		// Chromium, started by the plugin, is on the session bus too: let the
		// browser finish before the bus goes (newUser's cleanup reports it).
		_ = u.WaitBrowsers(ctx, 30*time.Second)
		k.Stop()
	})
	empty := k.Contents()

	r := u.Kubectl(ctx, "get", "pods")
	skipIfUnsupported(t, r, "--token-cache-storage=keyring")
	mustSucceed(t, r)
	wantLaunches(t, u, 1)
	if bytes.Equal(k.Contents(), empty) {
		errorf(t, "the login keyring %s did not change: nothing was stored in it", k.File)
	}
	for _, e := range readCache(t, u.CacheDir()) {
		if e.RefreshToken != "" || e.IDToken != "" || e.AccessToken != "" {
			errorf(t, "tokens were written to %s with keyring storage", e.Path)
		}
	}

	mustSucceed(t, u.Kubectl(ctx, "get", "pods"))
	wantUser(t, ctx, u)
	wantLaunches(t, u, 1)
}
