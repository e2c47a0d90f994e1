package integration_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// TestDocsMessages: error lines that docs/troubleshooting.md quotes, each
// made by the binary and compared whole (the docs test in internal/cli
// checks that the quoted text is held by a test). Where a part varies from
// run to run (a port, a time), the line is compared around it.
func TestDocsMessages(t *testing.T) {
	for _, tc := range []struct {
		name           string
		cfg            oidcfake.Config
		how            string // the scripted browser: "" follows the login, "none" never comes back
		args           []string
		prefix, suffix string // the whole line when suffix is "" and not more
		more           bool   // the provider's words may follow prefix
	}{
		{name: "authcode timeout", how: "none", args: []string{"--authentication-timeout-sec=1"},
			prefix: "error: no login within 1s: the browser did not come back to http://localhost:",
			suffix: " (finish the login in the browser, check that the provider allows this redirect URI, or raise --authentication-timeout-sec)"},
		{name: "redirect URL and listen port",
			args:   []string{"--oidc-redirect-url=http://localhost:8123/callback", "--listen-address=127.0.0.1:8124"},
			prefix: "error: --oidc-redirect-url http://localhost:8123/callback has port 8123, but no --listen-address uses that port (make them agree)"},
		{name: "certificate-authority-data", args: []string{"--certificate-authority-data=!!!!"},
			prefix: "error: --certificate-authority-data #1 is not valid base64 (give the base64 of a PEM file, as in a kubeconfig): illegal base64 data at input byte 0"},
		{name: "clock skew", cfg: oidcfake.Config{Now: func() time.Time { return time.Now().Add(-2 * time.Hour) }},
			prefix: "error: the provider's ID token failed verification (oidc: token is expired (Token Expiry: ",
			suffix: ")); check --oidc-issuer-url, --oidc-client-id and this machine's clock"},
		{name: "authcode-keyboard without a terminal", args: []string{"--grant-type=authcode-keyboard"},
			prefix: "error: --grant-type=authcode-keyboard reads the code from the terminal, but kubelogin may not read stdin here (kubectl's interactiveMode is Never, or stdin is not a terminal): use --grant-type=device-code, or run it where kubectl has a terminal"},
		{name: "password without a terminal", args: []string{"--grant-type=password", "--username=admin@example.com"},
			prefix: "error: --grant-type=password needs a password, and kubelogin may not prompt here (kubectl's interactiveMode is Never, or stdin is not a terminal): set KUBELOGIN_PASSWORD, give --password-command (e.g. your password manager's command line) or --password"},
		{name: "invalid_client", cfg: oidcfake.Config{ClientSecret: "the-right-one"}, args: []string{"--oidc-client-secret=a-wrong-one"},
			prefix: "error: exchange the authorization code: the provider answered 401 invalid_client: ", more: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.cfg)
			e.how = tc.how
			r := e.getToken(tc.args...)
			if r.code == 0 {
				t.Fatalf("kubelogin succeeded; want %q", tc.prefix)
			}
			for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
				if line == tc.prefix || (tc.more || tc.suffix != "") && strings.HasPrefix(line, tc.prefix) && strings.HasSuffix(line, tc.suffix) {
					return
				}
			}
			t.Errorf("no line\n  %s…%s\nin stderr:\n%s", tc.prefix, tc.suffix, r.stderr)
		})
	}
}

// TestDocsMessagePortsInUse: both callback ports taken.
func TestDocsMessagePortsInUse(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	var addrs []string
	for range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		addrs = append(addrs, l.Addr().String())
	}
	r := e.run(append(removeFlag(e.args(), "--listen-address"), "--listen-address="+addrs[0]+","+addrs[1])...)
	want := "error: cannot listen on " + addrs[0] + ", " + addrs[1] + ": in use or not allowed (close what uses them, or give another --listen-address that the provider allows as redirect URI)"
	if !strings.Contains("\n"+r.stderr, "\n"+want+"\n") {
		t.Errorf("no line\n  %s\nin stderr:\n%s", want, r.stderr)
	}
}
