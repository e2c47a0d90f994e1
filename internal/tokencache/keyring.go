package tokencache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/zalando/go-keyring"
)

// KeyringService is the service name of kubelogin's items in the OS keyring.
const KeyringService = "kubelogin"

// DefaultKeyringTimeout bounds one keyring operation, so that a keyring that
// never answers (a hung D-Bus service, an unlock prompt nobody sees) fails the
// run instead of freezing every kubectl behind the lock.
const DefaultKeyringTimeout = time.Minute

// Keyring stores entries in the OS keyring: the macOS Keychain, the Windows
// Credential Manager, or the Secret Service (GNOME Keyring, KWallet) on Linux,
// through zalando/go-keyring.
//
// An entry is the item "<key>" of service "kubelogin". When the entry is too
// large for one item on this platform (macOS and Windows refuse values over
// 2–3 KiB, and ID tokens with many groups are larger), the item "<key>" holds
// a header with the SHA-256 of the entry, and the entry itself is split over
// the items "<key>.1" … "<key>.N". A reader that meets a half-written set of
// chunks sees a checksum mismatch: a miss, never a wrong token.
//
// The keyring cannot be listed, so the cache directory Dir holds a marker file
// "<key>.keyring" (empty, 0600) for every entry: it is what status and clean
// list, and an entry without its marker does not exist (removing the cache
// directory forgets keyring entries as it forgets files). Lock and failure
// files stay in Dir too. Save writes only when the entry changed.
type Keyring struct {
	Dir string
	// ChunkSize is the largest value written to one item; 0 means the
	// platform's limit (2 KiB on macOS and Windows, 64 KiB elsewhere).
	ChunkSize int
	// Timeout bounds each keyring operation; 0 means DefaultKeyringTimeout.
	Timeout time.Duration
	// Now is the clock that stamps saved entries; nil means time.Now.
	Now func() time.Time

	secrets secrets // nil: the OS keyring
	opened  *opened
	// seen is the header the last Load read: Save compares with it instead
	// of reading the keyring again (Source saves under the lock it loaded under).
	seen *opened
}

// secrets is the part of go-keyring the store uses.
type secrets interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

type osKeyring struct{}

func (osKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (osKeyring) Set(service, user, password string) error {
	return keyring.Set(service, user, password)
}
func (osKeyring) Delete(service, user string) error { return keyring.Delete(service, user) }

// opened is the header read by Open, handed to the next Load of its key.
type opened struct {
	key    string
	header string
	err    error
}

// KeyringError is a keyring that could not be used: not running, locked, or
// refusing access. It is never a missing entry.
type KeyringError struct {
	Op  string
	Err error
}

func (e *KeyringError) Error() string {
	return fmt.Sprintf("%s the OS keyring: %v", e.Op, e.Err)
}

func (e *KeyringError) Unwrap() error { return e.Err }

// keyringHeader is the value of the item "<key>".
type keyringHeader struct {
	V       int       `json:"v"`
	SavedAt time.Time `json:"saved_at"`
	// SHA256 is the hex SHA-256 of the entry's JSON.
	SHA256 string `json:"sha256"`
	// Entry is the entry itself when it fits in one item; else Chunks > 0.
	Entry  json.RawMessage `json:"entry,omitempty"`
	Chunks int             `json:"chunks,omitempty"`
}

const keyringHeaderVersion = 1

func (k *Keyring) chunkSize() int {
	if k.ChunkSize > 0 {
		return k.ChunkSize
	}
	switch runtime.GOOS {
	case "darwin", "windows":
		// macOS: go-keyring refuses a command line over 4096 bytes, and the
		// value is base64-encoded on it (2048 → 2732). Windows: 2560 bytes.
		return 2048
	}
	return 64 << 10 // Secret Service: no limit, but slow with large values
}

func (k *Keyring) marker(key string) string { return Disk{Dir: k.Dir}.path(key, ".keyring") }

func chunkName(key string, i int) string { return key + "." + strconv.Itoa(i) }

// Open checks that the keyring answers, by reading the entry for key; the next
// Load of key uses what it read instead of asking the keyring again. It
// returns a *KeyringError when the keyring cannot be used.
func (k *Keyring) Open(key string) error {
	h, err := k.get(key)
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return &KeyringError{Op: "read", Err: err}
	}
	k.opened = &opened{key: key, header: h, err: err}
	return nil
}

// Load reads the entry for key and tells when it was saved.
func (k *Keyring) Load(key string) (*Entry, time.Time, error) {
	if _, err := os.Stat(k.marker(key)); err != nil {
		k.opened = nil
		return nil, time.Time{}, ErrNotFound
	}
	h, err := k.header(key)
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		k.seen = &opened{key: key, header: h, err: err}
	}
	if errors.Is(err, keyring.ErrNotFound) {
		return nil, time.Time{}, ErrNotFound
	}
	if err != nil {
		return nil, time.Time{}, &KeyringError{Op: "read", Err: err}
	}
	where := KeyringService + "/" + key + " in the OS keyring"
	var hdr keyringHeader
	if err := json.Unmarshal([]byte(h), &hdr); err != nil {
		return nil, time.Time{}, &CorruptError{Path: where, Err: err}
	}
	if hdr.V != keyringHeaderVersion {
		return nil, time.Time{}, &CorruptError{Path: where, Err: fmt.Errorf("header version %d, want %d", hdr.V, keyringHeaderVersion)}
	}
	b := []byte(hdr.Entry)
	if hdr.Chunks > 0 {
		var buf bytes.Buffer
		for i := 1; i <= hdr.Chunks; i++ {
			c, err := k.get(chunkName(key, i))
			if errors.Is(err, keyring.ErrNotFound) {
				return nil, time.Time{}, &CorruptError{Path: where, Err: fmt.Errorf("chunk %d of %d is missing", i, hdr.Chunks)}
			}
			if err != nil {
				return nil, time.Time{}, &KeyringError{Op: "read", Err: err}
			}
			buf.WriteString(c)
		}
		b = buf.Bytes()
	}
	if sum(b) != hdr.SHA256 {
		return nil, time.Time{}, &CorruptError{Path: where, Err: errors.New("checksum mismatch (written while read, or damaged)")}
	}
	e, err := decodeEntry(b)
	if err != nil {
		return nil, time.Time{}, &CorruptError{Path: where, Err: err}
	}
	return e, hdr.SavedAt, nil
}

// header returns the value of the item "<key>", from Open when it read it.
func (k *Keyring) header(key string) (string, error) {
	if o := k.opened; o != nil && o.key == key {
		k.opened = nil
		return o.header, o.err
	}
	return k.get(key)
}

// Save stores the entry, unless the keyring already holds the same one.
func (k *Keyring) Save(key string, e Entry) error {
	e.Version = EntryVersion
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode token cache entry: %w", err)
	}
	hdr := keyringHeader{V: keyringHeaderVersion, SavedAt: now(k.Now).UTC(), SHA256: sum(b)}
	oldChunks := 0
	var old string
	if s := k.seen; s != nil && s.key == key {
		old, err = s.header, s.err
	} else {
		old, err = k.get(key)
	}
	k.seen = nil
	switch {
	case err == nil:
		var o keyringHeader
		if json.Unmarshal([]byte(old), &o) == nil {
			if o.V == keyringHeaderVersion && o.SHA256 == hdr.SHA256 {
				return k.mark(key) // unchanged: no keyring write (macOS may ask the user for each)
			}
			oldChunks = o.Chunks
		}
	case !errors.Is(err, keyring.ErrNotFound):
		return &KeyringError{Op: "read", Err: err}
	}

	hdr.Entry = b
	value, _ := json.Marshal(hdr)
	var chunks []string
	if size := k.chunkSize(); len(value) > size {
		hdr.Entry = nil
		for len(b) > 0 {
			n := min(size, len(b))
			for n < len(b) && n > 1 && !utf8.RuneStart(b[n]) {
				n-- // keep every chunk valid UTF-8: keyrings store text
			}
			chunks = append(chunks, string(b[:n]))
			b = b[n:]
		}
		hdr.Chunks = len(chunks)
		value, _ = json.Marshal(hdr)
	}
	// Chunks first, header last: until the header changes, readers see the
	// old header, whose checksum no longer matches: a miss, not a wrong token.
	for i, c := range chunks {
		if err := k.set(chunkName(key, i+1), c); err != nil {
			return &KeyringError{Op: "write to", Err: err}
		}
	}
	if err := k.set(key, string(value)); err != nil {
		return &KeyringError{Op: "write to", Err: err}
	}
	for i := len(chunks) + 1; i <= oldChunks; i++ {
		if err := k.del(chunkName(key, i)); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return &KeyringError{Op: "delete from", Err: err}
		}
	}
	return k.mark(key)
}

// mark creates the marker file of key, unless it is there.
func (k *Keyring) mark(key string) error {
	p := k.marker(key)
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	if err := (Disk{Dir: k.Dir}).ensureDir(); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write token cache marker %s: %w", p, err)
	}
	return f.Close()
}

// Delete removes the entry's items, its marker, and its lock and failure files;
// a missing entry is no error.
func (k *Keyring) Delete(key string) error {
	chunks := 0
	h, err := k.get(key)
	switch {
	case err == nil:
		var hdr keyringHeader
		if json.Unmarshal([]byte(h), &hdr) == nil {
			chunks = hdr.Chunks
		}
	case !errors.Is(err, keyring.ErrNotFound):
		return &KeyringError{Op: "read", Err: err}
	}
	for _, name := range append(chunkNames(key, chunks), key) {
		if err := k.del(name); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return &KeyringError{Op: "delete from", Err: err}
		}
	}
	var errs []error
	for _, ext := range []string{".keyring", ".failed", ".lock", AudiencesSuffix} {
		if err := os.Remove(Disk{Dir: k.Dir}.path(key, ext)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func chunkNames(key string, n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, chunkName(key, i))
	}
	return out
}

// Keys lists the keys whose marker is in Dir.
func (k *Keyring) Keys() ([]string, error) { return keysWithSuffix(k.Dir, ".keyring") }

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func (k *Keyring) get(user string) (string, error) {
	var v string
	err := k.do(func(s secrets) (err error) {
		v, err = s.Get(KeyringService, user)
		return err
	})
	return v, err
}

func (k *Keyring) set(user, value string) error {
	return k.do(func(s secrets) error { return s.Set(KeyringService, user, value) })
}

func (k *Keyring) del(user string) error {
	return k.do(func(s secrets) error { return s.Delete(KeyringService, user) })
}

// do runs one keyring operation, giving up after Timeout. (go-keyring takes
// no context; an abandoned operation ends with the process.)
func (k *Keyring) do(op func(secrets) error) error {
	s := k.secrets
	if s == nil {
		s = osKeyring{}
	}
	timeout := k.Timeout
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	done := make(chan error, 1)
	go func() { done <- op(s) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("no answer within %s (is the keyring locked, waiting for a password prompt?)", timeout)
	}
}
