package grant

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
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
	f.Fuzz(func(t *testing.T, host, path, rawQuery string) {
		s := &callbackServer{path: "/", state: "s", codes: make(chan callbackResult), log: logger.New(nil)}
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
		case <-accepted:
			q, _ := url.ParseQuery(rawQuery)
			if q.Get("state") != "s" || path != "/" || !s.hostAllowed(host) {
				t.Fatalf("accepted a callback it must refuse: host %q path %q query %q", host, path, rawQuery)
			}
		default:
		}
	})
}
