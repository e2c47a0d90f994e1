package httpclient

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubelogin/kubelogin/internal/logger"
)

// debugTransport logs requests: -v1 the request line and status, -v2 the
// headers, -v3 the bodies. Credentials are replaced by "[redacted]" at every level.
type debugTransport struct {
	base http.RoundTripper
	log  *logger.Logger
}

const redacted = "[redacted]"

// sensitiveFields are form, query and JSON field names whose values are credentials.
var sensitiveFields = map[string]bool{
	"access_token": true, "refresh_token": true, "id_token": true, "token": true,
	"client_secret": true, "code": true, "code_verifier": true, "password": true,
	"client_assertion": true, "assertion": true, "device_code": true,
	"subject_token": true, "actor_token": true, "user_code": true,
	"verification_uri_complete": true, // it holds the user code
}

// sensitiveHeaders are shown by name only.
var sensitiveHeaders = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "Set-Cookie": true,
}

func (t *debugTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	t.log.Debugf(1, "http: %s %s", req.Method, RedactURL(req.URL))
	if t.log.V(2) {
		t.log.Debugf(2, "http: request headers:\n%s", redactHeaders(req.Header, true))
	}
	if t.log.V(3) && req.Body != nil && req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			b, _ := io.ReadAll(io.LimitReader(body, 64<<10))
			body.Close()
			t.log.Debugf(3, "http: request body: %s", RedactBody(req.Header.Get("Content-Type"), b))
		}
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		t.log.Debugf(1, "http: %s %s: %v (%s)", req.Method, RedactURL(req.URL), err, time.Since(start).Round(time.Millisecond))
		return nil, err
	}
	t.log.Debugf(1, "http: %s %s: %s (%s)", req.Method, RedactURL(req.URL), resp.Status, time.Since(start).Round(time.Millisecond))
	if t.log.V(2) {
		t.log.Debugf(2, "http: response headers:\n%s", redactHeaders(resp.Header, false))
	}
	if t.log.V(3) {
		b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if err == nil {
			t.log.Debugf(3, "http: response body: %s", RedactBody(resp.Header.Get("Content-Type"), b))
		}
	}
	return resp, nil
}

// RedactURL returns u as a string with sensitive query values redacted.
func RedactURL(u *url.URL) string {
	if u.RawQuery == "" {
		return u.String()
	}
	c := *u
	c.RawQuery = ""
	return c.String() + "?" + redactValues(u.Query())
}

// redactValues encodes v like url.Values.Encode, with credentials shown as [redacted].
func redactValues(v url.Values) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, val := range v[k] {
			if sensitiveFields[k] {
				val = redacted
			} else {
				val = url.QueryEscape(val)
			}
			parts = append(parts, url.QueryEscape(k)+"="+val)
		}
	}
	return strings.Join(parts, "&")
}

// redactHeaders formats headers one per line, sorted. Request headers other
// than the standard ones are redacted too: --oidc-request-header often carries
// API keys.
func redactHeaders(h http.Header, request bool) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v := strings.Join(h[k], ", ")
		if sensitiveHeaders[k] || (request && !standardRequestHeaders[k]) {
			v = redacted
		}
		b.WriteString("  " + k + ": " + v + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

var standardRequestHeaders = map[string]bool{
	"Accept": true, "Accept-Encoding": true, "Content-Type": true, "Content-Length": true, "User-Agent": true,
}

// RedactBody formats a request or response body with credentials redacted: form
// and JSON bodies field by field; anything else is summarised by size, since an
// unknown format cannot be redacted safely.
func RedactBody(contentType string, b []byte) string {
	switch {
	case strings.HasPrefix(contentType, "application/x-www-form-urlencoded"):
		v, err := url.ParseQuery(string(b))
		if err != nil {
			return "(unparsable form body, " + strconv.Itoa(len(b)) + " bytes)"
		}
		return redactValues(v)
	case strings.Contains(contentType, "json"):
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return "(unparsable JSON body, " + strconv.Itoa(len(b)) + " bytes)"
		}
		for k := range m {
			if sensitiveFields[k] {
				m[k] = redacted
			}
		}
		out, _ := json.Marshal(m)
		return string(out)
	default:
		return "(" + contentType + " body, " + strconv.Itoa(len(b)) + " bytes, not shown)"
	}
}
