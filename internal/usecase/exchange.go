package usecase

import "github.com/kubelogin/kubelogin/internal/grant"

// exchangeKey is the cache key member of --grant-type=token-exchange, nil
// for every other grant (whose keys stay as they were).
func exchangeKey(l grant.Options) map[string]any {
	if l.GrantType != grant.TypeTokenExchange {
		return nil
	}
	return l.TokenExchange.KeyMembers()
}
