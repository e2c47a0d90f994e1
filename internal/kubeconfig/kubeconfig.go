// Package kubeconfig reads and edits kubeconfig files the way kubectl does:
// which files are in play (--kubeconfig, KUBECONFIG, ~/.kube/config), which
// one holds an entry, and edits that show their change, keep a backup of the
// previous file and replace it atomically.
//
// A file is kept as a generic document, so fields this package does not know
// survive an edit, and it is written with sigs.k8s.io/yaml, as kubectl writes
// it (sorted keys). client-go's clientcmd is deliberately not linked: it
// would add apimachinery's start-up cost to every get-token run. The tests
// load every file written back with clientcmd.
package kubeconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kubelogin/kubelogin/internal/atomicfile"
)

// Files returns the kubeconfig files in kubectl's order of precedence:
// explicit (--kubeconfig) alone, else the KUBECONFIG list, else ~/.kube/config
// ($HOME, else home: system.OS's UserHomeDir).
func Files(explicit string, getenv func(string) string, home func() (string, error)) []string {
	if explicit != "" {
		return []string{explicit}
	}
	var out []string
	for _, p := range filepath.SplitList(getenv("KUBECONFIG")) {
		if p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) > 0 {
		return out
	}
	dir := getenv("HOME")
	if dir == "" && home != nil {
		dir, _ = home()
	}
	return []string{filepath.Join(dir, ".kube", "config")}
}

// DefaultFile is where new entries go: the first of files that exists, else
// the first (as kubectl config set-credentials does).
func DefaultFile(files []string) string {
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			return f
		}
	}
	return files[0]
}

// Set is the files in play, merged as kubectl merges them: for each name and
// for current-context, the first file that sets it wins. Missing files are
// skipped.
type Set struct {
	Files []*File
}

// LoadSet opens every existing file of files.
func LoadSet(files []string) (*Set, error) {
	s := &Set{}
	for _, p := range files {
		f, err := Open(p)
		if err != nil {
			return nil, err
		}
		if f.Exists() {
			s.Files = append(s.Files, f)
		}
	}
	return s, nil
}

// CurrentContext returns the current-context of the first file that sets one.
func (s *Set) CurrentContext() string {
	for _, f := range s.Files {
		if c := f.CurrentContext(); c != "" {
			return c
		}
	}
	return ""
}

// Context returns the first definition of the context name.
func (s *Set) Context(name string) (Context, bool) {
	for _, f := range s.Files {
		if c, ok := f.Context(name); ok {
			return c, true
		}
	}
	return Context{}, false
}

// UserFile returns the file that defines the user name (the first one).
func (s *Set) UserFile(name string) (*File, bool) {
	for _, f := range s.Files {
		if _, ok := f.User(name); ok {
			return f, true
		}
	}
	return nil, false
}

// File is one kubeconfig file, loaded for reading or for a change: change it,
// then Diff and Write.
type File struct {
	// Path is the file as named; the file written is its symlink target.
	Path   string
	doc    map[string]any
	raw    []byte // the file's bytes; nil when it did not exist
	before []byte // doc as loaded, serialised
	mode   os.FileMode
	// NoBackup skips the backup in Write (the standalone mode rewrites
	// tokens at every login; backups of them would pile up).
	NoBackup bool
}

// Open loads path. A missing file is an empty configuration.
func Open(path string) (*File, error) {
	f := &File{Path: path, mode: 0o600}
	raw, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f.doc = map[string]any{"apiVersion": "v1", "kind": "Config"}
	case err != nil:
		return nil, fmt.Errorf("read kubeconfig %s: %w", path, err)
	default:
		f.raw = raw
		if err := yaml.Unmarshal(raw, &f.doc); err != nil {
			return nil, fmt.Errorf("read kubeconfig %s: %w", path, err)
		}
		if f.doc == nil {
			f.doc = map[string]any{"apiVersion": "v1", "kind": "Config"}
		}
		if fi, err := os.Stat(path); err == nil {
			f.mode = fi.Mode().Perm()
		}
	}
	if f.before, err = f.encode(f.doc); err != nil {
		return nil, err
	}
	return f, nil
}

// Exists reports whether the file existed when it was opened.
func (f *File) Exists() bool { return f.raw != nil }

func (f *File) encode(doc map[string]any) ([]byte, error) {
	b, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode kubeconfig %s: %w", f.Path, err)
	}
	return b, nil
}

// Bytes returns the file as it would be written.
func (f *File) Bytes() ([]byte, error) { return f.encode(f.doc) }

// Changed reports whether the file differs from what was loaded.
func (f *File) Changed() (bool, error) {
	after, err := f.encode(f.doc)
	if err != nil {
		return false, err
	}
	return !bytes.Equal(after, f.before), nil
}

// Diff returns the change as a unified diff, with every secret (tokens,
// passwords, client secrets and keys) shown as [redacted].
func (f *File) Diff() (string, error) {
	var before map[string]any
	if err := yaml.Unmarshal(f.before, &before); err != nil {
		return "", err
	}
	a, err := f.encode(redacted(before))
	if err != nil {
		return "", err
	}
	b, err := f.encode(redacted(f.doc))
	if err != nil {
		return "", err
	}
	if !f.Exists() {
		a = nil
	}
	d := unifiedDiff(string(a), string(b), f.Path, f.Path)
	if d == "" {
		if changed, _ := f.Changed(); changed {
			return "(only secret values change; they are not shown)\n", nil
		}
	}
	return d, nil
}

// Write replaces the file, atomically, keeping its mode (0600 for a new
// file). The previous file, if any, is kept as the returned backup path
// unless NoBackup. Nothing is written when nothing changed.
func (f *File) Write(now time.Time) (backup string, err error) {
	changed, err := f.Changed()
	if err != nil || !changed {
		return "", err
	}
	b, err := f.encode(f.doc)
	if err != nil {
		return "", err
	}
	target := f.Path
	if t, err := filepath.EvalSymlinks(f.Path); err == nil {
		target = t // keep a symlinked kubeconfig a symlink
	}
	switch {
	case f.raw != nil && !f.NoBackup:
		stamp := now.UTC().Format("20060102-150405")
		backup = target + ".kubelogin-backup-" + stamp
		for i := 2; exists(backup); i++ {
			backup = fmt.Sprintf("%s.kubelogin-backup-%s-%d", target, stamp, i)
		}
		if err := os.WriteFile(backup, f.raw, 0o600); err != nil {
			return "", fmt.Errorf("back up kubeconfig %s: %w", f.Path, err)
		}
	case f.raw == nil:
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return "", fmt.Errorf("write kubeconfig %s: %w", f.Path, err)
		}
	}
	if err := atomicfile.Write(target, b, f.mode); err != nil {
		return backup, fmt.Errorf("write kubeconfig %s: %w", f.Path, err)
	}
	f.raw, f.before = b, b
	return backup, nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// convert turns v into generic JSON values (maps, slices, strings…).
func convert(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic("kubeconfig: " + err.Error()) // only plain structs of strings
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// decode fills v from a generic JSON value.
func decode(in, v any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
