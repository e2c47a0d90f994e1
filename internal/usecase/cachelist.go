package usecase

import (
	"cmp"
	"errors"
	"slices"

	"github.com/kubelogin/kubelogin/internal/token"
	"github.com/kubelogin/kubelogin/internal/tokencache"
)

// CacheFilter selects cached logins by issuer and client; empty fields match all.
type CacheFilter struct {
	Issuer   string
	ClientID string
}

func (f CacheFilter) empty() bool { return f.Issuer == "" && f.ClientID == "" }

// cached is one login in the token cache, in whichever storage.
type cached struct {
	Key     string
	Storage string
	Entry   *tokencache.Entry // nil when it could not be read
	Err     error
}

// matches reports whether the filter selects the login. An unreadable entry
// matches only the empty filter: its issuer and client are unknown.
func (c cached) matches(f CacheFilter) bool {
	if f.empty() {
		return true
	}
	if c.Entry == nil {
		return false
	}
	return (f.Issuer == "" || f.Issuer == c.Entry.Issuer) && (f.ClientID == "" || f.ClientID == c.Entry.ClientID)
}

// store returns the store holding the login.
func (c cached) store(dir string) tokencache.Store {
	if c.Storage == tokencache.StorageKeyring {
		return &tokencache.Keyring{Dir: dir}
	}
	return tokencache.Disk{Dir: dir}
}

// claims decodes the ID token for display; nil when there is none.
func (c cached) claims() *token.Claims {
	if c.Entry == nil || c.Entry.IDToken == "" {
		return nil
	}
	cl, err := token.DecodeClaims(c.Entry.IDToken)
	if err != nil {
		return nil
	}
	return cl
}

// listCache reads every login in dir: the entry files, and the keyring
// entries that their marker files name. The keyring is asked only when
// there are markers; when it cannot be read, those logins carry the error.
func listCache(dir string) ([]cached, error) {
	disk := tokencache.Disk{Dir: dir}
	kr := &tokencache.Keyring{Dir: dir}
	var out []cached
	for _, s := range []struct {
		name  string
		store tokencache.Store
	}{{tokencache.StorageDisk, disk}, {tokencache.StorageKeyring, kr}} {
		keys, err := s.store.Keys()
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			e, _, err := s.store.Load(k)
			if errors.Is(err, tokencache.ErrNotFound) {
				continue // removed meanwhile, or a marker whose item is gone
			}
			out = append(out, cached{Key: k, Storage: s.name, Entry: e, Err: err})
		}
	}
	slices.SortStableFunc(out, func(a, b cached) int {
		return cmp.Or(cmp.Compare(issuerOf(a), issuerOf(b)), cmp.Compare(clientOf(a), clientOf(b)), cmp.Compare(subjectOf(a), subjectOf(b)), cmp.Compare(a.Key, b.Key))
	})
	return out, nil
}

func issuerOf(c cached) string {
	if c.Entry == nil {
		return "~" // unreadable ones last
	}
	return c.Entry.Issuer
}

func clientOf(c cached) string {
	if c.Entry == nil {
		return ""
	}
	return c.Entry.ClientID
}

func subjectOf(c cached) string {
	if cl := c.claims(); cl != nil {
		return cmp.Or(cl.Email, cl.Subject)
	}
	return ""
}
