package grant

import (
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
