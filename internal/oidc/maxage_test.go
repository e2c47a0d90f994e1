package oidc

import (
	"testing"
	"time"
)

// TestMaxAge: how long provider metadata is kept, from Cache-Control (a
// mutation survivor of make mutation, docs/security.md).
func TestMaxAge(t *testing.T) {
	for cc, want := range map[string]time.Duration{
		"":                         MaxMetadataAge,
		"max-age=60":               time.Minute,
		"public, Max-Age=0":        0,
		"max-age=-5":               MaxMetadataAge,
		"max-age=soon":             MaxMetadataAge,
		"max-age=999999999":        MaxMetadataAge,
		"no-cache":                 0,
		"max-age=60, no-store":     0,
		"private, max-age=120 , x": 2 * time.Minute,
	} {
		if got := maxAge(cc); got != want {
			t.Errorf("maxAge(%q) = %s, want %s", cc, got, want)
		}
	}
}
