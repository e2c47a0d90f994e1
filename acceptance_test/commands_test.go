package acceptance

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/acceptance_test/harness"
)

// The first-time check every guide tells users to run: `kubectl oidc-login
// setup` logs in, prints the ID token's claims and a `kubectl config
// set-credentials` command; the user runs that command, and kubectl works.
func TestSetupPrintsClaimsAndACommandThatWorks(t *testing.T) {
	ctx := context.Background()
	grantView(t, ctx)
	u := newUser(t, "1.33", harness.Exec{APIVersion: harness.ExecV1, Flags: loginFlags(t, false)})
	// The user has a cluster and context, but no credentials yet.
	if err := os.WriteFile(u.Kubeconfig, []byte(withoutUsers(t, u.Kubeconfig)), 0o600); err != nil {
		fatalf(t, "%v", err)
	}

	skipUnlessCommand(t, ctx, u, "setup")
	args := append([]string{"oidc-login", "setup"}, loginFlags(t, false)...)
	r := u.Kubectl(ctx, args...)
	skipIfUnsupported(t, r, "the setup command")
	mustSucceed(t, r)
	out := r.Output()
	for _, want := range []string{harness.Username, stack.Issuer, `"sub"`, "kubectl create clusterrolebinding", "kubectl config set-credentials"} {
		if !strings.Contains(out, want) {
			errorf(t, "setup output lacks %q", want)
		}
	}
	wantLaunches(t, u, 1)

	command := setCredentialsCommand(out)
	if command == "" {
		report(t, "user saw", r.String())
		fatalf(t, "no `kubectl config set-credentials` command in setup's output")
	}
	t.Logf("acceptance: setup printed: %s", command)
	mustSucceed(t, u.Run(ctx, "sh", "-c", command))
	name := strings.Fields(strings.TrimPrefix(command, "kubectl config set-credentials"))[0]
	mustSucceed(t, u.Kubectl(ctx, "config", "set-context", "--current", "--user="+strings.Trim(name, `'"`)))

	if r := u.Kubectl(ctx, "get", "pods"); !r.OK() {
		report(t, "user saw", r.String())
		report(t, "kubeconfig", readFile(t, u.Kubeconfig))
		fatalf(t, "kubectl with the credentials setup printed: exit %d", r.ExitCode)
	}
	wantUser(t, ctx, u)
	if n := len(u.BrowserLaunches()); n > 2 {
		errorf(t, "browser launches = %d, want at most 2 (setup, then maybe the first call)", n)
	}
}

// `kubectl oidc-login clean` removes the token cache: the next call logs in
// through the browser again.
func TestCleanMakesTheNextCallLogInAgain(t *testing.T) {
	ctx := context.Background()
	grantView(t, ctx)
	u := newUser(t, "1.33", harness.Exec{APIVersion: harness.ExecV1, Flags: loginFlags(t, false)})

	skipUnlessCommand(t, ctx, u, "clean")
	mustSucceed(t, u.Kubectl(ctx, "get", "pods"))
	wantLaunches(t, u, 1)
	oneCacheEntry(t, u)

	r := u.Kubectl(ctx, "oidc-login", "clean")
	skipIfUnsupported(t, r, "the clean command")
	mustSucceed(t, r)
	if entries := readCache(t, u.CacheDir()); len(entries) != 0 {
		errorf(t, "the token cache still has %d entries after clean", len(entries))
	}

	mustSucceed(t, u.Kubectl(ctx, "get", "pods"))
	wantLaunches(t, u, 2)
}

// setCredentialsCommand extracts the `kubectl config set-credentials …`
// command from setup's output, joining backslash-continued lines.
func setCredentialsCommand(out string) string {
	lines := strings.Split(out, "\n")
	for i, line := range lines {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "$"))
		if !strings.HasPrefix(line, "kubectl config set-credentials") {
			continue
		}
		var b strings.Builder
		for j := i; j < len(lines); j++ {
			l := strings.TrimSpace(lines[j])
			if j == i {
				l = line
			}
			if cont, ok := strings.CutSuffix(l, `\`); ok {
				b.WriteString(strings.TrimSpace(cont) + " ")
				continue
			}
			b.WriteString(l)
			break
		}
		return strings.TrimSpace(b.String())
	}
	return ""
}

// withoutUsers returns the kubeconfig with its users section removed.
func withoutUsers(t *testing.T, path string) string {
	t.Helper()
	var out []string
	skipping := false
	for _, line := range strings.Split(readFile(t, path), "\n") {
		switch {
		case line == "users:":
			skipping = true
			continue
		case skipping && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "-")):
			continue
		}
		skipping = false
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		fatalf(t, "%v", err)
	}
	return string(b)
}
