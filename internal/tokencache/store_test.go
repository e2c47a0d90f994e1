package tokencache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/token"
)

const key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestDiskSaveLoad(t *testing.T) {
	d := Disk{Dir: filepath.Join(t.TempDir(), "a", "cache")}
	if _, _, err := d.Load(key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load on empty dir: %v", err)
	}
	want := Entry{Issuer: "https://i", ClientID: "c", Set: token.Set{IDToken: "id", RefreshToken: "r"}}
	if err := d.Save(key, want); err != nil {
		t.Fatal(err)
	}
	got, _, err := d.Load(key)
	if err != nil {
		t.Fatal(err)
	}
	if got.IDToken != "id" || got.RefreshToken != "r" || got.Issuer != "https://i" || got.Version != EntryVersion {
		t.Errorf("Load = %+v", got)
	}
	fi, _ := os.Stat(d.Dir)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %o", fi.Mode().Perm())
	}
	fi, _ = os.Stat(filepath.Join(d.Dir, key+".json"))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %o", fi.Mode().Perm())
	}
	des, _ := os.ReadDir(d.Dir)
	for _, de := range des {
		if strings.HasPrefix(de.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", de.Name())
		}
	}
}

func TestDiskCorruptEntries(t *testing.T) {
	d := Disk{Dir: t.TempDir()}
	for _, tc := range []struct{ name, content string }{
		{"empty", ""}, {"truncated", `{"version":1,"id_tok`}, {"garbage", "\x00\x01garbage"},
		{"wrong shape", `{"version":1,"id_token":{"a":1}}`}, {"other version", `{"version":99}`}, {"array", "[]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.WriteFile(filepath.Join(d.Dir, key+".json"), []byte(tc.content), 0o600)
			_, _, err := d.Load(key)
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Errorf("Load = %v, want a CorruptError", err)
			}
		})
	}
}

func TestDiskKeysListsOnlyEntries(t *testing.T) {
	d := Disk{Dir: t.TempDir()}
	d.Save(key, Entry{})
	for _, other := range []string{"notes.json", key + ".lock", "kubeconfig", strings.Repeat("A", 64) + ".json"} {
		os.WriteFile(filepath.Join(d.Dir, other), nil, 0o600)
	}
	keys, err := d.Keys()
	if err != nil || len(keys) != 1 || keys[0] != key {
		t.Errorf("Keys = %v, %v", keys, err)
	}
}

// fakeNext is a Next that counts calls and returns a fixed result.
type fakeNext struct {
	calls int
	set   *token.Set
	err   error
	stale *token.Set
}

func (f *fakeNext) Token(_ context.Context, stale *token.Set) (*token.Set, error) {
	f.calls++
	f.stale = stale
	return f.set, f.err
}

func TestSourceUsesCacheThenNext(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	usable := func(s *token.Set, _ time.Time) bool { return s.IDToken == "fresh" }
	for _, tc := range []struct {
		name      string
		cached    *Entry
		force     bool
		wantCalls int
		wantToken string
		wantStale string
	}{
		{"miss", nil, false, 1, "new", ""},
		{"hit", &Entry{Set: token.Set{IDToken: "fresh", RefreshToken: "r1"}}, false, 0, "fresh", ""},
		{"expired passes the stale set on", &Entry{Set: token.Set{IDToken: "old", RefreshToken: "r1"}}, false, 1, "new", "r1"},
		{"force refresh", &Entry{Set: token.Set{IDToken: "fresh", RefreshToken: "r1"}}, true, 1, "new", "r1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Disk{Dir: t.TempDir()}
			if tc.cached != nil {
				d.Save(key, *tc.cached)
			}
			next := &fakeNext{set: &token.Set{IDToken: "new", RefreshToken: "r2"}}
			// Entries saved "now" by this test must not count as saved by another process.
			src := &Source{Store: d, Locks: d, Key: key, Usable: usable, Now: func() time.Time { return now.Add(time.Hour * 24 * 365 * 100) },
				Next: next, Log: logger.New(nil), ForceRefresh: tc.force, LockWait: time.Second}
			got, err := src.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got.IDToken != tc.wantToken || next.calls != tc.wantCalls {
				t.Errorf("token %q after %d calls, want %q after %d", got.IDToken, next.calls, tc.wantToken, tc.wantCalls)
			}
			if tc.wantStale != "" && (next.stale == nil || next.stale.RefreshToken != tc.wantStale) {
				t.Errorf("stale set not passed on: %+v", next.stale)
			}
			if tc.wantCalls > 0 {
				e, _, _ := d.Load(key)
				if e == nil || e.IDToken != "new" {
					t.Errorf("new token not saved: %+v", e)
				}
			}
		})
	}
}

func TestSourceFailureDoesNotTouchTheEntry(t *testing.T) {
	d := Disk{Dir: t.TempDir()}
	d.Save(key, Entry{Set: token.Set{IDToken: "old", RefreshToken: "r1"}})
	next := &fakeNext{err: errors.New("provider down")}
	src := &Source{Store: d, Locks: d, Key: key, Usable: func(*token.Set, time.Time) bool { return false }, Now: time.Now,
		Next: next, Log: logger.New(nil), LockWait: time.Second}
	if _, err := src.Token(context.Background()); err == nil || err.Error() != "provider down" {
		t.Fatalf("err = %v", err)
	}
	e, _, _ := d.Load(key)
	if e.RefreshToken != "r1" {
		t.Errorf("entry changed after a failure: %+v", e)
	}
}

func TestSourceLockWaitIsCancellable(t *testing.T) {
	d := Disk{Dir: t.TempDir()}
	holder := &Source{Store: d, Locks: d, Key: key, Log: logger.New(nil)}
	unlock, err := holder.lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	waiter := &Source{Store: d, Locks: d, Key: key, Log: logger.New(nil), LockWait: time.Minute}
	start := time.Now()
	_, err = waiter.lock(ctx)
	if err == nil || !strings.Contains(err.Error(), "interrupted while waiting for another kubelogin process") {
		t.Errorf("err = %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Error("the wait ignored the cancellation")
	}
	waiter.LockWait = 100 * time.Millisecond
	_, err = waiter.lock(context.Background())
	if err == nil || !strings.Contains(err.Error(), "is still logging in after") {
		t.Errorf("bounded wait: err = %v", err)
	}
}

// TestCacheDirectoryErrors: a cache directory that cannot be created says
// why, and one that is a file says so instead of blaming its parent.
func TestCacheDirectoryErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, want string }{
		{file, "token cache directory " + file + " is a file, not a directory (remove or rename it, or set --token-cache-dir)"},
		{filepath.Join(file, "cache", "oidc-login"), "token cache directory " + filepath.Join(file, "cache", "oidc-login") + " cannot be created: " + file + " is a file, not a directory (remove or rename it, or set --token-cache-dir)"},
	} {
		err := Disk{Dir: tc.dir}.ensureDir()
		if err == nil || err.Error() != tc.want {
			t.Errorf("ensureDir(%s) = %v, want %q", tc.dir, err, tc.want)
		}
	}
	// Anything else (as root, permissions cannot be tested here: see
	// integration_test/unwritable_test.go) names the directory and its parent.
	if err := (Disk{Dir: "/proc/kubelogin-test/cache"}).ensureDir(); err == nil ||
		!strings.HasPrefix(err.Error(), "create token cache directory /proc/kubelogin-test/cache (check its parent's permissions, or set --token-cache-dir): mkdir") {
		t.Errorf("ensureDir under /proc = %v", err)
	}
}
