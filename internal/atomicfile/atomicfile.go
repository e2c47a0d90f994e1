// Package atomicfile replaces files so that a reader, or a crash, sees the old
// content or the new one, never a part: token cache entries, provider metadata
// and kubeconfig edits all go through it.
package atomicfile

import (
	"os"
	"path/filepath"
)

// TempPrefix starts the names of the temporary files Write creates beside the
// target; a writer killed mid-write leaves one behind.
const TempPrefix = ".tmp-"

// Write writes b to a temporary file in path's directory with mode, fsyncs it,
// renames it over path and fsyncs the directory (best effort: not every file
// system supports it). On failure path is untouched and the temporary file removed.
func Write(path string, b []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, TempPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	beforeRename(tmp, path)
	if err := rename(tmp, path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
