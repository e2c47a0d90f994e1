package oidcfake

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Several accounts, as at a real provider where the user picks one: an
// authorization request with a login_hint logs in as the account the hint
// names (its email is the hint, its sub derived from it), and the refresh
// tokens of that login stay that account's. Without a hint, the configured
// user logs in.

// accountClaims returns the claims that replace the configured user's for
// the account named by a login_hint; nil for no hint.
func accountClaims(hint string) map[string]any {
	if hint == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(hint))
	name, _, _ := strings.Cut(hint, "@")
	return map[string]any{"sub": hex.EncodeToString(sum[:8]), "email": hint, "name": name}
}
