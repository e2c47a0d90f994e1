package oidcfake_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

func TestIDTokenFaults(t *testing.T) {
	tests := []struct {
		name      string
		faults    oidcfake.Faults
		wantErr   string // substring of the go-oidc verification error; "" = valid
		wantNonce string
	}{
		{name: "none"},
		{name: "WrongIssuer", faults: oidcfake.Faults{WrongIssuer: true}, wantErr: "issued by a different provider"},
		{name: "WrongAudience", faults: oidcfake.Faults{WrongAudience: true}, wantErr: "expected audience"},
		{name: "WrongNonce", faults: oidcfake.Faults{WrongNonce: true}, wantNonce: "wrong"},
		{name: "BadSignature", faults: oidcfake.Faults{BadSignature: true}, wantErr: "failed to verify signature"},
		{name: "AlgNone", faults: oidcfake.Faults{AlgNone: true}, wantErr: "malformed jwt"},
		{name: "ExpiredIDToken", faults: oidcfake.Faults{ExpiredIDToken: true}, wantErr: "token is expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, oidcfake.Config{})
			provider, err := oidc.NewProvider(t.Context(), p.Issuer())
			if err != nil {
				t.Fatal(err)
			}
			p.SetFaults(tt.faults)
			tok, err := oauth2Config(p, "").PasswordCredentialsToken(t.Context(), "admin@example.com", "password")
			if err != nil {
				t.Fatal(err)
			}
			rawIDToken, _ := tok.Extra("id_token").(string)
			idToken, err := provider.Verifier(&oidc.Config{ClientID: "kubelogin"}).Verify(t.Context(), rawIDToken)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				if idToken.Nonce != tt.wantNonce {
					t.Errorf("nonce = %q, want %q", idToken.Nonce, tt.wantNonce)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("verify: %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestUnknownKidNeedsJWKSRefetch(t *testing.T) {
	p := start(t, oidcfake.Config{})
	provider, err := oidc.NewProvider(t.Context(), p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: "kubelogin"})
	conf := oauth2Config(p, "")
	for i, faults := range []oidcfake.Faults{{}, {UnknownKid: true}} {
		p.SetFaults(faults)
		tok, err := conf.PasswordCredentialsToken(t.Context(), "admin@example.com", "password")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := verifier.Verify(t.Context(), tok.Extra("id_token").(string)); err != nil {
			t.Fatalf("verify token %d: %v", i, err)
		}
		if n := p.Count("jwks"); n != i+1 {
			t.Errorf("after token %d: %d JWKS fetches, want %d", i, n, i+1)
		}
	}
}

func TestProviderFaults(t *testing.T) {
	tests := []struct {
		name    string
		faults  oidcfake.Faults
		wantErr string // substring of the go-oidc discovery error
	}{
		{name: "Status", faults: oidcfake.Faults{Status: http.StatusServiceUnavailable}, wantErr: "503"},
		{name: "HTMLBody", faults: oidcfake.Faults{HTMLBody: true}, wantErr: "text/html"},
		{name: "DiscoveryIssuer", faults: oidcfake.Faults{DiscoveryIssuer: "https://elsewhere.example.com"}, wantErr: "did not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, oidcfake.Config{})
			p.SetFaults(tt.faults)
			_, err := oidc.NewProvider(t.Context(), p.Issuer())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("discovery: %v, want an error containing %q", err, tt.wantErr)
			}
			if n := p.Count("discovery"); n != 1 {
				t.Errorf("discovery count = %d, want 1", n)
			}
		})
	}
}

// hang starts a discovery request on a hung provider and waits until the
// provider has received it. The request's error is sent to the channel.
func hang(t *testing.T, p *oidcfake.Provider) <-chan error {
	t.Helper()
	p.SetFaults(oidcfake.Faults{Hang: true})
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(p.Issuer() + "/.well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for p.Count("discovery") == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("the hung request was answered: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	return done
}

func TestHangThenClose(t *testing.T) {
	p, err := oidcfake.Start(oidcfake.Config{Latency: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := hang(t, p)
	began := time.Now()
	p.Close()
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("Close took %s", d)
	}
	if err := <-done; err == nil {
		t.Errorf("the hung request succeeded after Close")
	}
	if _, err := http.Get(p.Issuer() + "/keys"); err == nil {
		t.Errorf("a request after Close succeeded")
	}
	p.Close() // idempotent
}

func TestHangThenClear(t *testing.T) {
	p := start(t, oidcfake.Config{})
	done := hang(t, p)
	p.SetFaults(oidcfake.Faults{})
	if err := <-done; err != nil {
		t.Errorf("the request did not resume: %v", err)
	}
}

func TestLatency(t *testing.T) {
	p := start(t, oidcfake.Config{Latency: 100 * time.Millisecond})
	began := time.Now()
	if _, err := oidc.NewProvider(t.Context(), p.Issuer()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d < 100*time.Millisecond {
		t.Errorf("discovery took %s, want at least the latency", d)
	}
}
