package usecase

import (
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/token"
)

func jwt(iat, exp time.Time) string {
	payload := fmt.Sprintf(`{"iat":%d,"exp":%d,"sub":"s"}`, iat.Unix(), exp.Unix())
	return "e30." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".sig"
}

func TestUsableAtKeepsAMargin(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name     string
		iat, exp time.Time
		want     bool
	}{
		{"fresh hour-long token", now, now.Add(time.Hour), true},
		{"61 s left of an hour", now.Add(-time.Hour), now.Add(61 * time.Second), true},
		{"59 s left of an hour", now.Add(-time.Hour), now.Add(59 * time.Second), false},
		{"expired", now.Add(-time.Hour), now.Add(-time.Second), false},
		{"short-lived: 3 s of 20 s left (margin 2 s)", now.Add(-17 * time.Second), now.Add(3 * time.Second), true},
		{"short-lived: 1 s of 20 s left", now.Add(-19 * time.Second), now.Add(time.Second), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &token.Set{IDToken: jwt(tc.iat, tc.exp)}
			if got := usableAt(s, false, now); got != tc.want {
				t.Errorf("usableAt = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCredentialAccessTokenMode(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := &token.Set{IDToken: jwt(now, now.Add(time.Hour)), AccessToken: "opaque", AccessTokenExpiry: now.Add(10 * time.Minute)}
	tok, exp, _, err := credential(s, true)
	if err != nil || tok != "opaque" || !exp.Equal(now.Add(10*time.Minute)) {
		t.Errorf("credential = %q, %v, %v", tok, exp, err)
	}
	if _, _, _, err := credential(&token.Set{IDToken: "x"}, true); err == nil {
		t.Error("no access token: want an error")
	}
	if usableAt(&token.Set{IDToken: "not-a-jwt"}, false, now) {
		t.Error("a malformed ID token is usable")
	}
}

func TestShortLivedOpaqueAccessTokenIsCached(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := &token.Set{AccessToken: "opaque", ObtainedAt: now, AccessTokenExpiry: now.Add(5 * time.Second)}
	if !usableAt(s, true, now.Add(time.Second)) {
		t.Error("a 5 s opaque token is not usable 1 s after it was obtained (margin must be 0.5 s)")
	}
	if usableAt(s, true, now.Add(4600*time.Millisecond)) {
		t.Error("a 5 s opaque token is usable inside its margin")
	}
}
