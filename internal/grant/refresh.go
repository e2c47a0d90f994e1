package grant

import (
	"context"
	"errors"
	"fmt"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/oidc"
	"github.com/kubelogin/kubelogin/internal/token"
)

// Source is one link of the token chain: it returns a new token set, given the
// cached one that is no longer usable (nil when there is none).
type Source interface {
	Token(ctx context.Context, stale *token.Set) (*token.Set, error)
}

// Refresh uses the stale set's refresh token, and asks Next (a login) only when
// there is none, or the provider answers invalid_grant (oidc.LoginRequired), or
// sends no ID token. Any other failure (a rejected client, a proxy, a provider
// that cannot be reached) is reported, not answered with a browser tab: a login
// would meet the same cause. The cache keeps the stale set for the next run.
type Refresh struct {
	Client *oidc.Client
	// UseAccessToken accepts refresh responses without an ID token.
	UseAccessToken bool
	Next           Source
	Log            *logger.Logger
}

// Token implements Source.
func (r *Refresh) Token(ctx context.Context, stale *token.Set) (*token.Set, error) {
	if stale == nil || stale.RefreshToken == "" {
		return r.Next.Token(ctx, stale)
	}
	r.Log.Debugf(1, "refreshing the token")
	set, err := r.Client.Refresh(ctx, stale.RefreshToken, !r.UseAccessToken)
	switch {
	case err == nil:
		r.Log.Debugf(1, "refreshed the token")
		return set, nil
	case errors.Is(err, oidc.ErrNoIDToken):
		r.Log.Printf("The provider refreshed the token but sent no ID token; logging in again. (If your API server accepts access tokens, --oidc-use-access-token avoids this.)")
		return r.Next.Token(ctx, nil)
	case oidc.LoginRequired(err):
		r.Log.Debugf(1, "the provider refused the refresh token (%v); logging in again", err)
		return r.Next.Token(ctx, nil)
	default:
		return nil, fmt.Errorf("refresh the token (the cached token was kept): %w", err)
	}
}
