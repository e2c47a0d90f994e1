package kubeconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRedactArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want []string
	}{
		{"flag=value", []string{"get-token", "--oidc-client-secret=s3", "--password=pw", "--client-secret=c"},
			[]string{"get-token", "--oidc-client-secret=[redacted]", "--password=[redacted]", "--client-secret=[redacted]"}},
		{"flag value", []string{"get-token", "--oidc-client-secret", "s3", "--password", "pw", "--oidc-issuer-url", "https://i"},
			[]string{"get-token", "--oidc-client-secret", "[redacted]", "--password", "[redacted]", "--oidc-issuer-url", "https://i"}},
		{"header: the name stays", []string{"--oidc-request-header=X-Key=k", "--oidc-request-header", "X-Other=o"},
			[]string{"--oidc-request-header=X-Key=[redacted]", "--oidc-request-header", "X-Other=[redacted]"}},
		{"a secret flag last has no value", []string{"--password"}, []string{"--password"}},
		{"look-alikes are not secrets", []string{"--password-command=pass show k8s", "--oidc-client-secretive", "x", "--username", "alice"},
			[]string{"--password-command=pass show k8s", "--oidc-client-secretive", "x", "--username", "alice"}},
		{"a value that looks like a flag is still a value", []string{"--password", "--oidc-client-secret", "after"},
			[]string{"--password", "[redacted]", "after"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]string(nil), tc.in...)
			if diff := cmp.Diff(tc.want, RedactArgs(in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if !cmp.Equal(in, tc.in) {
				t.Error("RedactArgs changed its argument")
			}
		})
	}
}

// The diff redacts every secret of a kubeconfig: exec arguments in both
// forms, auth-provider secrets and tokens, static tokens, secret env values.
func TestDiffRedactsEverySecret(t *testing.T) {
	const doc = `apiVersion: v1
kind: Config
users:
- name: two-args
  user:
    exec:
      command: kubectl
      args: [oidc-login, get-token, --oidc-issuer-url=https://i, --oidc-client-secret, SECRET-two, --password, SECRET-pw2, --oidc-request-header, X-Key=SECRET-h2]
- name: one-arg
  user:
    exec:
      command: kubelogin
      args: [get-token, --oidc-client-secret=SECRET-one, --password=SECRET-pw1, --oidc-request-header=X-Key=SECRET-h1]
      env: [{name: MY_TOKEN, value: SECRET-env}, {name: KUBELOGIN_OIDC_CLIENT_ASSERTION_ENV, value: SA_TOKEN_VAR}]
- name: legacy
  user:
    auth-provider:
      name: oidc
      config: {idp-issuer-url: "https://i", client-id: c, client-secret: SECRET-ap, id-token: SECRET-id, refresh-token: SECRET-rt}
- name: static
  user: {token: SECRET-static, client-key-data: SECRET-key}
`
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	// Change every user, so that every line is in the diff.
	for _, name := range f.UserNames() {
		f.PatchExec(name, map[string]any{"interactiveMode": "IfAvailable"})
	}
	f.SetContext("c", "prod", "two-args")
	d, err := f.Diff()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(d, "SECRET-") {
		t.Errorf("the diff shows a secret:\n%s", d)
	}
	// The whole document as the diff sees it.
	b, err := f.encode(redacted(f.doc))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "SECRET-") {
		t.Errorf("the redacted document shows a secret:\n%s", b)
	}
	for _, want := range []string{"- --oidc-client-secret\n", "- '[redacted]'", "X-Key=[redacted]", "SA_TOKEN_VAR", "client-id: c"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the redacted document lacks %q:\n%s", want, b)
		}
	}
}

func TestResolveExecCommand(t *testing.T) {
	dir := t.TempDir()
	withPlugin, withoutPlugin := filepath.Join(dir, "with"), filepath.Join(dir, "without")
	bin := filepath.Join(dir, "opt", "kubelogin-1.2.3")
	for _, d := range []string{withPlugin, withoutPlugin, filepath.Dir(bin)} {
		os.MkdirAll(d, 0o755)
	}
	os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755)
	os.Symlink(bin, filepath.Join(withPlugin, PluginName))
	// Not executable: kubectl would not run it.
	os.WriteFile(filepath.Join(withoutPlugin, PluginName), nil, 0o644)
	link := filepath.Join(dir, "link-to-kubelogin")
	os.Symlink(bin, link)
	self := func() (string, error) { return link, nil }
	path := func(p string) func(string) string {
		return func(k string) string {
			if k == "PATH" {
				return p
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name, form, path string
		want             string
		missing          bool
	}{
		{"auto, plugin on PATH", "auto", withPlugin, "kubectl", false},
		{"auto (empty), plugin on PATH", "", withoutPlugin + string(os.PathListSeparator) + withPlugin, "kubectl", false},
		{"auto, no plugin: the real file", "auto", withoutPlugin, bin, true},
		{"auto, empty PATH", "auto", "", bin, true},
		{"kubectl-plugin without the plugin says so", "kubectl-plugin", withoutPlugin, "kubectl", true},
		{"kubectl-plugin", "kubectl-plugin", withPlugin, "kubectl", false},
		{"direct even with the plugin", "direct", withPlugin, bin, false},
		{"direct: the PATH entry of the same file", "direct", filepath.Dir(bin), bin, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveExecCommand(tc.form, path(tc.path), self)
			if err != nil {
				t.Fatal(err)
			}
			if want := (ExecCommand{Command: tc.want, PluginMissing: tc.missing}); got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
	if _, err := ResolveExecCommand("plugin", path(""), self); err == nil || err.Error() != "--exec-form=plugin is not one of auto, kubectl-plugin, direct" {
		t.Errorf("err = %v", err)
	}
}

// A package manager's link on PATH is kept: the file it points at changes
// with every upgrade.
func TestResolveExecCommandKeepsThePathLink(t *testing.T) {
	dir := t.TempDir()
	cellar := filepath.Join(dir, "Cellar", "kubelogin", "1.2.3", "kubelogin")
	binDir := filepath.Join(dir, "bin")
	os.MkdirAll(filepath.Dir(cellar), 0o755)
	os.MkdirAll(binDir, 0o755)
	os.WriteFile(cellar, []byte("#!/bin/sh\n"), 0o755)
	os.Symlink(cellar, filepath.Join(binDir, "kubelogin"))
	got, err := ResolveExecCommand("direct", func(k string) string {
		if k == "PATH" {
			return binDir
		}
		return ""
	}, func() (string, error) { return cellar, nil })
	if err != nil || got.Command != filepath.Join(binDir, "kubelogin") {
		t.Errorf("got %+v, %v; want the link on PATH", got, err)
	}
}
