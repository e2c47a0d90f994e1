package integration_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// TestNoFlowLeaksASecret runs every grant, a refresh and the cache commands at
// -v 3, then searches everything kubelogin wrote outside the cache files and
// stdout's ExecCredential (stderr, the browser's arguments, cache file names)
// for every secret that was used: client secret, password, authorization
// codes, PKCE verifiers, device codes, ID, access and refresh tokens.
func TestNoFlowLeaksASecret(t *testing.T) {
	const clientSecret, password = "cs-Zq8v1-secret", "pw-Zq8v1-password"
	e := newEnv(t, oidcfake.Config{ClientSecret: clientSecret, Users: map[string]string{"admin@example.com": password}})
	base := []string{"-v3", "--oidc-client-secret=" + clientSecret}
	secrets := map[string]string{"client secret": clientSecret, "password": password}
	var written []string // everything kubelogin wrote that is not a credential channel
	collect := func(name string, r result) {
		written = append(written, r.stderr)
		form, _ := e.provider.LastTokenRequest()
		for _, field := range []string{"code", "code_verifier", "device_code", "refresh_token", "client_assertion"} {
			if v := form.Get(field); v != "" {
				secrets[name+" "+field] = v
			}
		}
	}
	flows := []struct {
		name string
		args []string
	}{
		{"authcode", nil},
		{"refresh", []string{"--force-refresh"}},
		{"password", []string{"--grant-type=password", "--username=admin@example.com", "--password=" + password}},
		{"password refresh", []string{"--grant-type=password", "--username=admin@example.com", "--password=" + password, "--force-refresh"}},
		{"device code", []string{"--grant-type=device-code"}},
		{"client credentials", []string{"--grant-type=client-credentials", "--oidc-use-access-token"}},
	}
	for _, f := range flows {
		r := e.getToken(append(append([]string{}, base...), f.args...)...)
		c := mustCredential(t, r)
		secrets[f.name+" issued token"] = c.Status.Token
		collect(f.name, r)
	}
	for _, cmd := range [][]string{{"status", "--token-cache-dir=" + e.cacheDir, "-v3"}, {"status", "-o", "json", "--token-cache-dir=" + e.cacheDir}} {
		r := e.run(cmd...)
		if r.code != 0 {
			t.Fatalf("%v: %s", cmd, r.stderr)
		}
		written = append(written, r.stdout, r.stderr)
	}
	// The cache files hold the tokens; their names must not.
	files, _ := filepath.Glob(filepath.Join(e.cacheDir, "*"))
	for _, f := range files {
		written = append(written, filepath.Base(f))
		if strings.HasSuffix(f, ".json") && !strings.Contains(filepath.Base(f), "provider-") {
			b, _ := os.ReadFile(f)
			for _, field := range []string{"id_token", "access_token", "refresh_token"} {
				if v := jsonField(b, field); v != "" {
					secrets["cached "+field] = v
				}
			}
		}
	}
	written = append(written, e.browserLog()) // the URLs the browser was started with
	all := strings.Join(written, "\n")
	if len(secrets) < 12 {
		t.Fatalf("only %d secrets collected; the test is not looking at enough: %v", len(secrets), keys(secrets))
	}
	for name, s := range secrets {
		if len(s) >= 8 && strings.Contains(all, s) {
			t.Errorf("the %s appears in kubelogin's output", name)
		}
	}
	if !strings.Contains(all, "[redacted]") {
		t.Error("-v3 logged no redacted request at all")
	}
	t.Logf("searched %d bytes of output for %d secrets", len(all), len(secrets))
}

func jsonField(b []byte, field string) string {
	s := string(b)
	i := strings.Index(s, `"`+field+`":"`)
	if i < 0 {
		return ""
	}
	s = s[i+len(field)+4:]
	return s[:strings.IndexByte(s, '"')]
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
