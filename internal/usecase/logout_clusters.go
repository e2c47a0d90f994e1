package usecase

import (
	"cmp"
	"slices"
	"time"

	"github.com/kubelogin/kubelogin/internal/token"
	"github.com/kubelogin/kubelogin/internal/tokencache"
)

// clusterToken is one per-audience entry of a login: the token get-token
// caches for a cluster under audienceKey, beside the login's own entry.
type clusterToken struct {
	Audience string
	Key      string
	Storage  string
}

// clusterTokens finds the per-audience entries of the login whose key is
// key (in has no audience), on disk and in the keyring. The audiences are
// not in the flags: they come from the login's <key>.audiences file (Dex
// cross-client mode writes it), else from the aud claim of each entry of
// the same issuer and client. Either way an entry is the login's only when
// audienceKey(in, aud) is its key, so an entry of another login (another
// account, scope or client) with an audience of the same name is never
// taken. An entry that cannot be read is left alone: nothing tells whose
// it is.
func clusterTokens(in GetTokenInput, caPEMs [][]byte, key string, now func() time.Time) ([]clusterToken, error) {
	listed := map[string]string{} // audience key → audience
	for _, a := range audiencesFile(in.Cache.Dir, key) {
		listed[audienceKey(in, a, caPEMs)] = a
	}
	var out []clusterToken
	for _, s := range []struct {
		name  string
		store tokencache.Store
	}{{tokencache.StorageDisk, tokencache.Disk{Dir: in.Cache.Dir, Now: now}}, {tokencache.StorageKeyring, &tokencache.Keyring{Dir: in.Cache.Dir, Now: now}}} {
		keys, err := s.store.Keys()
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if k == key {
				continue
			}
			aud, ok := listed[k]
			if !ok {
				e, _, err := s.store.Load(k)
				if err != nil {
					continue
				}
				aud, ok = audienceOf(in, caPEMs, k, e)
			}
			if ok {
				out = append(out, clusterToken{Audience: aud, Key: k, Storage: s.name})
			}
		}
	}
	slices.SortFunc(out, func(a, b clusterToken) int {
		return cmp.Or(cmp.Compare(a.Audience, b.Audience), cmp.Compare(a.Storage, b.Storage))
	})
	return out, nil
}

// audienceOf returns the audience a of the entry e cached under key when
// key is audienceKey(in, a): a is one of the aud claim's values, of the ID
// token or of a JWT access token.
func audienceOf(in GetTokenInput, caPEMs [][]byte, key string, e *tokencache.Entry) (string, bool) {
	if e.Issuer != in.Provider.IssuerURL || e.ClientID != in.Provider.ClientID {
		return "", false
	}
	for _, jwt := range []string{e.IDToken, e.AccessToken} {
		if jwt == "" {
			continue
		}
		cl, err := token.DecodeClaims(jwt)
		if err != nil {
			continue // an opaque access token
		}
		m, err := cl.Map()
		if err != nil {
			continue
		}
		for _, a := range stringList(m["aud"]) {
			if audienceKey(in, a, caPEMs) == key {
				return a, true
			}
		}
	}
	return "", false
}
