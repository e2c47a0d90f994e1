package usecase

import (
	"fmt"
	"time"

	"github.com/kubelogin/kubelogin/internal/tokencache"
)

// openStore returns the store that --token-cache-storage names. For the
// keyring it checks that the keyring answers (reading the entry for key, which
// the cache then uses): when it does not, the run fails with a message naming
// the alternative. Tokens are never written to plain files instead.
func openStore(c tokencache.Options, key string, now func() time.Time) (tokencache.Store, error) {
	if c.Storage != tokencache.StorageKeyring {
		return tokencache.Disk{Dir: c.Dir, Now: now}, nil
	}
	k := &tokencache.Keyring{Dir: c.Dir, Now: now}
	if err := k.Open(key); err != nil {
		return nil, keyringUnavailable(err, c.Dir)
	}
	return k, nil
}

func keyringUnavailable(err error, dir string) error {
	return fmt.Errorf("--token-cache-storage=keyring: %w (use --token-cache-storage=disk to keep the tokens in files under %s instead)", err, dir)
}
