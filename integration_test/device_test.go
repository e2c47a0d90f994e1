package integration_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// deviceURL is the verification URL with the user code, as kubelogin shows it.
var deviceURL = regexp.MustCompile(`To log in, visit (http\S+/device\?user_code=(\S+))\nor visit (\S+) and enter the code (\S+)`)

func TestDeviceCodeGrant(t *testing.T) {
	e := newEnv(t, oidcfake.Config{RequirePKCE: true})
	started := time.Now()
	r := e.getToken("--grant-type=device-code", "--oidc-auth-request-extra-params=audience=k8s")
	c := mustCredential(t, r)
	t.Logf("device flow with the browser approving at once: %s", time.Since(started).Round(time.Millisecond))
	m := deviceURL.FindStringSubmatch(r.stderr)
	if m == nil || m[3] != e.provider.Issuer()+"/device" || m[4] == "" || !strings.Contains(m[1], m[4]) {
		t.Fatalf("stderr does not show the URL and the code:\n%s", r.stderr)
	}
	if !strings.Contains(e.browserLog(), "launch "+m[1]+"\n") || !strings.Contains(e.browserLog(), "done Device approved") {
		t.Errorf("the browser was not sent to the verification URL with the code:\n%s", e.browserLog())
	}
	if strings.ContainsAny(r.stderr, "▀▄█") {
		t.Error("a QR code was drawn on a stderr that is not a terminal")
	}
	dev := e.provider.LastDeviceRequest()
	if dev.Get("code_challenge_method") != "S256" || dev.Get("code_challenge") == "" || dev.Get("audience") != "k8s" || dev.Get("scope") != "openid" {
		t.Errorf("device authorization request lacks PKCE, the extra params or the scope: %v", dev)
	}
	if form, _ := e.provider.LastTokenRequest(); form.Get("code_verifier") == "" {
		t.Error("the device token request has no code_verifier")
	}
	if claims := decode(t, c.Status.Token); claims["email"] != "admin@example.com" {
		t.Errorf("claims %v", claims)
	}
	e.provider.ResetCounts()
	mustCredential(t, e.getToken("--grant-type=device-code", "--oidc-auth-request-extra-params=audience=k8s"))
	if e.provider.Count("device") != 0 {
		t.Error("a cached token started another device login")
	}
}

// approveWhenPolled approves the device login once the plugin has polled n
// times, from the URL the browser was given.
func approveWhenPolled(t *testing.T, e *env, n int) <-chan error {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		for len(e.provider.DevicePolls()) < n || !strings.Contains(e.browserLog(), "launch ") {
			if ctx.Err() != nil {
				done <- ctx.Err()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		u := strings.TrimSpace(strings.SplitN(strings.SplitN(e.browserLog(), "launch ", 2)[1], "\n", 2)[0])
		_, err := e.provider.Browse(ctx, u)
		done <- err
	}()
	return done
}

func TestDeviceCodePendingThenApproved(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	e.how = "none" // the user takes a while
	approved := approveWhenPolled(t, e, 2)
	r := e.getToken("--grant-type=device-code", "-v1")
	mustCredential(t, r)
	if err := <-approved; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.stderr, "device: the login is not finished yet; polling again in 1s") {
		t.Errorf("-v1 does not show authorization_pending:\n%s", r.stderr)
	}
}

func TestDeviceCodeSlowDown(t *testing.T) {
	e := newEnv(t, oidcfake.Config{DeviceSlowDowns: 1, DeviceInterval: 1})
	started := time.Now()
	r := e.getToken("--grant-type=device-code", "-v1")
	mustCredential(t, r)
	t.Logf("device flow with one slow_down: %s", time.Since(started).Round(time.Millisecond))
	if !strings.Contains(r.stderr, "device: the provider asked to poll more slowly; polling every 6s") {
		t.Errorf("-v1 does not show the slow_down:\n%s", r.stderr)
	}
	polls := e.provider.DevicePolls()
	if len(polls) != 2 {
		t.Fatalf("polls = %d, want 2 (slow_down, then the token)", len(polls))
	}
	// A lower bound only: interval 1s + 5s; a busy machine only makes it longer.
	if gap := polls[1].Sub(polls[0]); gap < 5900*time.Millisecond {
		t.Errorf("polled again %s after slow_down, want at least 6s", gap)
	}
}

func TestDeviceCodeErrors(t *testing.T) {
	const expired = "before the login was confirmed; run the command again and confirm the code sooner"
	for _, tc := range []struct {
		name   string
		cfg    oidcfake.Config
		faults oidcfake.Faults
		args   []string
		want   []string // the last line starts with the first
	}{
		{name: "access_denied", faults: oidcfake.Faults{DeviceError: "access_denied"},
			want: []string{"error: the login was denied at the provider (access_denied: injected fault); run the command again to retry"}},
		{name: "expired_token", faults: oidcfake.Faults{DeviceError: "expired_token"},
			want: []string{"error: the device code expired after ", expired}},
		{name: "expires_in passes", cfg: oidcfake.Config{DeviceCodeTTL: 2 * time.Second},
			want: []string{"error: the device code expired after ", expired, "Waiting for the login (for up to 2s)..."}},
		{name: "authentication timeout", args: []string{"--authentication-timeout-sec=1"},
			want: []string{"error: no login within 1s: the code was not confirmed at ", "(raise --authentication-timeout-sec)"}},
		{name: "provider error", faults: oidcfake.Faults{DeviceError: "invalid_client"},
			want: []string{"error: device login: the provider answered 400 invalid_client: injected fault"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.cfg)
			e.how = "none"
			e.provider.SetFaults(tc.faults)
			r := e.getToken(append([]string{"--grant-type=device-code"}, tc.args...)...)
			mustFail(t, r, tc.want...)
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if !strings.HasPrefix(lines[len(lines)-1], tc.want[0]) {
				t.Errorf("the last line is not the error:\n%s", r.stderr)
			}
			if len(e.cacheEntries()) != 0 {
				t.Error("a failed login left a cache entry")
			}
		})
	}
}
