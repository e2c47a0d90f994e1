package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

func TestProviderMode(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r, w := io.Pipe()
	var stderr bytes.Buffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"--client-id", "demo"}, w, &stderr)
		w.Close()
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("read the issuer line: %v", err)
	}
	issuer, ok := strings.CutPrefix(strings.TrimSpace(line), "issuer=http://127.0.0.1:")
	if !ok {
		t.Fatalf("first line = %q, want issuer=http://127.0.0.1:PORT", line)
	}
	issuer = "http://127.0.0.1:" + issuer
	resp, err := http.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("discovery status = %d", resp.StatusCode)
	}
	cancel()
	if code := <-exit; code != 0 {
		t.Errorf("exit code = %d, stderr %q", code, stderr.String())
	}
}

func TestBrowserMode(t *testing.T) {
	p, err := oidcfake.Start(oidcfake.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("code") == "" {
			http.Error(w, "no code", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "OK")
	}))
	defer callback.Close()
	authURL := p.Issuer() + "/authorize?" + url.Values{"client_id": {"kubelogin"}, "response_type": {"code"},
		"redirect_uri": {callback.URL + "/"}, "state": {"s"}}.Encode()
	tests := []struct {
		name     string
		url      string
		wantCode int
		wantErr  string
	}{
		{name: "login", url: authURL, wantCode: 0, wantErr: "logged in"},
		{name: "callback rejects", url: callback.URL + "/?state=s", wantCode: 1, wantErr: "400 Bad Request"},
		{name: "unreachable", url: "http://127.0.0.1:1/authorize", wantCode: 1, wantErr: "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), []string{tt.url}, &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantErr) || stdout.Len() != 0 {
				t.Errorf("exit %d, stderr %q, stdout %q; want exit %d and stderr containing %q",
					code, stderr.String(), stdout.String(), tt.wantCode, tt.wantErr)
			}
		})
	}
}

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"extra"}} {
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), args, &stdout, &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("run %q: exit %d, stderr %q; want 2 and a message", args, code, stderr.String())
		}
	}
}
