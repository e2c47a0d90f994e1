package grant

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/internal/logger"
)

func TestCallbackAnswersOnlyTheFirstValidCallback(t *testing.T) {
	s := &callbackServer{path: "/", state: "s", codes: make(chan callbackResult, 1), log: logger.New(nil)}
	go func() {
		r := <-s.codes
		r.reply <- nil
	}()
	get := func(host, target string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Host = host
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		return w
	}
	for _, tc := range []struct {
		name, host, target string
		status             int
		body               string
	}{
		{"foreign host", "evil.example.com:8000", "/?code=c&state=s", http.StatusForbidden, "refused"},
		{"other path", "localhost:8000", "/favicon.ico", http.StatusNotFound, ""},
		{"wrong state", "localhost:8000", "/?code=c&state=x", http.StatusBadRequest, "stale"},
		{"first valid", "localhost:8000", "/?code=c&state=s", http.StatusOK, "You are logged in"},
		{"repeated", "127.0.0.1:8000", "/?code=c2&state=s", http.StatusOK, "already completed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := get(tc.host, tc.target)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.body) {
				t.Errorf("got %d %q", w.Code, w.Body.String())
			}
		})
	}
	if len(s.codes) != 0 {
		t.Error("the repeated callback delivered a second code")
	}
}

func TestCallbackPageEscapesProviderErrors(t *testing.T) {
	s := &callbackServer{path: "/", state: "s", codes: make(chan callbackResult, 1), log: logger.New(nil)}
	go func() {
		r := <-s.codes
		r.reply <- r.err
	}()
	req := httptest.NewRequest(http.MethodGet, "/?state=s&error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E", nil)
	req.Host = "localhost:8000"
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if strings.Contains(w.Body.String(), "<script>") || !strings.Contains(w.Body.String(), "access_denied") {
		t.Errorf("page: %s", w.Body.String())
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP = %q", csp)
	}
}

func TestCallbackRefusesAResponseFromAnotherIssuer(t *testing.T) {
	const issuer = "https://issuer.example.com"
	for _, tc := range []struct {
		name       string
		requireIss bool
		query      string
		wantErr    string // "" = the code is delivered
	}{
		{"advertised, right iss", true, "code=c&state=s&iss=https%3A%2F%2Fissuer.example.com", ""},
		{"advertised, wrong iss", true, "code=c&state=s&iss=https%3A%2F%2Fevil.example.com", "came from another issuer"},
		{"advertised, trailing slash", true, "code=c&state=s&iss=https%3A%2F%2Fissuer.example.com%2F", "came from another issuer"},
		{"advertised, no iss", true, "code=c&state=s", "carries no iss"},
		{"advertised, empty iss", true, "code=c&state=s&iss=", "came from another issuer"},
		{"advertised, error with wrong iss", true, "error=access_denied&state=s&iss=https%3A%2F%2Fevil.example.com", "came from another issuer"},
		{"not advertised, wrong iss", false, "code=c&state=s&iss=https%3A%2F%2Fevil.example.com", "came from another issuer"},
		{"not advertised, right iss", false, "code=c&state=s&iss=https%3A%2F%2Fissuer.example.com", ""},
		{"not advertised, no iss", false, "code=c&state=s", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &callbackServer{path: "/", state: "s", issuer: issuer, requireIss: tc.requireIss,
				codes: make(chan callbackResult, 1), log: logger.New(nil)}
			got := make(chan callbackResult, 1)
			go func() {
				r := <-s.codes
				got <- r
				r.reply <- r.err
			}()
			req := httptest.NewRequest(http.MethodGet, "/?"+tc.query, nil)
			req.Host = "localhost:8000"
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			r := <-got
			if tc.wantErr == "" {
				if r.err != nil || r.code != "c" {
					t.Fatalf("code %q, error %v; want the code", r.code, r.err)
				}
				return
			}
			if r.err == nil || !strings.Contains(r.err.Error(), tc.wantErr) || !strings.Contains(r.err.Error(), "mix-up") {
				t.Fatalf("error %v, want %q", r.err, tc.wantErr)
			}
			var pe *ProviderError
			if r.code != "" || errors.As(r.err, &pe) {
				t.Errorf("code %q, error %T: a refused response must hand over no code and no provider error", r.code, r.err)
			}
			if strings.Contains(r.err.Error(), "\n") || !strings.Contains(w.Body.String(), "Login failed") {
				t.Errorf("want one line and a failure page, got %q and %s", r.err, w.Body.String())
			}
		})
	}
}
