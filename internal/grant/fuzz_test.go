package grant

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/logger"
)

// FuzzCallback sends arbitrary callback requests to the loopback handler: it
// must never panic, hang, or accept a callback whose state is not ours.
func FuzzCallback(f *testing.F) {
	f.Add("localhost:8000", "/", "code=abc&state=s")
	f.Add("127.0.0.1:8000", "/", "error=access_denied&error_description=%3Cscript%3E&state=s")
	f.Add("evil.example.com", "/", "code=abc&state=s")
	f.Add("[::1]:8000", "/callback", "state=s&state=t&code=")
	f.Add("localhost", "/", "%zz")
	f.Add("[::ffff:127.0.0.1]:8000", "/", "code=abc&state=s")
	f.Add("0.0.0.0:8000", "/", "code=abc&state=s")
	f.Add("[::1%25lo]:8000", "/", "code=abc&state=s")
	f.Add("localhost.evil.example.com:8000", "/", "code=abc&state=s")
	f.Fuzz(func(t *testing.T, host, path, rawQuery string) {
		// extraHost as authcode.go sets it: the redirect URL's host:port.
		s := &callbackServer{path: "/", state: "s", extraHost: "localhost:8000", codes: make(chan callbackResult), log: logger.New(nil)}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		accepted := make(chan url.Values, 1)
		go func() {
			select {
			case r := <-s.codes:
				if r.err == nil {
					accepted <- url.Values{"code": {r.code}}
				}
				r.reply <- errors.New("test")
			case <-ctx.Done():
			}
		}()
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, "http://localhost/", nil)
		req.Host = host
		req.URL.Path = path
		req.URL.RawQuery = rawQuery
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if ctx.Err() != nil {
			t.Fatal("the handler hung")
		}
		select {
		case got := <-accepted:
			q, _ := url.ParseQuery(rawQuery)
			if q.Get("state") != "s" || path != "/" || !namesLoopback(host) {
				t.Fatalf("accepted a callback it must refuse: host %q path %q query %q", host, path, rawQuery)
			}
			if got.Get("code") != q.Get("code") {
				t.Fatalf("accepted code %q, the callback carried %q", got.Get("code"), q.Get("code"))
			}
			// Only the first callback counts: the same request again is not accepted.
			s.ServeHTTP(httptest.NewRecorder(), req)
			select {
			case <-accepted:
				t.Fatalf("accepted a second callback: host %q query %q", host, rawQuery)
			default:
			}
		default:
			if !namesLoopback(host) && w.Code != http.StatusForbidden {
				t.Fatalf("Host %q answered %d, want 403", host, w.Code)
			}
		}
	})
}

// namesLoopback is the fuzz oracle for the Host check, written apart from the
// code under test (netip rather than net, no SplitHostPort): a Host, with an
// optional port, names this machine only as "localhost" or a loopback address
// without a zone. It may refuse forms the handler accepts (any port text); it
// must accept every form the handler accepts.
func namesLoopback(host string) bool {
	h := host
	switch {
	case strings.HasPrefix(h, "["):
		end := strings.IndexByte(h, ']')
		if end < 0 || end+1 < len(h) && h[end+1] != ':' {
			return false
		}
		h = h[1:end]
	case strings.Count(h, ":") == 1:
		h = h[:strings.IndexByte(h, ':')]
	}
	if h == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Zone() == "" && a.Unmap().IsLoopback()
}

func TestNamesLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "localhost:8000": true, "127.0.0.1:8000": true, "127.9.9.9": true, "[::1]:8000": true,
		"::1": true, "[::ffff:127.0.0.1]:1": true,
		"evil.example.com": false, "localhost.evil.example.com:8000": false, "10.0.0.1:8000": false,
		"[::1%25lo]:8000": false, "[::2]:8000": false, "": false, "[::1]x": false, "0.0.0.0:8000": false,
	} {
		if got := namesLoopback(host); got != want {
			t.Errorf("namesLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}
