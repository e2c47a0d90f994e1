package usecase

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kubelogin/kubelogin/internal/oidc"
	"github.com/kubelogin/kubelogin/internal/tokencache"
)

// Logout revokes a cached login's refresh token at the provider (RFC 7009)
// and removes the login from the cache. The login is the one get-token would
// use with the same flags.
type Logout struct {
	GetToken *GetToken
}

// NewLogout returns the use-case.
func NewLogout(g *GetToken) *Logout { return &Logout{GetToken: g} }

// Run logs out and reports what it did on stdout.
func (u *Logout) Run(ctx context.Context, in GetTokenInput) error {
	out := u.GetToken.OS.Stdout
	caPEMs, err := in.HTTP.LoadCACerts()
	if err != nil {
		return err
	}
	key := cacheKey(in, caPEMs)
	find := func() ([]cached, error) {
		var found []cached
		for _, s := range []struct {
			name  string
			store tokencache.Store
		}{{StorageDisk, tokencache.Disk{Dir: in.Cache.Dir}}, {StorageKeyring, &tokencache.Keyring{Dir: in.Cache.Dir}}} {
			e, _, err := s.store.Load(key)
			var ke *tokencache.KeyringError
			switch {
			case errors.Is(err, tokencache.ErrNotFound):
				continue
			case errors.As(err, &ke):
				return nil, fmt.Errorf("%w (the login was not removed)", err)
			}
			found = append(found, cached{Key: key, Storage: s.name, Entry: e, Err: err})
		}
		return found, nil
	}
	if found, err := find(); err != nil || len(found) == 0 {
		if err == nil {
			fmt.Fprintf(out, "No cached login for these settings in %s: nothing to do.\n", in.Cache.Dir)
		}
		return err
	}
	// Hold the lock that get-token holds while it refreshes, so that a
	// refresh cannot store a new refresh token behind this one's back.
	unlock, err := tokencache.Disk{Dir: in.Cache.Dir}.Lock(ctx, key, 30*time.Second, nil)
	if err != nil {
		return err
	}
	defer unlock()
	found, err := find()
	if err != nil {
		return err
	}
	for _, c := range found {
		if err := u.revoke(ctx, in, caPEMs, c); err != nil {
			return err
		}
		if err := c.store(in.Cache.Dir).Delete(key); err != nil {
			return fmt.Errorf("remove the cached login: %w", err)
		}
		fmt.Fprintf(out, "Removed %s.\n", label(c))
	}
	return nil
}

// revoke revokes the login's refresh token, or its access token when it has
// no refresh token, and says so.
func (u *Logout) revoke(ctx context.Context, in GetTokenInput, caPEMs [][]byte, c cached) error {
	out := u.GetToken.OS.Stdout
	if c.Entry == nil {
		fmt.Fprintf(out, "The cached login is unreadable: nothing to revoke.\n")
		return nil
	}
	tok, hint, what := c.Entry.RefreshToken, oidc.HintRefreshToken, "refresh token"
	if tok == "" {
		tok, hint, what = c.Entry.AccessToken, oidc.HintAccessToken, "access token"
	}
	if tok == "" {
		fmt.Fprintf(out, "The cached login has no refresh or access token: nothing to revoke.\n")
		return nil
	}
	lc := lazyClient{in: in.Provider, http: in.HTTP, caPEMs: caPEMs, log: u.GetToken.Log, now: u.GetToken.OS.Now}
	client, err := lc.get()
	if err != nil {
		return err
	}
	err = client.Revoke(ctx, tok, hint)
	switch {
	case errors.Is(err, oidc.ErrNoRevocationEndpoint):
		fmt.Fprintf(out, "The provider lists no revocation endpoint: the %s was not revoked and stays valid until it expires.\n", what)
		return nil
	case err != nil:
		return fmt.Errorf("revoke the %s at the provider: %w (the cached login was kept: try again, or remove it without revoking with \"kubelogin clean --issuer=%s\")", what, err, in.Provider.IssuerURL)
	}
	m, _ := client.Metadata(ctx)
	fmt.Fprintf(out, "Revoked the %s at %s.\n", what, m.RevocationEndpoint)
	return nil
}
