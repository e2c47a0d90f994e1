package kubeconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// A kubeconfig as kubectl writes it, with a field clientcmd does not know.
const existing = `apiVersion: v1
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
    client-key-data: c2VjcmV0LWtleQ==
    token: static-token-value
x-unknown-tool-field: kept
`

var now = time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)

func TestEditAddsUserAndContextKeepingEverythingElse(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	os.WriteFile(path, []byte(existing), 0o640)

	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	f.SetExec("oidc", Exec("kubectl", []string{"--oidc-issuer-url=https://issuer", "--oidc-client-id=kubelogin", "--oidc-client-secret=hunter2"}))
	f.SetContext("prod", "prod", "oidc")
	diff, err := f.Diff()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2", "static-token-value", "c2VjcmV0LWtleQ=="} {
		if strings.Contains(diff, secret) {
			t.Errorf("the diff shows a secret:\n%s", diff)
		}
	}
	if !strings.Contains(diff, "-    user: admin\n+    user: oidc\n") || !strings.Contains(diff, "+      - --oidc-client-secret=[redacted]") {
		t.Errorf("diff:\n%s", diff)
	}
	backup, err := f.Write(now)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(backup); string(b) != existing {
		t.Errorf("backup %s does not hold the previous file", backup)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %o, want the file's own 0640", fi.Mode().Perm())
	}

	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatalf("clientcmd cannot load the written file: %v", err)
	}
	want := &clientcmdapi.ExecConfig{
		Command:         "kubectl",
		Args:            []string{"oidc-login", "get-token", "--oidc-issuer-url=https://issuer", "--oidc-client-id=kubelogin", "--oidc-client-secret=hunter2"},
		APIVersion:      "client.authentication.k8s.io/v1",
		InteractiveMode: clientcmdapi.IfAvailableExecInteractiveMode,
	}
	if diff := cmp.Diff(want, cfg.AuthInfos["oidc"].Exec, cmpExec); diff != "" {
		t.Errorf("exec (-want +got):\n%s", diff)
	}
	if cfg.AuthInfos["admin"].Token != "static-token-value" || cfg.Contexts["prod"].Namespace != "team-a" || cfg.Contexts["prod"].AuthInfo != "oidc" {
		t.Errorf("other entries changed: %+v %+v", cfg.AuthInfos["admin"], cfg.Contexts["prod"])
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "x-unknown-tool-field: kept") {
		t.Error("a field unknown to kubelogin was dropped")
	}

	// The same edit again changes nothing and writes nothing.
	again, _ := Open(path)
	again.SetExec("oidc", Exec("kubectl", []string{"--oidc-issuer-url=https://issuer", "--oidc-client-id=kubelogin", "--oidc-client-secret=hunter2"}))
	again.SetContext("prod", "prod", "oidc")
	if changed, _ := again.Changed(); changed {
		t.Error("an identical edit counts as a change")
	}
	if b, err := again.Write(now); b != "" || err != nil {
		t.Errorf("Write of an unchanged file = %q, %v", b, err)
	}
	if backups, _ := filepath.Glob(path + ".kubelogin-backup-*"); len(backups) != 1 {
		t.Errorf("backups: %v", backups)
	}
}

var cmpExec = cmp.FilterPath(func(p cmp.Path) bool {
	return p.Last().String() == ".Config" || p.Last().String() == ".StdinUnavailable" || p.Last().String() == ".StdinUnavailableMessage"
}, cmp.Ignore())

func TestWriteNewFileAndSymlink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "config")
	f, _ := Open(path)
	f.SetExec("oidc", Exec("kubelogin", []string{"--oidc-issuer-url=https://i", "--oidc-client-id=c"}))
	if backup, err := f.Write(now); err != nil || backup != "" {
		t.Fatalf("Write = %q, %v", backup, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("new file mode %o", fi.Mode().Perm())
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.AuthInfos["oidc"].Exec.Args; got[0] != "get-token" {
		t.Errorf("args %v", got)
	}

	link := filepath.Join(dir, "link")
	os.Symlink(path, link)
	g, _ := Open(link)
	g.SetContext("c", "x", "oidc")
	if _, err := g.Write(now); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the symlink was replaced by a file")
	}
}

func TestSetFindsEntriesAsKubectlMerges(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("apiVersion: v1\nkind: Config\ncontexts:\n- name: c1\n  context: {cluster: x, user: u1}\n"), 0o600)
	os.WriteFile(b, []byte("apiVersion: v1\nkind: Config\ncurrent-context: c1\ncontexts:\n- name: c1\n  context: {cluster: y, user: u2}\nusers:\n- name: u1\n  user: {auth-provider: {name: oidc, config: {idp-issuer-url: https://i, client-id: c, extra-scopes: 'email, groups'}}}\n"), 0o600)
	files := Files("", func(k string) string {
		if k == "KUBECONFIG" {
			return a + string(os.PathListSeparator) + filepath.Join(dir, "missing") + string(os.PathListSeparator) + b
		}
		return ""
	}, nil)
	s, err := LoadSet(files)
	if err != nil {
		t.Fatal(err)
	}
	if s.CurrentContext() != "c1" {
		t.Errorf("current-context %q", s.CurrentContext())
	}
	if c, _ := s.Context("c1"); c.User != "u1" {
		t.Errorf("context c1 = %+v, want the first file's", c)
	}
	f, ok := s.UserFile("u1")
	if !ok || f.Path != b {
		t.Fatalf("user u1 found in %v", f)
	}
	u, _ := f.User("u1")
	ap, ok := u.OIDCAuthProvider()
	if !ok || ap.IssuerURL != "https://i" || !cmp.Equal(ap.ExtraScopes, []string{"email", "groups"}) {
		t.Errorf("auth-provider %+v", ap)
	}
}

func TestUnifiedDiff(t *testing.T) {
	for _, tc := range []struct {
		name, a, b, want string
	}{
		{"equal", "x\ny\n", "x\ny\n", ""},
		{"new file", "", "a\nb\n", "--- f\n+++ f\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{"one change in the middle keeps 3 lines of context",
			"1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
			"--- f\n+++ f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"},
		{"two distant changes make two hunks",
			"a\n1\n2\n3\n4\n5\n6\n7\n8\nb\n", "A\n1\n2\n3\n4\n5\n6\n7\n8\nB\n",
			"--- f\n+++ f\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n@@ -7,4 +7,4 @@\n 6\n 7\n 8\n-b\n+B\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, unifiedDiff(tc.a, tc.b, "f", "f")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestKubeloginArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		ex   ExecConfig
		want []string
		ok   bool
	}{
		{"krew plugin", ExecConfig{Command: "kubectl", Args: []string{"oidc-login", "get-token", "--oidc-issuer-url=https://i"}}, []string{"--oidc-issuer-url=https://i"}, true},
		{"binary path", ExecConfig{Command: "/usr/local/bin/kubelogin", Args: []string{"get-token", "--oidc-issuer-url", "https://i"}}, []string{"--oidc-issuer-url", "https://i"}, true},
		{"kubectl-oidc_login", ExecConfig{Command: `C:\bin\kubectl-oidc_login.exe`, Args: []string{"get-token", "--oidc-issuer-url=https://i"}}, []string{"--oidc-issuer-url=https://i"}, true},
		{"azure kubelogin", ExecConfig{Command: "kubelogin", Args: []string{"get-token", "--login", "devicecode", "--server-id", "x"}}, nil, false},
		{"aws", ExecConfig{Command: "aws", Args: []string{"eks", "get-token"}}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, got, ok := KubeloginArgs(&tc.ex)
			if ok != tc.ok || !cmp.Equal(got, tc.want) {
				t.Errorf("KubeloginArgs = %v, %v", got, ok)
			}
		})
	}
}
