package usecase

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/kubelogin/kubelogin/internal/oidc"
	"github.com/kubelogin/kubelogin/internal/tokencache"
)

// Logout revokes a cached login's refresh token at the provider (RFC 7009)
// and removes the login from the cache, with the tokens cached from it for
// each cluster (--request-audience, or the cluster's exec extension). The
// login is the one get-token would use with the same flags.
type Logout struct {
	GetToken *GetToken
}

// NewLogout returns the use-case.
func NewLogout(g *GetToken) *Logout { return &Logout{GetToken: g} }

// LogoutResult is what logout did, for the command line to show.
type LogoutResult struct {
	Dir string
	// Logins are the cached logins for the settings, in the order handled;
	// none means there was nothing to do.
	Logins []LoggedOut
	// Clusters are the audiences whose tokens, cached from the login for
	// each cluster, were removed: one per entry, sorted.
	Clusters []string
}

// LoggedOut is one cached login logout handled.
type LoggedOut struct {
	// Label names the login (issuer, client, user, storage, key).
	Label string
	// Unreadable: the entry could not be read, so nothing was revoked.
	Unreadable bool
	// What is the token revoked or meant to be: "refresh token", "access
	// token", or "" when the login holds neither.
	What string
	// Endpoint is where What was revoked; "" when the provider lists no
	// revocation endpoint (What stays valid until it expires).
	Endpoint string
	// Removed tells whether the login was removed from the cache.
	Removed bool
}

// Run revokes and removes the login get-token would use with in, then
// removes the tokens cached from it for each cluster. On an error, the
// result says what was done before it.
//
// The clusters' tokens are removed, not revoked: they hold no refresh
// token (forAudience drops it), they are mostly ID tokens, which RFC 7009
// cannot revoke, and an API server checks a JWT by its signature, never
// asking the provider, so a revocation request per cluster would buy
// nothing. Revoking the login's refresh token is what ends the login.
func (u *Logout) Run(ctx context.Context, in GetTokenInput) (*LogoutResult, error) {
	res := &LogoutResult{Dir: in.Cache.Dir}
	caPEMs, err := in.HTTP.LoadCACerts()
	if err != nil {
		return nil, err
	}
	// With get-token's flags, --request-audience included, logout means
	// the login those flags log in with, whose key has no audience (as in
	// get-token, see takeAudience); its clusters' tokens go with it.
	in.Login.RequestAudience = ""
	key := cacheKey(in, caPEMs)
	disk := tokencache.Disk{Dir: in.Cache.Dir, Now: u.GetToken.OS.Now}
	find := func() ([]cached, []clusterToken, error) {
		var found []cached
		for _, s := range []struct {
			name  string
			store tokencache.Store
		}{{tokencache.StorageDisk, disk}, {tokencache.StorageKeyring, &tokencache.Keyring{Dir: in.Cache.Dir, Now: u.GetToken.OS.Now}}} {
			e, _, err := s.store.Load(key)
			var ke *tokencache.KeyringError
			switch {
			case errors.Is(err, tokencache.ErrNotFound):
				continue
			case errors.As(err, &ke):
				return nil, nil, fmt.Errorf("%w (the login was not removed)", err)
			}
			found = append(found, cached{Key: key, Storage: s.name, Entry: e, Err: err})
		}
		clusters, err := clusterTokens(in, caPEMs, key, u.GetToken.OS.Now)
		return found, clusters, err
	}
	found, clusters, err := find()
	if err != nil {
		return res, err
	}
	if _, statErr := os.Stat(audiencesPath(in.Cache.Dir, key)); len(found)+len(clusters) == 0 && statErr != nil {
		return res, nil
	}
	// Hold the lock that get-token holds while it refreshes, so that a
	// refresh cannot store a new refresh token behind this one's back. The
	// clusters' entries are removed under it too, without their own locks:
	// get-token takes a cluster's lock and then the login's, and taking
	// them in the other order here could leave both waiting. A get-token
	// for a cluster that waits on this lock finds the login gone and logs
	// in again.
	unlock, err := disk.Lock(ctx, key, 30*time.Second, nil)
	if err != nil {
		return res, err
	}
	defer unlock()
	found, clusters, err = find()
	if err != nil {
		return res, err
	}
	for _, c := range found {
		lo := LoggedOut{Label: label(c)}
		if err := u.revoke(ctx, in, caPEMs, c, &lo); err != nil {
			return res, err
		}
		if err := c.store(in.Cache.Dir).Delete(key); err != nil {
			res.Logins = append(res.Logins, lo)
			return res, fmt.Errorf("remove the cached login: %w", err)
		}
		lo.Removed = true
		res.Logins = append(res.Logins, lo)
	}
	for _, c := range clusters {
		if err := (cached{Key: c.Key, Storage: c.Storage}).store(in.Cache.Dir).Delete(c.Key); err != nil {
			return res, fmt.Errorf("remove the cached token for cluster %s: %w (check that the cache directory is writable, then run logout again: it finds what is left)", c.Audience, err)
		}
		res.Clusters = append(res.Clusters, c.Audience)
	}
	if len(found) == 0 {
		// The login's entry is gone (an older logout removed it without its
		// clusters' tokens): remove what it left beside them, its audiences
		// file, and the lock file just taken.
		if err := disk.Delete(key); err != nil {
			return res, fmt.Errorf("remove what the login left in the cache: %w (check that the cache directory is writable, then run logout again)", err)
		}
	}
	return res, nil
}

// revoke revokes the login's refresh token, or its access token when it has
// no refresh token, and records what it did in lo.
func (u *Logout) revoke(ctx context.Context, in GetTokenInput, caPEMs [][]byte, c cached, lo *LoggedOut) error {
	if c.Entry == nil {
		lo.Unreadable = true
		return nil
	}
	tok, hint, what := c.Entry.RefreshToken, oidc.HintRefreshToken, "refresh token"
	if tok == "" {
		tok, hint, what = c.Entry.AccessToken, oidc.HintAccessToken, "access token"
	}
	if tok == "" {
		return nil
	}
	lo.What = what
	lc := lazyClient{in: in.Provider, http: in.HTTP, caPEMs: caPEMs, log: u.GetToken.Log, now: u.GetToken.OS.Now}
	client, err := lc.get()
	if err != nil {
		return err
	}
	err = client.Revoke(ctx, tok, hint)
	switch {
	case errors.Is(err, oidc.ErrNoRevocationEndpoint):
		return nil
	case err != nil:
		return fmt.Errorf("revoke the %s at the provider: %w (the cached login was kept: try again, or remove it without revoking with \"kubelogin clean --issuer=%s\")", what, err, in.Provider.IssuerURL)
	}
	m, _ := client.Metadata(ctx)
	lo.Endpoint = m.RevocationEndpoint
	return nil
}
