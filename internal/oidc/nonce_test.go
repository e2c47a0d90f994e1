package oidc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// TestExchangeCodeChecksTheNonce: an ID token whose nonce is not the login
// request's is refused (a replayed token), and nothing is returned; the
// right nonce passes. Mutation survivors of make mutation (docs/security.md).
func TestExchangeCodeChecksTheNonce(t *testing.T) {
	p, err := oidcfake.Start(oidcfake.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	codes := make(chan string, 1)
	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		codes <- r.URL.Query().Get("code")
	}))
	t.Cleanup(callback.Close)
	redirect := strings.Replace(callback.URL, "127.0.0.1", "localhost", 1) + "/"
	c := New(Config{IssuerURL: p.Issuer(), ClientID: "kubelogin", HTTPClient: &http.Client{Timeout: 5 * time.Second}, Log: logger.New(nil)})
	ctx := context.Background()
	login := func(nonce string) string {
		t.Helper()
		conf, err := c.OAuth2Config(ctx, redirect)
		if err != nil {
			t.Fatal(err)
		}
		verifier := oauth2.GenerateVerifier()
		u := conf.AuthCodeURL("state", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce))
		if _, err := oidcfake.BrowseWith(ctx, &http.Client{Timeout: 5 * time.Second}, u); err != nil {
			t.Fatal(err)
		}
		code := <-codes
		set, err := c.ExchangeCode(ctx, conf, code, verifier, "the-nonce")
		if err != nil {
			if set != nil {
				t.Error("a refused exchange returned tokens")
			}
			return err.Error()
		}
		if set == nil || set.IDToken == "" {
			t.Fatal("no ID token")
		}
		return ""
	}
	if msg := login("the-nonce"); msg != "" {
		t.Fatalf("the right nonce was refused: %s", msg)
	}
	if msg := login("another-nonce"); !strings.Contains(msg, "nonce does not match") {
		t.Errorf("a wrong nonce gave %q, want a nonce mismatch", msg)
	}
}
