package tokencache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// The provider's discovery document and JWKS are public; they are kept beside
// the tokens as provider-<sha256(issuer)>.json so that a refresh needs only the
// token request. Disk implements oidc.MetadataStore.

func (d Disk) metadataPath(issuer string) string {
	sum := sha256.Sum256([]byte(issuer))
	return filepath.Join(d.Dir, "provider-"+hex.EncodeToString(sum[:])+".json")
}

// LoadMetadata reads the cached provider metadata of issuer.
func (d Disk) LoadMetadata(issuer string) ([]byte, error) {
	b, err := os.ReadFile(d.metadataPath(issuer))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return b, err
}

// SaveMetadata writes the provider metadata of issuer atomically.
func (d Disk) SaveMetadata(issuer string, b []byte) error {
	if err := d.ensureDir(); err != nil {
		return err
	}
	return writeAtomic(d.metadataPath(issuer), b)
}

// DeleteMetadata removes the cached provider metadata of issuer.
func (d Disk) DeleteMetadata(issuer string) error {
	err := os.Remove(d.metadataPath(issuer))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
