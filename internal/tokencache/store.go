package tokencache

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/kubelogin/kubelogin/internal/atomicfile"
	"github.com/kubelogin/kubelogin/internal/jsonobj"
	"github.com/kubelogin/kubelogin/internal/token"
)

// EntryVersion is written into every entry; entries of other versions are misses.
const EntryVersion = 1

// Entry is one cached login. Issuer and ClientID are kept for display (status,
// clean by issuer); the key already depends on them.
type Entry struct {
	Version  int    `json:"version"`
	Issuer   string `json:"issuer,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	token.Set
}

// Store keeps cache entries by key. Disk is the default; a keyring store keeps
// them in the OS keyring.
type Store interface {
	// Load returns the entry and when it was saved; ErrNotFound when there
	// is none, a *CorruptError when it cannot be read back.
	Load(key string) (*Entry, time.Time, error)
	Save(key string, e Entry) error
	// Delete removes the entry; a missing entry is no error.
	Delete(key string) error
	// Keys lists the keys of the stored entries.
	Keys() ([]string, error)
}

// ErrNotFound is returned by Load when there is no usable entry.
var ErrNotFound = errors.New("no cached token")

// CorruptError is returned by Load for an entry that cannot be read back. The
// caller treats it as a miss; the next Save replaces the entry.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("token cache entry %s is unreadable (it will be replaced after the next login): %v", e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Disk stores entries as files in Dir: <key>.json (0600), <key>.lock, and
// <key>.failed; Dir is created 0700.
type Disk struct {
	Dir string
	// Now is the clock that ages stale temporary files; nil means time.Now.
	Now func() time.Time
}

// now reads the clock c, or the wall clock when there is none.
func now(c func() time.Time) time.Time {
	if c == nil {
		return time.Now()
	}
	return c()
}

func (d Disk) path(key, ext string) string { return filepath.Join(d.Dir, key+ext) }

// Load reads the entry for key and tells when it was saved.
func (d Disk) Load(key string) (*Entry, time.Time, error) {
	p := d.path(key, ".json")
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, time.Time{}, ErrNotFound
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read token cache %s: %w", p, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read token cache %s: %w", p, err)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxEntrySize+1))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read token cache %s: %w", p, err)
	}
	if len(b) > maxEntrySize {
		return nil, time.Time{}, &CorruptError{Path: p, Err: fmt.Errorf("larger than %d bytes", maxEntrySize)}
	}
	e, err := decodeEntry(b)
	if err != nil {
		return nil, time.Time{}, &CorruptError{Path: p, Err: err}
	}
	return e, fi.ModTime(), nil
}

// decodeEntry decodes what Save wrote (an Entry by encoding/json) member by
// member, as jsonobj explains: on every cached call. Entries of another
// version are refused.
func decodeEntry(b []byte) (*Entry, error) {
	m, err := jsonobj.Members(b)
	if err != nil {
		return nil, err
	}
	var e Entry
	if err := jsonobj.Decode(m,
		jsonobj.Field{Name: "version", Dst: &e.Version},
		jsonobj.Field{Name: "issuer", Dst: &e.Issuer},
		jsonobj.Field{Name: "client_id", Dst: &e.ClientID},
		jsonobj.Field{Name: "id_token", Dst: &e.IDToken},
		jsonobj.Field{Name: "access_token", Dst: &e.AccessToken},
		jsonobj.Field{Name: "refresh_token", Dst: &e.RefreshToken},
		jsonobj.Field{Name: "access_token_expiry", Dst: &e.AccessTokenExpiry},
		jsonobj.Field{Name: "obtained_at", Dst: &e.ObtainedAt},
	); err != nil {
		return nil, err
	}
	if e.Version != EntryVersion {
		return nil, fmt.Errorf("entry version %d, want %d", e.Version, EntryVersion)
	}
	return &e, nil
}

// maxEntrySize bounds what Load reads: real entries are a few KiB.
const maxEntrySize = 1 << 20

// Save writes the entry atomically: a temporary file in Dir, fsync, rename, so a
// reader or a crash sees the old entry or the new one, never a part.
func (d Disk) Save(key string, e Entry) error {
	e.Version = EntryVersion
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode token cache entry: %w", err)
	}
	if err := d.ensureDir(); err != nil {
		return err
	}
	d.removeStaleTemps()
	return writeAtomic(d.path(key, ".json"), b)
}

// removeStaleTemps removes temporary files that a writer killed mid-write left
// behind (the rename never happened, so nothing refers to them).
func (d Disk) removeStaleTemps() {
	tmps, _ := filepath.Glob(filepath.Join(d.Dir, atomicfile.TempPrefix+"*"))
	for _, t := range tmps {
		if fi, err := os.Lstat(t); err == nil && now(d.Now).Sub(fi.ModTime()) > staleTempAge {
			os.Remove(t)
		}
	}
}

// staleTempAge: a writer holds its temporary file for milliseconds.
const staleTempAge = time.Minute

// Delete removes the entry, its lock and failure files and the audiences
// granted to it (AudiencesSuffix); a missing entry is no error.
func (d Disk) Delete(key string) error {
	var errs []error
	for _, ext := range []string{".json", ".failed", ".lock", AudiencesSuffix} {
		if err := os.Remove(d.path(key, ext)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Keys lists the keys of the entries in Dir (for clean and status). Files that
// are not ours are never listed.
func (d Disk) Keys() ([]string, error) { return keysWithSuffix(d.Dir, ".json") }

func isKey(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func (d Disk) ensureDir() error {
	if err := os.MkdirAll(d.Dir, 0o700); err != nil {
		if file := fileInTheWay(d.Dir); file == d.Dir {
			return fmt.Errorf("token cache directory %s is a file, not a directory (remove or rename it, or set --token-cache-dir)", d.Dir)
		} else if file != "" {
			return fmt.Errorf("token cache directory %s cannot be created: %s is a file, not a directory (remove or rename it, or set --token-cache-dir)", d.Dir, file)
		}
		return fmt.Errorf("create token cache directory %s (check its parent's permissions, or set --token-cache-dir): %w", d.Dir, err)
	}
	return nil
}

// fileInTheWay returns dir or the nearest of its parents that exists and is
// not a directory, or "".
func fileInTheWay(dir string) string {
	for p := dir; ; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil {
			if !fi.IsDir() {
				return p
			}
			return ""
		}
		if filepath.Dir(p) == p {
			return ""
		}
	}
}

// failure is what a process whose login failed leaves for the processes waiting
// on the same lock, so that they fail fast instead of each opening a browser.
type failure struct {
	At      time.Time `json:"at"`
	Message string    `json:"message"`
}

func (d Disk) saveFailure(key string, f failure) error {
	b, _ := json.Marshal(f)
	if err := d.ensureDir(); err != nil {
		return err
	}
	return writeAtomic(d.path(key, ".failed"), b)
}

func (d Disk) loadFailure(key string) (failure, bool) {
	var f failure
	b, err := os.ReadFile(d.path(key, ".failed"))
	if err != nil || json.Unmarshal(b, &f) != nil {
		return failure{}, false
	}
	return f, true
}

func (d Disk) clearFailure(key string) {
	_ = os.Remove(d.path(key, ".failed"))
}

// writeAtomic writes a cache file, 0600, through atomicfile.
func writeAtomic(path string, b []byte) error {
	if err := atomicfile.Write(path, b, 0o600); err != nil {
		return fmt.Errorf("write token cache %s: %w", path, err)
	}
	return nil
}
