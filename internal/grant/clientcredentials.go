package grant

import (
	"context"
	"errors"
	"fmt"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/oidc"
	"github.com/kubelogin/kubelogin/internal/token"
)

// ClientCredentials is the client credentials grant (RFC 6749 section 4.4):
// the client logs in as itself, with its secret or a client assertion
// (private_key_jwt, or a federated token such as a Kubernetes service account
// token or a CI job's OIDC token). Providers answer it with an access token
// and rarely an ID token.
type ClientCredentials struct {
	Client *oidc.Client
	// Assertion authenticates the client; nil means its secret.
	Assertion oidc.Assertion
	// ExtraParams are added to the token request (e.g. audience, resource).
	ExtraParams    map[string]string
	UseAccessToken bool
	Log            *logger.Logger
}

// Token logs in. stale is ignored: client credentials have no refresh token.
func (g *ClientCredentials) Token(ctx context.Context, _ *token.Set) (*token.Set, error) {
	set, err := g.Client.ClientCredentialsGrant(ctx, g.Assertion, g.ExtraParams, !g.UseAccessToken)
	var te *oidc.TokenError
	switch {
	case err == nil:
		return set, nil
	case errors.Is(err, oidc.ErrNoIDToken):
		return nil, errors.New("the provider's client-credentials answer has no ID token, as is usual for this grant: " +
			"add --oidc-use-access-token to give kubectl the access token (the API server must accept the provider's access tokens)")
	case errors.As(err, &te) && te.Code == "invalid_client":
		return nil, fmt.Errorf("log in with client credentials: %w (check the client secret or assertion, and that the provider allows it for this client)", err)
	}
	return nil, fmt.Errorf("log in with client credentials: %w", err)
}
