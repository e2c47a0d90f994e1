package tokencache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Auxiliary lists the files of Dir that kubelogin writes beside the entries:
// lock and failure files (<key>.lock, <key>.failed) and the provider metadata
// cache (provider-<sha256>.json). Entries, keyring markers and files that are
// not kubelogin's are never listed. clean removes these when it empties the cache.
func (d Disk) Auxiliary() ([]string, error) {
	des, err := os.ReadDir(d.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list token cache %s: %w", d.Dir, err)
	}
	var out []string
	for _, de := range des {
		if !de.Type().IsRegular() {
			continue
		}
		name := de.Name()
		ext := filepath.Ext(name)
		base := strings.TrimSuffix(name, ext)
		switch {
		case (ext == ".lock" || ext == ".failed") && isKey(base),
			ext == ".json" && strings.HasPrefix(base, "provider-") && isKey(strings.TrimPrefix(base, "provider-")):
			out = append(out, filepath.Join(d.Dir, name))
		}
	}
	return out, nil
}
