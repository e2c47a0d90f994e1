package tokencache

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// These tests use the real OS keyring. On Linux they need a D-Bus session bus
// with a Secret Service: hack/keyring-test.sh runs them under dbus-run-session
// with a throwaway, unlocked GNOME Keyring. Elsewhere they would touch the
// user's own keychain, so they run only with KUBELOGIN_TEST_KEYRING=1.
func requireOSKeyring(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "linux" || runtime.GOOS == "freebsd" || runtime.GOOS == "openbsd" || runtime.GOOS == "netbsd" {
		if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
			t.Skip("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is empty): run hack/keyring-test.sh to test against a throwaway GNOME Keyring")
		}
		return
	}
	if os.Getenv("KUBELOGIN_TEST_KEYRING") != "1" {
		t.Skipf("set KUBELOGIN_TEST_KEYRING=1 to test against this %s user's keyring", runtime.GOOS)
	}
}

// randomKey returns a fresh cache key, whose items are deleted after the test.
func randomKey(t *testing.T) string {
	b := make([]byte, 32)
	rand.Read(b)
	k := hex.EncodeToString(b)
	t.Cleanup(func() {
		for _, u := range append(chunkNames(k, 20), k) {
			keyring.Delete(KeyringService, u)
		}
	})
	return k
}

func TestKeyringOSRoundTripAndLargeTokens(t *testing.T) {
	requireOSKeyring(t)
	for _, tc := range []struct {
		name      string
		chunkSize int
		tokenSize int
		wantItems int
	}{
		{"small entry, platform chunk size", 0, 900, 1},
		{"6 KiB token, platform chunk size", 0, 6 << 10, 1},
		{"6 KiB token, macOS and Windows chunk size", 2048, 6 << 10, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if runtime.GOOS != "linux" && tc.chunkSize == 0 && tc.tokenSize > 2048 {
				tc.wantItems = 5
			}
			k := &Keyring{Dir: t.TempDir(), ChunkSize: tc.chunkSize}
			key := randomKey(t)
			if err := k.Open(key); err != nil {
				t.Fatal(err)
			}
			if _, _, err := k.Load(key); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Load before Save = %v", err)
			}
			want := bigEntry(tc.tokenSize)
			start := time.Now()
			if err := k.Save(key, want); err != nil {
				t.Fatal(err)
			}
			saved := time.Since(start)
			start = time.Now()
			got, _, err := k.Load(key)
			if err != nil {
				t.Fatal(err)
			}
			loaded := time.Since(start)
			if got.IDToken != want.IDToken || got.RefreshToken != want.RefreshToken {
				t.Error("the entry read back differs")
			}
			items := 0
			for _, u := range append(chunkNames(key, 10), key) {
				if _, err := keyring.Get(KeyringService, u); err == nil {
					items++
				}
			}
			if items != tc.wantItems {
				t.Errorf("%d items in the keyring, want %d", items, tc.wantItems)
			}
			start = time.Now()
			if err := k.Delete(key); err != nil {
				t.Fatal(err)
			}
			deleted := time.Since(start)
			for _, u := range append(chunkNames(key, 10), key) {
				if _, err := keyring.Get(KeyringService, u); !errors.Is(err, keyring.ErrNotFound) {
					t.Errorf("item %s left after Delete: %v", u, err)
				}
			}
			t.Logf("%d items: Save %s, Load %s, Delete %s", items, saved.Round(time.Millisecond), loaded.Round(time.Millisecond), deleted.Round(time.Millisecond))
		})
	}
}

func TestKeyringOSSaveSkipsUnchangedEntries(t *testing.T) {
	requireOSKeyring(t)
	k := &Keyring{Dir: t.TempDir(), ChunkSize: 2048}
	key := randomKey(t)
	e := bigEntry(5 << 10)
	if err := k.Save(key, e); err != nil {
		t.Fatal(err)
	}
	_, first, err := k.Load(key)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if err := k.Save(key, e); err != nil {
		t.Fatal(err)
	}
	if _, second, _ := k.Load(key); !second.Equal(first) {
		t.Errorf("an unchanged entry was written again (saved at %v, then %v)", first, second)
	}
}
