package acceptance

import (
	"context"
	"testing"

	"github.com/kubelogin/kubelogin/acceptance_test/harness"
)

// Users run old and new kubectl, with the plugin installed by krew (`command:
// kubectl`, `args: [oidc-login, get-token, …]`) or called directly, and with
// either exec credential API version. Each logs in once and is seen as Dex's user.
func TestKubectlVersionsAndExecAPIVersions(t *testing.T) {
	cases := []struct {
		name    string
		kubectl string
		exec    harness.Exec
	}{
		{"kubectl 1.27 krew v1beta1 inline CA", "1.27", harness.Exec{APIVersion: harness.ExecV1beta1, Krew: true}},
		{"kubectl 1.27 direct v1", "1.27", harness.Exec{APIVersion: harness.ExecV1, InteractiveMode: "IfAvailable"}},
		{"kubectl 1.33 krew v1beta1 inline CA", "1.33", harness.Exec{APIVersion: harness.ExecV1beta1, Krew: true}},
		{"kubectl 1.33 krew v1 inline CA", "1.33", harness.Exec{APIVersion: harness.ExecV1, Krew: true}},
	}
	ctx := context.Background()
	grantView(t, ctx)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.exec.Flags = loginFlags(t, c.exec.Krew)
			u := newUser(t, c.kubectl, c.exec)
			before := stack.Proxy.Snapshot()

			mustSucceed(t, u.Kubectl(ctx, "get", "pods"))
			wantUser(t, ctx, u)
			mustSucceed(t, u.Kubectl(ctx, "get", "pods"))

			wantLaunches(t, u, 1)
			wantGrant(t, stack.Proxy.Snapshot().Sub(before), grantAuthCode, 1)
		})
	}
}
