package httpclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRetryAfterUsesTheInjectedClock: the wait comes from Retry-After, read
// by Options.Now, and is spent in Options.Sleep; a wait beyond MaxRetryAfter
// is not waited for.
func TestRetryAfterUsesTheInjectedClock(t *testing.T) {
	now := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, retryAfter string
		wantWait         time.Duration
		wantRequests     int32
	}{
		{"seconds", "3", 3 * time.Second, 2},
		{"HTTP date", now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second, 2},
		{"HTTP date in the past", now.Add(-time.Minute).Format(http.TimeFormat), 0, 2},
		{"too long", "3600", -1, 1},
		{"HTTP date too far", now.Add(time.Hour).Format(http.TimeFormat), -1, 1},
		{"garbage", "soon", -1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if requests.Add(1) == 1 {
					w.Header().Set("Retry-After", tc.retryAfter)
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				w.Write([]byte("{}"))
			}))
			defer srv.Close()
			waited := time.Duration(-1)
			c, err := New(Options{
				Now:   func() time.Time { return now },
				Sleep: func(_ context.Context, d time.Duration) error { waited = d; return nil },
			}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Post(srv.URL, "application/x-www-form-urlencoded", strings.NewReader("a=b"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if waited != tc.wantWait || requests.Load() != tc.wantRequests {
				t.Errorf("waited %s over %d requests, want %s over %d", waited, requests.Load(), tc.wantWait, tc.wantRequests)
			}
		})
	}
}

// TestRetryWaitEndsWithTheContext: Ctrl-C during the wait ends the request.
func TestRetryWaitEndsWithTheContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "10")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c, err := New(Options{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	start := time.Now()
	if _, err := c.Do(req); err == nil {
		t.Fatal("no error")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the wait went on for %s after the context ended", d)
	}
}
