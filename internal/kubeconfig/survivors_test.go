package kubeconfig

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// These tests kill mutants that survived make mutation (docs/security.md).

// TestGetTokenArgsCarryEveryAuthProviderSetting: converting an auth-provider
// keeps its client secret and CA, and adds no empty flag for what it lacks.
func TestGetTokenArgsCarryEveryAuthProviderSetting(t *testing.T) {
	full := AuthProvider{IssuerURL: "https://i", ClientID: "c", ClientSecret: "s", CAFile: "/ca.crt", CAData: "Q0E=",
		ExtraScopes: []string{"email", "groups"}}
	want := []string{"--oidc-issuer-url=https://i", "--oidc-client-id=c", "--oidc-client-secret=s",
		"--oidc-extra-scope=email", "--oidc-extra-scope=groups", "--certificate-authority=/ca.crt", "--certificate-authority-data=Q0E="}
	if got := full.GetTokenArgs(); !slices.Equal(got, want) {
		t.Errorf("GetTokenArgs = %q\nwant %q", got, want)
	}
	bare := AuthProvider{IssuerURL: "https://i", ClientID: "c"}
	if got := bare.GetTokenArgs(); !slices.Equal(got, []string{"--oidc-issuer-url=https://i", "--oidc-client-id=c"}) {
		t.Errorf("GetTokenArgs of a bare auth-provider = %q", got)
	}
}

// TestFilesFallsBackToTheHomeConfig: an empty or separator-only KUBECONFIG
// means ~/.kube/config, as for kubectl.
func TestFilesFallsBackToTheHomeConfig(t *testing.T) {
	for _, kubeconfig := range []string{"", string(filepath.ListSeparator)} {
		env := map[string]string{"KUBECONFIG": kubeconfig, "HOME": "/home/u"}
		got := Files("", func(k string) string { return env[k] }, nil)
		if !slices.Equal(got, []string{filepath.Join("/home/u", ".kube", "config")}) {
			t.Errorf("KUBECONFIG=%q: Files = %q, want ~/.kube/config", kubeconfig, got)
		}
	}
	// $HOME first; the OS's home directory only without it.
	home := func() (string, error) { return "/os/home", nil }
	if got := Files("", func(k string) string { return map[string]string{"HOME": "/home/u"}[k] }, home); !slices.Equal(got, []string{filepath.Join("/home/u", ".kube", "config")}) {
		t.Errorf("with HOME: Files = %q", got)
	}
	if got := Files("", func(string) string { return "" }, home); !slices.Equal(got, []string{filepath.Join("/os/home", ".kube", "config")}) {
		t.Errorf("without HOME: Files = %q, want the OS's home directory", got)
	}
	env := map[string]string{"KUBECONFIG": "/a" + string(filepath.ListSeparator) + "/b" + string(filepath.ListSeparator) + "/a"}
	if got := Files("", func(k string) string { return env[k] }, nil); !slices.Equal(got, []string{"/a", "/b"}) {
		t.Errorf("Files = %q, want /a /b", got)
	}
}

// TestUserNamesAndPatchExec: the users in file order, and an exec section
// patched field by field, the rest kept.
func TestUserNamesAndPatchExec(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	content := "users:\n- name: b\n  user: {exec: {command: kubelogin, args: [get-token], apiVersion: client.authentication.k8s.io/v1}}\n- name: a\n  user: {token: x}\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.UserNames(); !slices.Equal(got, []string{"b", "a"}) {
		t.Errorf("UserNames = %q, want b a", got)
	}
	f.PatchExec("b", map[string]any{"interactiveMode": "IfAvailable", "args": []string{"get-token", "--x"}})
	u, ok := f.User("b")
	if !ok || u.Exec == nil {
		t.Fatal("user b lost its exec section")
	}
	if u.Exec.InteractiveMode != "IfAvailable" || !slices.Equal(u.Exec.Args, []string{"get-token", "--x"}) ||
		u.Exec.Command != "kubelogin" || u.Exec.APIVersion != "client.authentication.k8s.io/v1" {
		t.Errorf("patched exec = %+v", *u.Exec)
	}
}
