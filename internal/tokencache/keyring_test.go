package tokencache

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/kubelogin/kubelogin/internal/token"
)

// fakeSecrets is an in-memory keyring that refuses values over limit, as the
// macOS and Windows keyrings do, and counts writes.
type fakeSecrets struct {
	mu     sync.Mutex
	items  map[string]string
	limit  int
	sets   int
	gets   int
	broken error
}

func newFakeSecrets(limit int) *fakeSecrets {
	return &fakeSecrets{items: map[string]string{}, limit: limit}
}

func (f *fakeSecrets) Get(service, user string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.broken != nil {
		return "", f.broken
	}
	f.gets++
	v, ok := f.items[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeSecrets) Set(service, user, password string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.broken != nil {
		return f.broken
	}
	if f.limit > 0 && len(password) > f.limit {
		return keyring.ErrSetDataTooBig
	}
	f.sets++
	f.items[service+"/"+user] = password
	return nil
}

func (f *fakeSecrets) Delete(service, user string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.broken != nil {
		return f.broken
	}
	if _, ok := f.items[service+"/"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(f.items, service+"/"+user)
	return nil
}

func (f *fakeSecrets) names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.items {
		out = append(out, k)
	}
	return out
}

func bigEntry(n int) Entry {
	return Entry{Issuer: "https://issuer.example.com", ClientID: "kubelogin", Set: token.Set{
		IDToken: "eyJ." + strings.Repeat("x", n) + ".sig", RefreshToken: "r-" + strings.Repeat("é", 10), AccessToken: "a"}}
}

func TestKeyringFakeChunking(t *testing.T) {
	for _, tc := range []struct {
		name       string
		size       int
		wantChunks int
	}{
		{"small entry in one item", 100, 0},
		{"5 KiB token over a 2 KiB limit", 5 << 10, 3},
		{"20 KiB token", 20 << 10, 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newFakeSecrets(2048)
			k := &Keyring{Dir: t.TempDir(), ChunkSize: 2048, secrets: s}
			want := bigEntry(tc.size)
			if err := k.Save(key, want); err != nil {
				t.Fatal(err)
			}
			got, savedAt, err := k.Load(key)
			if err != nil {
				t.Fatal(err)
			}
			if got.IDToken != want.IDToken || got.RefreshToken != want.RefreshToken || got.Issuer != want.Issuer {
				t.Error("the entry read back differs")
			}
			if time.Since(savedAt) > time.Hour {
				t.Errorf("savedAt = %v", savedAt)
			}
			if n := len(s.names()); n != tc.wantChunks+1 {
				t.Errorf("%d items, want %d chunks and a header: %v", n, tc.wantChunks, s.names())
			}
			if keys, _ := k.Keys(); len(keys) != 1 || keys[0] != key {
				t.Errorf("Keys = %v", keys)
			}
			assertMode(t, filepath.Join(k.Dir, key+".keyring"), 0o600)
		})
	}
}

func TestKeyringFakeWritesOnlyWhenChanged(t *testing.T) {
	s := newFakeSecrets(2048)
	k := &Keyring{Dir: t.TempDir(), ChunkSize: 2048, secrets: s}
	e := bigEntry(5 << 10)
	k.Save(key, e)
	before := s.sets
	if err := k.Save(key, e); err != nil {
		t.Fatal(err)
	}
	if s.sets != before {
		t.Errorf("saving the same entry wrote %d items", s.sets-before)
	}
	// Shrinking removes the chunks no longer needed.
	if err := k.Save(key, bigEntry(10)); err != nil {
		t.Fatal(err)
	}
	if n := len(s.names()); n != 1 {
		t.Errorf("after shrinking: %d items, want 1: %v", n, s.names())
	}
}

func TestKeyringFakeTornWriteIsAMiss(t *testing.T) {
	s := newFakeSecrets(0)
	k := &Keyring{Dir: t.TempDir(), ChunkSize: 1024, secrets: s}
	k.Save(key, bigEntry(3000))
	// Another process has written its first chunk but not yet its header.
	s.items[KeyringService+"/"+key+".1"] = strings.Repeat("y", 1024)
	_, _, err := k.Load(key)
	var ce *CorruptError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("Load = %v, want a checksum mismatch", err)
	}
}

func TestKeyringFakeMarkerIsTheIndex(t *testing.T) {
	s := newFakeSecrets(0)
	k := &Keyring{Dir: t.TempDir(), secrets: s}
	k.Save(key, bigEntry(10))
	os.Remove(filepath.Join(k.Dir, key+".keyring"))
	if _, _, err := k.Load(key); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load without a marker = %v, want ErrNotFound", err)
	}
	k.Save(key, bigEntry(10))
	os.WriteFile(filepath.Join(k.Dir, key+".lock"), nil, 0o600)
	if err := k.Delete(key); err != nil {
		t.Fatal(err)
	}
	des, _ := os.ReadDir(k.Dir)
	if len(des) != 0 || len(s.names()) != 0 {
		t.Errorf("left behind: %d files, items %v", len(des), s.names())
	}
	if err := k.Delete(key); err != nil {
		t.Errorf("deleting a missing entry: %v", err)
	}
}

func TestKeyringFakeUnavailable(t *testing.T) {
	s := newFakeSecrets(0)
	s.broken = errors.New(`exec: "dbus-launch": executable file not found in $PATH`)
	k := &Keyring{Dir: t.TempDir(), secrets: s}
	err := k.Open(key)
	var ke *KeyringError
	if !errors.As(err, &ke) || !strings.Contains(err.Error(), "dbus-launch") {
		t.Errorf("Open = %v, want a KeyringError", err)
	}
	if err := k.Save(key, bigEntry(10)); !errors.As(err, &ke) {
		t.Errorf("Save = %v, want a KeyringError", err)
	}
	if _, err := os.Stat(filepath.Join(k.Dir, key+".keyring")); err == nil {
		t.Error("a marker was written for an entry the keyring did not take")
	}
}

func TestKeyringFakeOpenIsReusedByLoad(t *testing.T) {
	s := newFakeSecrets(0)
	k := &Keyring{Dir: t.TempDir(), secrets: s}
	k.Save(key, bigEntry(10))
	if err := k.Open(key); err != nil {
		t.Fatal(err)
	}
	s.broken = errors.New("no more calls expected")
	if _, _, err := k.Load(key); err != nil {
		t.Errorf("Load after Open asked the keyring again: %v", err)
	}
	if _, _, err := k.Load(key); err == nil {
		t.Error("the second Load did not read the keyring afresh")
	}
}

func TestKeyringFakeTimeout(t *testing.T) {
	k := &Keyring{Dir: t.TempDir(), Timeout: 50 * time.Millisecond, secrets: hangingSecrets{}}
	if err := k.Open(key); err == nil || !strings.Contains(err.Error(), "no answer within") {
		t.Errorf("Open = %v", err)
	}
}

type hangingSecrets struct{}

func (hangingSecrets) Get(string, string) (string, error) { select {} }
func (hangingSecrets) Set(string, string, string) error   { select {} }
func (hangingSecrets) Delete(string, string) error        { select {} }

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %o, want %o", path, got, want)
	}
}

// Source loads under the lock, then saves: the save compares with what the
// load read instead of asking the keyring again.
func TestKeyringFakeSaveAfterLoadReadsNothing(t *testing.T) {
	s := newFakeSecrets(0)
	k := &Keyring{Dir: t.TempDir(), secrets: s}
	k.Save(key, bigEntry(10))
	if _, _, err := k.Load(key); err != nil {
		t.Fatal(err)
	}
	gets := s.gets
	if err := k.Save(key, bigEntry(20)); err != nil {
		t.Fatal(err)
	}
	if s.gets != gets {
		t.Errorf("Save after Load made %d reads", s.gets-gets)
	}
	if e, _, _ := k.Load(key); e.IDToken != bigEntry(20).IDToken {
		t.Error("the new entry was not saved")
	}
}
