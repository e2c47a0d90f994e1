package oidcfake_test

import (
	"context"
	"testing"

	"golang.org/x/oauth2"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
	"github.com/kubelogin/kubelogin/internal/token"
)

func TestLoginHintSelectsTheAccount(t *testing.T) {
	p := start(t, oidcfake.Config{})
	ctx := context.Background()
	for _, tc := range []struct{ hint, wantEmail string }{
		{"", "admin@example.com"},
		{"alice@example.com", "alice@example.com"},
		{"bob@example.com", "bob@example.com"},
	} {
		opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption("verifier-verifier-verifier-verifier-verifier")}
		if tc.hint != "" {
			opts = append(opts, oauth2.SetAuthURLParam("login_hint", tc.hint))
		}
		redirect, got := callback(t)
		conf := oauth2Config(p, redirect)
		code := authorize(t, p, conf, got, opts...)
		tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption("verifier-verifier-verifier-verifier-verifier"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := token.DecodeClaims(tok.Extra("id_token").(string))
		if err != nil || c.Email != tc.wantEmail {
			t.Fatalf("hint %q: email %q, %v", tc.hint, c.Email, err)
		}
		// The refreshed ID token is the same account's.
		refreshed, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil {
			t.Fatal(err)
		}
		rc, _ := token.DecodeClaims(refreshed.Extra("id_token").(string))
		if rc.Email != tc.wantEmail || rc.Subject != c.Subject {
			t.Errorf("hint %q: refreshed as %q (%s), want %q (%s)", tc.hint, rc.Email, rc.Subject, tc.wantEmail, c.Subject)
		}
	}
}
