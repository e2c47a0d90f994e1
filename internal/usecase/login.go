package usecase

import (
	"context"

	"github.com/kubelogin/kubelogin/internal/execcred"
	"github.com/kubelogin/kubelogin/internal/token"
)

// Login obtains a token set without the token cache: with stale's refresh
// token when it has one (falling back to a login as get-token does), else by
// logging in with the grant in.Login selects. setup (stale nil) and the
// standalone mode use it. The terminal is the plugin's when stdin is one.
func (u *GetToken) Login(ctx context.Context, in GetTokenInput, stale *token.Set) (*token.Set, error) {
	caPEMs, err := in.HTTP.LoadCACerts()
	if err != nil {
		return nil, err
	}
	client := lazyClient{in: in.Provider, http: in.HTTP, caPEMs: caPEMs, log: u.Log, now: u.OS.Now}
	info := execcred.Input{APIVersion: execcred.V1, Interactive: u.OS.StdinIsTerminal}
	src, err := u.chain(in, info, &client)
	if err != nil {
		return nil, err
	}
	return src.Token(ctx, stale)
}
