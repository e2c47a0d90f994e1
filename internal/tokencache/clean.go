package tokencache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The deletions of "kubelogin clean" beyond the entries (Store.Delete): only
// files this package recognises as kubelogin's (or int128/kubelogin's) are
// removed, and the directory only when it is empty.

// RemoveAuxiliary removes the lock and failure files and the provider
// metadata of Dir (see Auxiliary): all kubelogin's, all disposable.
func (d Disk) RemoveAuxiliary() error {
	files, err := d.Auxiliary()
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove %s: %w", f, err))
		}
	}
	return errors.Join(errs...)
}

// RemoveLegacyEntries removes the token files int128/kubelogin left in Dir
// (see LegacyEntries) and returns the names of those it removed.
func (d Disk) RemoveLegacyEntries() ([]string, error) {
	files, err := d.LegacyEntries()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove %s: %w", f, err))
			continue
		}
		removed = append(removed, filepath.Base(f))
	}
	return removed, errors.Join(errs...)
}

// RemoveDirIfEmpty removes Dir when nothing is left in it (never with what it
// holds: the user may have pointed --token-cache-dir at any directory) and
// returns how many entries are left in it otherwise. A missing Dir has none.
func (d Disk) RemoveDirIfEmpty() (left int, err error) {
	des, err := os.ReadDir(d.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("list token cache %s: %w", d.Dir, err)
	}
	if len(des) > 0 {
		return len(des), nil
	}
	if err := os.Remove(d.Dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("remove token cache directory %s: %w", d.Dir, err)
	}
	return 0, nil
}
