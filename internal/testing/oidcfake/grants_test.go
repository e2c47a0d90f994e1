package oidcfake_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// refresh redeems a refresh token as x/oauth2 does when a token expires.
func refresh(t *testing.T, conf *oauth2.Config, refreshToken string) (*oauth2.Token, error) {
	t.Helper()
	expired := &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Now().Add(-time.Minute)}
	return conf.TokenSource(t.Context(), expired).Token()
}

func TestRefresh(t *testing.T) {
	tests := []struct {
		name       string
		noRotation bool
		wantSame   bool // the refresh response carries the same refresh token
		wantOldOK  bool // the old refresh token still works
	}{
		{name: "rotation", wantOldOK: false},
		{name: "no rotation", noRotation: true, wantSame: true, wantOldOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, oidcfake.Config{NoRotation: tt.noRotation})
			conf := oauth2Config(p, "")
			tok, err := conf.PasswordCredentialsToken(t.Context(), "admin@example.com", "password")
			if err != nil {
				t.Fatal(err)
			}
			next, err := refresh(t, conf, tok.RefreshToken)
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if next.Extra("id_token") == nil || next.AccessToken == tok.AccessToken {
				t.Errorf("refresh response: id_token %v, new access token %t", next.Extra("id_token") != nil, next.AccessToken != tok.AccessToken)
			}
			if same := next.RefreshToken == tok.RefreshToken; same != tt.wantSame {
				t.Errorf("same refresh token = %t, want %t", same, tt.wantSame)
			}
			_, err = refresh(t, conf, tok.RefreshToken)
			if (err == nil) != tt.wantOldOK || (err != nil && errorCode(err) != "invalid_grant") {
				t.Errorf("old refresh token: %v, want ok %t", err, tt.wantOldOK)
			}
			wantReuses := 1
			if tt.wantOldOK {
				wantReuses = 0
			}
			if p.RefreshTokenReuses() != wantReuses || p.TokenRequests("refresh_token") != 2 {
				t.Errorf("reuses %d refreshes %d, want %d and 2", p.RefreshTokenReuses(), p.TokenRequests("refresh_token"), wantReuses)
			}
			if form, _ := p.LastTokenRequest(); form.Get("refresh_token") != tok.RefreshToken {
				t.Errorf("LastTokenRequest is not the last refresh")
			}
		})
	}
}

func TestRefreshInvalid(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(p *oidcfake.Provider, refreshToken string)
		wantCode string
		wantID   bool
	}{
		{name: "RevokeRefreshTokens", setup: func(p *oidcfake.Provider, _ string) { p.RevokeRefreshTokens() }, wantCode: "invalid_grant"},
		{name: "revocation endpoint", setup: func(p *oidcfake.Provider, rt string) {
			resp, err := http.PostForm(p.Issuer()+"/revoke", url.Values{"token": {rt}, "client_id": {"kubelogin"}})
			if err == nil {
				resp.Body.Close()
			}
		}, wantCode: "invalid_grant"},
		{name: "RefreshError", setup: func(p *oidcfake.Provider, _ string) {
			p.SetFaults(oidcfake.Faults{RefreshError: "interaction_required"})
		}, wantCode: "interaction_required"},
		{name: "NoIDTokenOnRefresh", setup: func(p *oidcfake.Provider, _ string) {
			p.SetFaults(oidcfake.Faults{NoIDTokenOnRefresh: true})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, oidcfake.Config{})
			conf := oauth2Config(p, "")
			tok, err := conf.PasswordCredentialsToken(t.Context(), "admin@example.com", "password")
			if err != nil {
				t.Fatal(err)
			}
			tt.setup(p, tok.RefreshToken)
			next, err := refresh(t, conf, tok.RefreshToken)
			if errorCode(err) != tt.wantCode || (tt.wantCode == "" && err != nil) {
				t.Fatalf("refresh: %v, want error code %q", err, tt.wantCode)
			}
			if err == nil && next.Extra("id_token") != nil {
				t.Errorf("refresh response has an id_token")
			}
			if p.RefreshTokenReuses() != 0 {
				t.Errorf("reuses = %d, want 0", p.RefreshTokenReuses())
			}
		})
	}
}

func TestClientAuthentication(t *testing.T) {
	const secret = "s3cr:et/+%"
	tests := []struct {
		name     string
		style    oauth2.AuthStyle
		secret   string
		wantCode string
	}{
		{name: "basic", style: oauth2.AuthStyleInHeader, secret: secret},
		{name: "post", style: oauth2.AuthStyleInParams, secret: secret},
		{name: "basic wrong secret", style: oauth2.AuthStyleInHeader, secret: "nope", wantCode: "invalid_client"},
		{name: "post wrong secret", style: oauth2.AuthStyleInParams, secret: "nope", wantCode: "invalid_client"},
		{name: "no secret", style: oauth2.AuthStyleInParams, wantCode: "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, oidcfake.Config{ClientSecret: secret})
			conf := oauth2Config(p, "")
			conf.ClientSecret = tt.secret
			conf.Endpoint.AuthStyle = tt.style
			tok, err := conf.PasswordCredentialsToken(t.Context(), "admin@example.com", "password")
			if errorCode(err) != tt.wantCode || (tt.wantCode == "" && err != nil) {
				t.Fatalf("password grant: %v, want error code %q", err, tt.wantCode)
			}
			if err != nil {
				if re := err.(*oauth2.RetrieveError); re.Response.StatusCode != http.StatusUnauthorized {
					t.Errorf("status = %d, want 401", re.Response.StatusCode)
				}
				return
			}
			if tok.Extra("id_token") == nil || tok.RefreshToken == "" {
				t.Errorf("password grant: no ID token or refresh token")
			}
			cc, err := conf.Exchange(t.Context(), "", oauth2.SetAuthURLParam("grant_type", "client_credentials"))
			if err != nil {
				t.Fatalf("client credentials: %v", err)
			}
			if cc.AccessToken == "" || cc.RefreshToken != "" || cc.Extra("id_token") != nil {
				t.Errorf("client credentials: want an access token only")
			}
		})
	}
}

func TestPasswordAndClientCredentialsRejected(t *testing.T) {
	p := start(t, oidcfake.Config{Users: map[string]string{"alice": "wonderland"}})
	conf := oauth2Config(p, "")
	if _, err := conf.PasswordCredentialsToken(t.Context(), "alice", "wonderland"); err != nil {
		t.Errorf("configured user: %v", err)
	}
	if _, err := conf.PasswordCredentialsToken(t.Context(), "alice", "nope"); errorCode(err) != "invalid_grant" {
		t.Errorf("wrong password: %v, want invalid_grant", err)
	}
	status, body := postToken(t, p, url.Values{"grant_type": {"client_credentials"}, "client_id": {"kubelogin"}})
	if status != http.StatusBadRequest || body["error"] != "unauthorized_client" {
		t.Errorf("client credentials for a public client: %d %v", status, body)
	}
}

func TestDeviceFlow(t *testing.T) {
	p := start(t, oidcfake.Config{})
	conf := oauth2Config(p, "")
	// With AuthStyleAutoDetect, x/oauth2 answers each authorization_pending
	// with an immediate retry, which earns a slow_down.
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	verifier := oauth2.GenerateVerifier()
	da, err := conf.DeviceAuth(t.Context(), oauth2.S256ChallengeOption(verifier))
	if err != nil {
		t.Fatalf("device authorization: %v", err)
	}
	if da.Interval != 1 || da.VerificationURIComplete != p.Issuer()+"/device?user_code="+url.QueryEscape(da.UserCode) {
		t.Errorf("device authorization response: %+v", da)
	}
	approved := make(chan struct{})
	go func() {
		defer close(approved)
		// Approve once the client has been told authorization_pending.
		for p.TokenRequests("urn:ietf:params:oauth:grant-type:device_code") == 0 {
			time.Sleep(20 * time.Millisecond)
		}
		if _, err := p.Browse(t.Context(), da.VerificationURIComplete); err != nil {
			t.Errorf("approve: %v", err)
		}
	}()
	tok, err := conf.DeviceAccessToken(t.Context(), da, oauth2.VerifierOption(verifier))
	<-approved
	if err != nil {
		t.Fatalf("device access token: %v", err)
	}
	if tok.Extra("id_token") == nil || tok.RefreshToken == "" {
		t.Errorf("device grant: no ID token or refresh token")
	}
	if n := p.Count("device_verify"); n != 1 {
		t.Errorf("device_verify count = %d", n)
	}
}

func TestDevicePolling(t *testing.T) {
	clk := &clock{now: time.Now()}
	p := start(t, oidcfake.Config{Now: clk.Now, DeviceInterval: 5})
	da, err := oauth2Config(p, "").DeviceAuth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	poll := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
		"client_id": {"kubelogin"}, "device_code": {da.DeviceCode}}
	steps := []struct {
		advance time.Duration
		want    string
	}{
		{0, "authorization_pending"},
		{time.Second, "slow_down"},
		{5 * time.Second, "authorization_pending"},
		{5 * time.Minute, "expired_token"},
	}
	for i, step := range steps {
		clk.Add(step.advance)
		if _, body := postToken(t, p, poll); body["error"] != step.want {
			t.Errorf("poll %d: %v, want %s", i, body, step.want)
		}
	}
}

func TestConcurrentClients(t *testing.T) {
	p := start(t, oidcfake.Config{})
	conf := oauth2Config(p, "")
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			tok, err := conf.PasswordCredentialsToken(t.Context(), "admin@example.com", "password")
			if err == nil {
				_, err = refresh(t, conf, tok.RefreshToken)
			}
			if err != nil {
				errs <- fmt.Errorf("client: %w", err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := p.TokenRequests("refresh_token"); n != 20 {
		t.Errorf("refresh requests = %d, want 20", n)
	}
}
