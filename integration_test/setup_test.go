package integration_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// replacements makes a shell's output stable for golden files.
func (s *shell) replacements() []string {
	self, _ := os.Executable()
	r := []string{s.provider.Issuer(), "ISSUER", self, "BROWSER", s.cacheDir, "CACHE", s.home, "HOME"}
	if s.caFile != "" {
		r = append(r, s.caFile, "CA")
	}
	return r
}

func TestSetupPrintsClaimsBindingAndCommand(t *testing.T) {
	s := newShell(t, oidcfake.Config{TLS: true, ClientSecret: "client-secret-value", Groups: []string{"admins"}})
	flags := s.loginFlags("--oidc-client-secret=client-secret-value", "--oidc-extra-scope=email,groups",
		"--oidc-auth-request-extra-params=prompt=consent", "--oidc-request-header=X-Api-Key=header-secret-value")
	r := mustRun(t, s.kubelogin(append([]string{"setup"}, flags...)...))

	for _, secret := range []string{"client-secret-value", "header-secret-value"} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("setup printed a secret (%s)", secret)
		}
	}
	if s.launches() != 1 {
		t.Errorf("browser launches = %d, want 1", s.launches())
	}
	if n := len(s.cacheEntries()); n != 0 {
		t.Errorf("setup wrote %d cache entries; it logs in without the cache", n)
	}
	goldenFile(t, "setup.txt", normalise(r.stdout, s.replacements()...))

	// The printed command works: run it with a kubectl that knows
	// --exec-interactive-mode, and compare with what --write-kubeconfig writes.
	kubectl := kubectlBinary(t, "1.33")
	printed := filepath.Join(t.TempDir(), "printed")
	command := setCredentialsCommand(r.stdout)
	command = strings.Replace(command, "kubectl config", kubectl+" --kubeconfig="+printed+" config", 1)
	if out, err := exec.Command("sh", "-c", command).CombinedOutput(); err != nil {
		t.Fatalf("the printed command fails: %v\n%s\n%s", err, command, out)
	}
	got := loadKubeconfig(t, printed).AuthInfos["oidc"].Exec

	written := filepath.Join(t.TempDir(), "written")
	mustRun(t, s.kubelogin(append([]string{"setup", "--write-kubeconfig", "--kubeconfig=" + written}, flags...)...))
	want := loadKubeconfig(t, written).AuthInfos["oidc"].Exec
	// The printed command leaves the secret and the header out.
	wantArgs := slices.DeleteFunc(slices.Clone(want.Args), func(a string) bool {
		return strings.HasPrefix(a, "--oidc-client-secret=") || strings.HasPrefix(a, "--oidc-request-header=")
	})
	if diff := cmp.Diff(wantArgs, got.Args); diff != "" {
		t.Errorf("printed command vs --write-kubeconfig args (-written +printed):\n%s", diff)
	}
	if got.APIVersion != want.APIVersion || got.InteractiveMode != want.InteractiveMode || got.Command != "kubectl" {
		t.Errorf("printed %+v, written %+v", got, want)
	}
}

// kubectl 1.29 and older have no --exec-interactive-mode: the command with
// the v1beta1 apiVersion that setup suggests for them works.
func TestSetupCommandForOldKubectl(t *testing.T) {
	s := newShell(t, oidcfake.Config{})
	r := mustRun(t, s.kubelogin(append([]string{"setup"}, s.loginFlags()...)...))
	kubectl := kubectlBinary(t, "1.27")
	path := filepath.Join(t.TempDir(), "config")
	command := setCredentialsCommand(r.stdout)
	command = strings.Replace(command, "kubectl config", kubectl+" --kubeconfig="+path+" config", 1)
	command = strings.Replace(command, " --exec-interactive-mode=IfAvailable", "", 1)
	command = strings.Replace(command, "client.authentication.k8s.io/v1 ", "client.authentication.k8s.io/v1beta1 ", 1)
	if out, err := exec.Command("sh", "-c", command).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s\n%s", err, command, out)
	}
	if ex := loadKubeconfig(t, path).AuthInfos["oidc"].Exec; ex.InteractiveMode != "IfAvailable" {
		t.Errorf("interactiveMode = %q (v1beta1 defaults to IfAvailable)", ex.InteractiveMode)
	}
}

const clusterKubeconfig = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: QUJD
    server: https://127.0.0.1:6443
  name: prod
contexts:
- context:
    cluster: prod
    namespace: team-a
    user: admin
  name: prod
current-context: prod
kind: Config
preferences: {}
users:
- name: admin
  user:
    token: static-token-value
`

func TestSetupWritesTheKubeconfig(t *testing.T) {
	s := newShell(t, oidcfake.Config{ClientSecret: "client-secret-value"})
	writeText(t, s.kubeconfig, clusterKubeconfig)
	args := append([]string{"setup", "--write-kubeconfig", "--context=prod", "--oidc-client-secret=client-secret-value"}, s.loginFlags()...)
	r := mustRun(t, s.kubelogin(args...))
	if strings.Contains(r.stdout+r.stderr, "client-secret-value") || strings.Contains(r.stdout, "static-token-value") {
		t.Error("setup printed a secret")
	}
	if !strings.Contains(r.stdout, "-    user: admin\n+    user: oidc\n") {
		t.Errorf("the diff does not show the context change:\n%s", r.stdout)
	}
	goldenFile(t, "setup-write-kubeconfig.txt", normalise(r.stdout[strings.Index(r.stdout, "## Write the kubeconfig"):], s.replacements()...))
	goldenFile(t, "setup-written.yaml", normalise(readText(t, s.kubeconfig), s.replacements()...))

	b := backups(s.kubeconfig)
	if len(b) != 1 || readText(t, b[0]) != clusterKubeconfig {
		t.Fatalf("backups %v: want one holding the previous file", b)
	}
	cfg := loadKubeconfig(t, s.kubeconfig)
	if cfg.Contexts["prod"].AuthInfo != "oidc" || cfg.Contexts["prod"].Namespace != "team-a" || cfg.AuthInfos["admin"].Token != "static-token-value" {
		t.Errorf("context %+v, admin %+v", cfg.Contexts["prod"], cfg.AuthInfos["admin"])
	}
	// The user runs get-token with the flags given, the secret included.
	ex := cfg.AuthInfos["oidc"].Exec
	if ex.Command != "kubectl" || ex.Args[0] != "oidc-login" || ex.Args[1] != "get-token" {
		t.Fatalf("exec %+v", ex)
	}
	s.execInfo = `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}`
	mustCredential(t, s.run(ex.Args[1:]...))

	// Again: nothing changes, no second backup.
	r = mustRun(t, s.kubelogin(args...))
	if !strings.Contains(r.stdout, "nothing to write") || len(backups(s.kubeconfig)) != 1 {
		t.Errorf("a second setup changed the kubeconfig:\n%s", r.stdout)
	}
}

func TestSetupWriteKubeconfigNewContextNeedsCluster(t *testing.T) {
	s := newShell(t, oidcfake.Config{})
	writeText(t, s.kubeconfig, clusterKubeconfig)
	r := s.kubelogin(append([]string{"setup", "--write-kubeconfig", "--context=staging"}, s.loginFlags()...)...)
	mustFail(t, r, `context "staging" is not in the kubeconfig: give --cluster to create it`)
	if readText(t, s.kubeconfig) != clusterKubeconfig {
		t.Error("the kubeconfig changed")
	}
	// With --cluster it is created; with --cluster alone it is named user@cluster.
	mustRun(t, s.kubelogin(append([]string{"setup", "--write-kubeconfig", "--context=staging", "--cluster=prod", "--user=alice"}, s.loginFlags()...)...))
	mustRun(t, s.kubelogin(append([]string{"setup", "--write-kubeconfig", "--cluster=prod"}, s.loginFlags()...)...))
	cfg := loadKubeconfig(t, s.kubeconfig)
	if c := cfg.Contexts["staging"]; c == nil || c.Cluster != "prod" || c.AuthInfo != "alice" {
		t.Errorf("context staging = %+v", c)
	}
	if c := cfg.Contexts["oidc@prod"]; c == nil || c.AuthInfo != "oidc" {
		t.Errorf("context oidc@prod = %+v", c)
	}
	if cfg.CurrentContext != "prod" {
		t.Errorf("current-context changed to %q", cfg.CurrentContext)
	}
}

// setCredentialsCommand extracts the "kubectl config set-credentials"
// command from setup's output, joining its continued lines.
func setCredentialsCommand(out string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "kubectl config set-credentials") {
			in = true
		}
		if !in {
			continue
		}
		cont, more := strings.CutSuffix(line, `\`)
		b.WriteString(strings.TrimSpace(cont) + " ")
		if !more {
			break
		}
	}
	return strings.TrimSpace(b.String())
}
