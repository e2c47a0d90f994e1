package tokencache

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// AudiencesSuffix names the file beside a login's entry that lists the
// audiences granted to it (<key>.audiences: names, no secret; Dex
// cross-client). Deleting the entry deletes it.
const AudiencesSuffix = ".audiences"

// Auxiliary lists the files of Dir that kubelogin writes beside the entries:
// lock, failure and audience files (<key>.lock, <key>.failed, <key>.audiences) and the provider metadata
// cache (provider-<sha256>.json) with its unreachable marker (provider-<sha256>.unreachable). Entries, keyring markers and files that are
// not kubelogin's are never listed. clean removes these when it empties the cache.
func (d Disk) Auxiliary() ([]string, error) {
	names, err := regularFiles(d.Dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, name := range names {
		ext := filepath.Ext(name)
		base := strings.TrimSuffix(name, ext)
		switch {
		case (ext == ".lock" || ext == ".failed" || ext == AudiencesSuffix) && isKey(base),
			(ext == ".json" || ext == ".unreachable") && strings.HasPrefix(base, "provider-") && isKey(strings.TrimPrefix(base, "provider-")):
			out = append(out, filepath.Join(d.Dir, name))
		}
	}
	return out, nil
}

// LegacyEntries lists the token files that int128/kubelogin left in Dir (a
// 64-hex-digit name without extension holding an id_token or refresh_token),
// so that clean forgets those tokens too after a switch. Their keys are not
// ours (a gob hash), so get-token never reads them.
func (d Disk) LegacyEntries() ([]string, error) {
	names, err := regularFiles(d.Dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, name := range names {
		if !isKey(name) {
			continue
		}
		p := filepath.Join(d.Dir, name)
		b, err := os.ReadFile(p)
		if err != nil || len(b) > maxEntrySize {
			continue
		}
		var e struct {
			IDToken      string `json:"id_token"`
			RefreshToken string `json:"refresh_token"`
		}
		if json.Unmarshal(b, &e) == nil && (e.IDToken != "" || e.RefreshToken != "") {
			out = append(out, p)
		}
	}
	return out, nil
}

// regularFiles lists the names of the regular files in dir; a missing dir
// has none.
func regularFiles(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list token cache %s: %w", dir, err)
	}
	var out []string
	for _, de := range des {
		if de.Type().IsRegular() {
			out = append(out, de.Name())
		}
	}
	return out, nil
}

// keysWithSuffix lists the keys of the files <key><suffix> in dir.
func keysWithSuffix(dir, suffix string) ([]string, error) {
	names, err := regularFiles(dir)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, name := range names {
		if key, ok := strings.CutSuffix(name, suffix); ok && isKey(key) {
			keys = append(keys, key)
		}
	}
	return keys, nil
}
