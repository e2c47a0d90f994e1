package httpclient

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/internal/logger"
)

func TestDebugLogRedactsCredentials(t *testing.T) {
	const secrets = "SECRET"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Set-Cookie", "session="+secrets+"-cookie")
		w.Write([]byte(`{"access_token":"` + secrets + `-at","refresh_token":"` + secrets + `-rt","id_token":"` + secrets + `-id","token_type":"Bearer","expires_in":3600}`))
	}))
	defer srv.Close()
	var buf bytes.Buffer
	log := logger.New(&buf)
	log.SetLevel(3)
	c, err := New(Options{Headers: map[string]string{"X-Api-Key": secrets + "-header"}}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {secrets + "-code"}, "code_verifier": {secrets + "-verifier"},
		"client_secret": {secrets + "-cs"}, "password": {secrets + "-pw"}, "refresh_token": {secrets + "-rt0"}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/token?code="+secrets+"-qcode", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("client", secrets+"-basic")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	out := buf.String()
	if strings.Contains(out, secrets) {
		t.Errorf("a secret reached the debug log:\n%s", out)
	}
	for _, want := range []string{"grant_type=authorization_code", "token_type", "Authorization: [redacted]", "X-Api-Key: [redacted]", "200 OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("debug log lacks %q:\n%s", want, out)
		}
	}
}
