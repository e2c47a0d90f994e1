package integration_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// mixedKubeconfig has every kind of user convert-kubeconfig meets.
func mixedKubeconfig(issuer string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: "https://127.0.0.1:6443"}
contexts:
- name: legacy
  context: {cluster: prod, user: legacy}
- name: krew
  context: {cluster: prod, user: krew}
current-context: legacy
users:
- name: legacy
  user:
    auth-provider:
      name: oidc
      config:
        idp-issuer-url: %[1]s
        client-id: kubelogin
        client-secret: legacy-secret-value
        extra-scopes: email,groups
        id-token: old-id-token-value
        refresh-token: old-refresh-token-value
- name: krew
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: kubectl
      args: [oidc-login, get-token, --oidc-issuer-url=%[1]s, --oidc-client-id=kubelogin, --listen-port=8000, --listen-port=18000]
- name: password
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: kubelogin
      args: [get-token, --oidc-issuer-url=%[1]s, --oidc-client-id=kubelogin, --username=alice]
      interactiveMode: Never
- name: current
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: kubelogin
      args: [get-token, --oidc-issuer-url=%[1]s, --oidc-client-id=kubelogin]
      interactiveMode: IfAvailable
- name: aws
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, prod]
- name: static
  user: {token: static-token-value}
`, issuer)
}

func TestConvertKubeconfig(t *testing.T) {
	s := newShell(t, oidcfake.Config{ClientSecret: "legacy-secret-value"}).withPlugin()
	original := mixedKubeconfig(s.provider.Issuer())
	writeText(t, s.kubeconfig, original)

	r := mustRun(t, s.kubelogin("convert-kubeconfig", "--dry-run"))
	if readText(t, s.kubeconfig) != original || len(backups(s.kubeconfig)) != 0 {
		t.Fatal("--dry-run wrote the kubeconfig")
	}
	for _, secret := range []string{"legacy-secret-value", "old-id-token-value", "old-refresh-token-value", "static-token-value"} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("convert-kubeconfig printed a secret (%s)", secret)
		}
	}
	goldenFile(t, "convert-dry-run.txt", normalise(r.stdout, s.replacements()...))

	r = mustRun(t, s.kubelogin("convert-kubeconfig"))
	if b := backups(s.kubeconfig); len(b) != 1 || readText(t, b[0]) != original {
		t.Fatalf("backups %v: want one holding the previous file", b)
	}
	goldenFile(t, "convert-written.yaml", normalise(readText(t, s.kubeconfig), s.replacements()...))

	cfg := loadKubeconfig(t, s.kubeconfig)
	issuer := "--oidc-issuer-url=" + s.provider.Issuer()
	for _, tc := range []struct {
		user string
		want *clientcmdapi.ExecConfig
	}{
		{"legacy", &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1", Command: "kubectl", InteractiveMode: "IfAvailable",
			Args: []string{"oidc-login", "get-token", issuer, "--oidc-client-id=kubelogin", "--oidc-client-secret=legacy-secret-value", "--oidc-extra-scope=email", "--oidc-extra-scope=groups"}}},
		{"krew", &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1", Command: "kubectl", InteractiveMode: "IfAvailable",
			Args: []string{"oidc-login", "get-token", issuer, "--oidc-client-id=kubelogin", "--listen-address=127.0.0.1:8000", "--listen-address=127.0.0.1:18000"}}},
		{"password", &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1beta1", Command: "kubelogin", InteractiveMode: "IfAvailable",
			Args: []string{"get-token", issuer, "--oidc-client-id=kubelogin", "--username=alice"}}},
		{"current", &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1", Command: "kubelogin", InteractiveMode: "IfAvailable",
			Args: []string{"get-token", issuer, "--oidc-client-id=kubelogin"}}},
		{"aws", &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1beta1", Command: "aws", InteractiveMode: "IfAvailable",
			Args: []string{"eks", "get-token", "--cluster-name", "prod"}}},
	} {
		u := cfg.AuthInfos[tc.user]
		if u.AuthProvider != nil {
			t.Errorf("user %s still has an auth-provider", tc.user)
		}
		if diff := cmp.Diff(tc.want, u.Exec, cmpExecConfig); diff != "" {
			t.Errorf("user %s (-want +got):\n%s", tc.user, diff)
		}
	}
	if cfg.AuthInfos["static"].Token != "static-token-value" || cfg.CurrentContext != "legacy" {
		t.Error("the rest of the kubeconfig changed")
	}

	// The converted user works: run its get-token arguments.
	s.execInfo = `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}`
	args := slices.Clone(cfg.AuthInfos["legacy"].Exec.Args[1:])
	self := s.loginFlags()
	args = append(args, self[len(self)-4:]...) // cache dir, listen address, browser, timeout
	mustCredential(t, s.run(args...))
	if form, _ := s.provider.LastTokenRequest(); form.Get("grant_type") != "authorization_code" {
		t.Errorf("last token request %v", form)
	}

	r = mustRun(t, s.kubelogin("convert-kubeconfig"))
	if !strings.Contains(r.stdout, "Nothing to convert.") || len(backups(s.kubeconfig)) != 1 {
		t.Errorf("a second conversion changed something:\n%s", r.stdout)
	}
}

var cmpExecConfig = cmp.FilterPath(func(p cmp.Path) bool {
	switch p.Last().String() {
	case ".Config", ".StdinUnavailable", ".StdinUnavailableMessage", ".Env":
		return true
	}
	return false
}, cmp.Ignore())

func TestConvertKubeconfigOneContext(t *testing.T) {
	s := newShell(t, oidcfake.Config{}).withPlugin()
	original := mixedKubeconfig(s.provider.Issuer())
	writeText(t, s.kubeconfig, original)
	r := mustRun(t, s.kubelogin("convert-kubeconfig", "--context=krew", "--exec-command=/usr/local/bin/kubelogin"))
	if !strings.Contains(r.stdout, "user krew: obsolete --listen-port → --listen-address") || strings.Contains(r.stdout, "user legacy") {
		t.Errorf("convert --context=krew says:\n%s", r.stdout)
	}
	cfg := loadKubeconfig(t, s.kubeconfig)
	if cfg.AuthInfos["legacy"].AuthProvider == nil {
		t.Error("a user outside the context was converted")
	}
	mustFail(t, s.kubelogin("convert-kubeconfig", "--context=nope"), `context "nope" is not in the kubeconfig`)

	// --exec-command names the binary for auth-provider users.
	mustRun(t, s.kubelogin("convert-kubeconfig", "--context=legacy", "--exec-command=/usr/local/bin/kubelogin"))
	ex := loadKubeconfig(t, s.kubeconfig).AuthInfos["legacy"].Exec
	if ex.Command != "/usr/local/bin/kubelogin" || ex.Args[0] != "get-token" {
		t.Errorf("exec %+v", ex)
	}
}

// Without kubectl-oidc_login on PATH, converted users run this kubelogin by
// its path, users that run "kubectl oidc-login" are moved to it, and the
// output says why once; --exec-form=kubectl-plugin keeps the kubectl form.
func TestConvertKubeconfigWithoutThePlugin(t *testing.T) {
	self, err := filepath.EvalSymlinks(pluginBin)
	if err != nil {
		t.Fatal(err)
	}
	s := newShell(t, oidcfake.Config{}).withoutPlugin()
	original := mixedKubeconfig(s.provider.Issuer())
	writeText(t, s.kubeconfig, original)
	r := mustRun(t, s.kubelogin("convert-kubeconfig"))
	note := `kubectl-oidc_login is not on PATH, so "kubectl oidc-login" would not find kubelogin: kubectl runs ` + self + ` directly (run convert-kubeconfig with --exec-form=kubectl-plugin to write the kubectl form anyway).`
	if !strings.HasPrefix(r.stdout, note+"\n") || strings.Count(r.stdout, note) != 1 {
		t.Errorf("convert-kubeconfig does not say why once, first:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "user krew: exec kubectl oidc-login → exec "+self+" (kubectl-oidc_login is not on PATH)") {
		t.Errorf("the krew user's move is not reported:\n%s", r.stdout)
	}
	cfg := loadKubeconfig(t, s.kubeconfig)
	issuer := "--oidc-issuer-url=" + s.provider.Issuer()
	for user, want := range map[string][]string{
		"legacy": {"get-token", issuer, "--oidc-client-id=kubelogin", "--oidc-client-secret=legacy-secret-value", "--oidc-extra-scope=email", "--oidc-extra-scope=groups"},
		"krew":   {"get-token", issuer, "--oidc-client-id=kubelogin", "--listen-address=127.0.0.1:8000", "--listen-address=127.0.0.1:18000"},
	} {
		ex := cfg.AuthInfos[user].Exec
		if ex.Command != self || !slices.Equal(ex.Args, want) {
			t.Errorf("user %s: command %s, args %v", user, ex.Command, ex.Args)
		}
	}
	if ex := cfg.AuthInfos["current"].Exec; ex.Command != "kubelogin" {
		t.Errorf("a user that runs kubelogin directly was moved: %s", ex.Command)
	}

	// Explicitly the kubectl form: written, with a warning.
	writeText(t, s.kubeconfig, original)
	r = mustRun(t, s.kubelogin("convert-kubeconfig", "--exec-form=kubectl-plugin"))
	if !strings.Contains(r.stdout, "kubectl-oidc_login is not on PATH here") {
		t.Errorf("no warning:\n%s", r.stdout)
	}
	cfg = loadKubeconfig(t, s.kubeconfig)
	if cfg.AuthInfos["legacy"].Exec.Command != "kubectl" || cfg.AuthInfos["krew"].Exec.Command != "kubectl" {
		t.Errorf("--exec-form=kubectl-plugin: legacy %v, krew %v", cfg.AuthInfos["legacy"].Exec, cfg.AuthInfos["krew"].Exec)
	}
	// Explicitly the direct form, the plugin on PATH: every kubelogin user moves.
	writeText(t, s.kubeconfig, original)
	s.withPlugin()
	r = mustRun(t, s.kubelogin("convert-kubeconfig", "--exec-form=direct"))
	if strings.Contains(r.stdout, "not on PATH") || !strings.Contains(r.stdout, "user krew: exec kubectl oidc-login → exec "+self+"\n") {
		t.Errorf("convert-kubeconfig --exec-form=direct says:\n%s", r.stdout)
	}
	cfg = loadKubeconfig(t, s.kubeconfig)
	if cfg.AuthInfos["legacy"].Exec.Command != self || cfg.AuthInfos["krew"].Exec.Command != self {
		t.Errorf("--exec-form=direct: legacy %v, krew %v", cfg.AuthInfos["legacy"].Exec, cfg.AuthInfos["krew"].Exec)
	}
	mustFail(t, s.kubelogin("convert-kubeconfig", "--exec-form=direct", "--exec-command=/x/kubelogin"), "convert-kubeconfig takes --exec-command or --exec-form, not both: give one of them")
}
