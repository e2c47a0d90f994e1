package acceptance

import (
	"context"
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/acceptance_test/harness"
)

// A user whose kubeconfig carries a username and password logs in with the
// password grant: no browser, one password request at Dex.
func TestPasswordGrantLogsInWithoutABrowser(t *testing.T) {
	ctx := context.Background()
	grantView(t, ctx)
	u := newUser(t, "1.33", harness.Exec{
		APIVersion: harness.ExecV1,
		Flags: loginFlags(t, false, "--grant-type=password",
			"--username="+harness.Username, "--password="+harness.Password),
	})
	before := stack.Proxy.Snapshot()

	r := u.Kubectl(ctx, "get", "pods")
	skipIfUnsupported(t, r, "--grant-type=password")
	mustSucceed(t, r)
	wantUser(t, ctx, u)

	delta := stack.Proxy.Snapshot().Sub(before)
	wantGrant(t, delta, grantPassword, 1)
	wantGrant(t, delta, grantAuthCode, 0)
	wantLaunches(t, u, 0)
	if strings.Contains(r.Stderr, "--password="+harness.Password) {
		errorf(t, "the password shows on stderr:\n%s", r.Stderr)
	}
}

// A user on the device-code grant: kubelogin opens Dex's verification page
// (where the browser confirms the code, logs in and approves) and polls
// Dex until it has the token.
func TestDeviceCodeGrantLogsInThroughTheVerificationPage(t *testing.T) {
	ctx := context.Background()
	grantView(t, ctx)
	u := newUser(t, "1.33", harness.Exec{
		APIVersion: harness.ExecV1,
		Flags:      loginFlags(t, false, "--grant-type=device-code"),
	})
	before := stack.Proxy.Snapshot()

	r := u.Kubectl(ctx, "get", "pods")
	skipIfUnsupported(t, r, "--grant-type=device-code")
	mustSucceed(t, r)
	wantUser(t, ctx, u)

	delta := stack.Proxy.Snapshot().Sub(before)
	if delta.Grants[grantDevice] < 1 {
		errorf(t, "no device_code token request at Dex (%s)", delta)
	}
	if n := delta.Paths["/dex/device/code"]; n != 1 {
		errorf(t, "device authorization requests = %d, want 1 (%s)", n, delta)
	}
	wantGrant(t, delta, grantAuthCode, 0)
	wantLaunches(t, u, 1)
	if l := u.BrowserLaunches(); len(l) == 1 && !strings.HasPrefix(l[0].URL, stack.Issuer+"/device") {
		errorf(t, "the browser opened %s, want Dex's verification page %s/device", l[0].URL, stack.Issuer)
	}
}
