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
	r := []string{s.provider.Issuer(), "ISSUER", self, "BROWSER", s.cacheDir, "CACHE", s.home, "HOME", "--listen-address=" + s.listen, "--listen-address=LISTEN"}
	if s.caFile != "" {
		r = append(r, s.caFile, "CA")
	}
	return r
}

// withPlugin puts kubectl-oidc_login (a link to the kubelogin under test) on
// the shell's PATH, as krew and Homebrew install it: "kubectl oidc-login"
// then finds kubelogin, and setup and convert-kubeconfig write that form.
func (s *shell) withPlugin() *shell {
	s.t.Helper()
	dir := s.t.TempDir()
	if err := os.Symlink(pluginBin, filepath.Join(dir, "kubectl-oidc_login")); err != nil {
		s.t.Fatal(err)
	}
	s.extraEnv = append(s.extraEnv, "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return s
}

// withoutPlugin makes sure no kubectl-oidc_login is on the shell's PATH.
func (s *shell) withoutPlugin() *shell {
	s.t.Helper()
	var keep []string
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(dir, "kubectl-oidc_login")); err != nil {
			keep = append(keep, dir)
		}
	}
	s.extraEnv = append(s.extraEnv, "PATH="+strings.Join(keep, string(os.PathListSeparator)))
	return s
}

func TestSetupPrintsClaimsBindingAndCommand(t *testing.T) {
	s := newShell(t, oidcfake.Config{TLS: true, ClientSecret: "client-secret-value", Groups: []string{"admins"}}).withPlugin()
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

// Without kubectl-oidc_login on PATH, "kubectl oidc-login" cannot find
// kubelogin (and the Google Cloud SDK's kubectl dispatcher then runs the
// plugin again and again): setup writes the direct form and says why in one
// line. --exec-form chooses explicitly.
func TestSetupExecForm(t *testing.T) {
	self, err := filepath.EvalSymlinks(pluginBin)
	if err != nil {
		t.Fatal(err)
	}
	note := `kubectl-oidc_login is not on PATH, so "kubectl oidc-login" would not find kubelogin: kubectl runs ` + self + ` directly (run setup with --exec-form=kubectl-plugin to write the kubectl form anyway).`
	for _, tc := range []struct {
		name        string
		plugin      bool
		args        []string
		wantCommand string
		wantNote    string
	}{
		{"auto without the plugin: direct", false, nil, self, note},
		{"auto with the plugin: kubectl", true, nil, "kubectl", ""},
		{"kubectl-plugin without the plugin: kubectl, with a warning", false, []string{"--exec-form=kubectl-plugin"}, "kubectl",
			"kubectl-oidc_login is not on PATH here: install it (or link it to kubelogin) wherever kubectl runs this kubeconfig, or run setup with --exec-form=direct."},
		{"direct with the plugin", true, []string{"--exec-form=direct"}, self, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newShell(t, oidcfake.Config{})
			if tc.plugin {
				s.withPlugin()
			} else {
				s.withoutPlugin()
			}
			written := filepath.Join(t.TempDir(), "config")
			r := mustRun(t, s.kubelogin(append(append([]string{"setup", "--write-kubeconfig", "--kubeconfig=" + written}, tc.args...), s.loginFlags()...)...))
			if tc.wantNote != "" && !strings.Contains(r.stdout, "\n"+tc.wantNote+"\n") {
				t.Errorf("setup does not say %q:\n%s", tc.wantNote, r.stdout)
			}
			if tc.wantNote == "" && strings.Contains(r.stdout, "not on PATH") {
				t.Errorf("setup warns although nothing is wrong:\n%s", r.stdout)
			}
			command := setCredentialsCommand(r.stdout)
			prefix := "--exec-command=kubectl --exec-arg=oidc-login --exec-arg=get-token --exec-arg=--oidc-issuer-url="
			if tc.wantCommand != "kubectl" {
				prefix = "--exec-command=" + tc.wantCommand + " --exec-arg=get-token --exec-arg=--oidc-issuer-url="
			}
			if !strings.Contains(command, prefix) {
				t.Errorf("the printed command lacks %q:\n%s", prefix, command)
			}
			ex := loadKubeconfig(t, written).AuthInfos["oidc"].Exec
			wantFirst := "oidc-login"
			if tc.wantCommand != "kubectl" {
				wantFirst = "get-token"
			}
			if ex.Command != tc.wantCommand || ex.Args[0] != wantFirst {
				t.Fatalf("written exec: command %s, args %v", ex.Command, ex.Args)
			}
			if tc.wantCommand != "kubectl" {
				// What kubectl runs works: the command with its arguments.
				s.execInfo = `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}`
				mustCredential(t, s.run(ex.Args...))
			}
		})
	}
	s := newShell(t, oidcfake.Config{})
	mustFail(t, s.kubelogin(append([]string{"setup", "--exec-form=plugin"}, s.loginFlags()...)...), "--exec-form=plugin is not one of auto, kubectl-plugin, direct")
	if s.launches() != 0 {
		t.Error("a bad --exec-form opened the browser")
	}
}

// kubectl 1.29 and older have no --exec-interactive-mode: the command with
// the v1beta1 apiVersion that setup suggests for them works.
func TestSetupCommandForOldKubectl(t *testing.T) {
	s := newShell(t, oidcfake.Config{}).withPlugin()
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
	s := newShell(t, oidcfake.Config{ClientSecret: "client-secret-value"}).withPlugin()
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
