package tokencache

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gofrs/flock"

	"github.com/kubelogin/kubelogin/internal/token"
)

// These tests kill mutants that survived make mutation (docs/security.md).

// TestKeyringShrinkingEntryDropsOnlyTheOldChunks: an entry saved over a
// longer one keeps all its own chunks and loses the old extra ones.
func TestKeyringShrinkingEntryDropsOnlyTheOldChunks(t *testing.T) {
	s := newFakeSecrets(2048)
	k := &Keyring{Dir: t.TempDir(), ChunkSize: 2048, secrets: s}
	if err := k.Save(key, bigEntry(20<<10)); err != nil {
		t.Fatal(err)
	}
	small := bigEntry(5 << 10)
	small.RefreshToken = "r-new"
	if err := k.Save(key, small); err != nil {
		t.Fatal(err)
	}
	got, _, err := k.Load(key)
	if err != nil || got == nil || got.IDToken != small.IDToken || got.RefreshToken != "r-new" {
		t.Fatalf("after a shorter save: %v", err)
	}
	if n := len(s.names()); n != 3+1 {
		t.Errorf("%d items, want 3 chunks and a header: %v", n, s.names())
	}
}

// TestKeyringChunksAreValidUTF8: chunks never split a character, since
// keyrings store text.
func TestKeyringChunksAreValidUTF8(t *testing.T) {
	// No item over the chunk size either: backing off to a character start
	// must make the chunk shorter, never longer.
	s := newFakeSecrets(201)
	k := &Keyring{Dir: t.TempDir(), ChunkSize: 201, secrets: s}
	e := Entry{Issuer: "https://issuer.example.com", ClientID: "kubelogin", Set: token.Set{
		IDToken: "h." + strings.Repeat("é€😀", 200) + ".s", RefreshToken: "r"}}
	if err := k.Save(key, e); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	for name, v := range s.items {
		if !utf8.ValidString(v) {
			t.Errorf("item %s is not valid UTF-8", name)
		}
	}
	s.mu.Unlock()
	got, _, err := k.Load(key)
	if err != nil || got == nil || got.IDToken != e.IDToken {
		t.Fatalf("read back: %v", err)
	}
}

// TestLegacyEntriesNeedAToken: a legacy-named file is a token file only if
// it holds an id_token or a refresh_token; any one of them is enough.
func TestLegacyEntriesNeedAToken(t *testing.T) {
	d := Disk{Dir: t.TempDir()}
	files := map[string]string{
		strings.Repeat("a1", 32): `{"refresh_token":"r"}`,
		strings.Repeat("b2", 32): `{"id_token":"a.b.c"}`,
		strings.Repeat("c3", 32): `{}`,
		strings.Repeat("d4", 32): `{"access_token":"x"}`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(d.Dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got, err := d.LegacyEntries()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(d.Dir, strings.Repeat("a1", 32)), filepath.Join(d.Dir, strings.Repeat("b2", 32))}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("LegacyEntries = %v, want %v", got, want)
	}
}

// TestKeyringDeleteRemovesEveryChunk: logout leaves nothing of a chunked
// entry in the keyring, and files that were never there are no error.
func TestKeyringDeleteRemovesEveryChunk(t *testing.T) {
	s := newFakeSecrets(2048)
	k := &Keyring{Dir: t.TempDir(), ChunkSize: 2048, secrets: s}
	if err := k.Save(key, bigEntry(5<<10)); err != nil {
		t.Fatal(err)
	}
	if err := k.Delete(key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if names := s.names(); len(names) != 0 {
		t.Errorf("left in the keyring: %v", names)
	}
	if left := names(t, k.Dir); len(left) != 0 {
		t.Errorf("left on disk: %v", left)
	}
}

// TestLockWaitsOnlyWhenBusy: a free lock is taken at once without saying
// anything; a busy one says so once, waits, and is taken when released.
func TestLockWaitsOnlyWhenBusy(t *testing.T) {
	d := Disk{Dir: t.TempDir()}
	waits := 0
	unlock, err := d.Lock(context.Background(), key, time.Second, func(string) { waits++ })
	if err != nil || waits != 0 {
		t.Fatalf("free lock: %v, onWait called %d times", err, waits)
	}
	unlock()

	other := flock.New(d.path(key, ".lock"))
	if ok, err := other.TryLock(); !ok || err != nil {
		t.Fatalf("take the lock as another process: %v", err)
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		other.Unlock()
	}()
	start := time.Now()
	unlock, err = d.Lock(context.Background(), key, 10*time.Second, func(string) { waits++ })
	if err != nil || waits != 1 {
		t.Fatalf("busy lock: %v, onWait called %d times, want once", err, waits)
	}
	unlock()
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("took a busy lock after %s", d)
	}
}
