package oidcfake_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/oauth2"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

func TestRefreshFaults(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		faults               oidcfake.Faults
		wantStatus           int
		wantCode, wantType   string
		wantBody, wantNoBody bool
	}{
		{"error with its status", oidcfake.Faults{RefreshError: "invalid_client", RefreshStatus: 401}, 401, "invalid_client", "application/json", true, false},
		{"error, 400 by default", oidcfake.Faults{RefreshError: "invalid_scope"}, 400, "invalid_scope", "application/json", true, false},
		{"HTML page", oidcfake.Faults{RefreshStatus: 400, RefreshContentType: "text/html", RefreshBody: "<html>proxy</html>"}, 400, "", "text/html", true, false},
		{"empty body", oidcfake.Faults{RefreshStatus: 400}, 400, "", "", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := start(t, oidcfake.Config{})
			conf := oauth2Config(p, "")
			tok, err := conf.PasswordCredentialsToken(t.Context(), "admin@example.com", "password")
			if err != nil {
				t.Fatal(err)
			}
			p.SetFaults(tc.faults)
			_, err = refresh(t, conf, tok.RefreshToken)
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want an error answer", err)
			}
			ct := re.Response.Header.Get("Content-Type")
			if re.Response.StatusCode != tc.wantStatus || re.ErrorCode != tc.wantCode || !strings.HasPrefix(ct, tc.wantType) ||
				len(re.Body) > 0 != tc.wantBody || tc.wantNoBody && len(re.Body) != 0 {
				t.Errorf("%d %q %q body %q", re.Response.StatusCode, re.ErrorCode, ct, re.Body)
			}
			p.SetFaults(oidcfake.Faults{})
			if _, err := refresh(t, conf, tok.RefreshToken); err != nil {
				t.Errorf("the refresh token did not survive the fault: %v", err)
			}
		})
	}
}

// TestRefuse: connections are refused while Refuse is set; afterwards the
// same provider, with its refresh tokens, answers on the same address.
func TestRefuse(t *testing.T) {
	p := start(t, oidcfake.Config{})
	conf := oauth2Config(p, "")
	tok, err := conf.PasswordCredentialsToken(t.Context(), "admin@example.com", "password")
	if err != nil {
		t.Fatal(err)
	}
	p.SetFaults(oidcfake.Faults{Refuse: true})
	http.DefaultClient.CloseIdleConnections() // a kept-alive connection outlives the listening socket
	if _, err := http.Get(p.Issuer() + "/.well-known/openid-configuration"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err = %v, want connection refused", err)
	}
	p.SetFaults(oidcfake.Faults{Refuse: true}) // twice: still refusing
	p.SetFaults(oidcfake.Faults{})
	resp, err := http.Get(p.Issuer() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if _, err := refresh(t, conf, tok.RefreshToken); err != nil {
		t.Errorf("the refresh token did not survive the outage: %v", err)
	}
	p.SetFaults(oidcfake.Faults{Refuse: true})
	p.Close() // while refusing: returns
}
