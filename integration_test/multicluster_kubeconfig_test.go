package integration_test

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// twoClusters is a kubeconfig with clusters a and b and a static user.
const twoClusters = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster:
    server: https://a.example.com:6443
- name: b
  cluster:
    server: https://b.example.com:6443
    extensions:
    - name: example.com/other
      extension: {keep: me}
contexts:
- name: a-admin
  context: {cluster: a, user: admin}
current-context: a-admin
users:
- name: admin
  user: {token: static-token-value}
`

// crossClientScopes asks Dex (here the fake) for both clusters at the login.
const crossClientScopes = "--oidc-extra-scope=offline_access,audience:server:client_id:cluster-a,audience:server:client_id:cluster-b"

// execAudience is the audience of the cluster's exec extension as client-go
// loads it (a runtime.Unknown holding the extension's JSON), "" without one.
func execAudience(t *testing.T, c *clientcmdapi.Cluster) string {
	t.Helper()
	ext, ok := c.Extensions["client.authentication.k8s.io/exec"]
	if !ok {
		return ""
	}
	u, ok := ext.(*runtime.Unknown)
	if !ok {
		t.Fatalf("exec extension is a %T", ext)
	}
	var cfg struct {
		Audience string `json:"audience"`
	}
	if err := json.Unmarshal(u.Raw, &cfg); err != nil {
		t.Fatalf("exec extension %s: %v", u.Raw, err)
	}
	return cfg.Audience
}

// kubectlExecInfo is KUBERNETES_EXEC_INFO as kubectl sends it for a user with
// provideClusterInfo: spec.cluster.config is the exec extension's JSON.
func kubectlExecInfo(t *testing.T, c *clientcmdapi.Cluster) *string {
	t.Helper()
	var config json.RawMessage = []byte("null")
	if ext, ok := c.Extensions["client.authentication.k8s.io/exec"].(*runtime.Unknown); ok {
		config = ext.Raw
	}
	b, err := json.Marshal(map[string]any{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
		"spec": map[string]any{"interactive": false, "cluster": map[string]any{"server": c.Server, "config": config}}})
	if err != nil {
		t.Fatal(err)
	}
	return strPtr(string(b))
}

// setup --write-kubeconfig --cluster-audience: one user with
// provideClusterInfo, each cluster its audience (other extensions kept) and
// a context USER@CLUSTER; get-token as kubectl runs it for each context gets
// a token naming that cluster alone, with one login for both.
func TestSetupWritesOneUserForManyClusters(t *testing.T) {
	s := newShell(t, oidcfake.Config{})
	writeText(t, s.kubeconfig, twoClusters)
	args := append([]string{"setup", "--write-kubeconfig", "--cluster-audience=a=cluster-a", "--cluster-audience=b=cluster-b"},
		s.loginFlags(crossClientScopes)...)
	r := mustRun(t, s.kubelogin(args...))
	if !strings.Contains(r.stdout, "One user, a context per cluster: kubectl --context=oidc@a, --context=oidc@b") {
		t.Errorf("setup does not name the contexts:\n%s", r.stdout)
	}
	cfg := loadKubeconfig(t, s.kubeconfig)
	ex := cfg.AuthInfos["oidc"].Exec
	if ex == nil || !ex.ProvideClusterInfo {
		t.Fatalf("user oidc: exec %+v, want provideClusterInfo", ex)
	}
	for cluster, aud := range map[string]string{"a": "cluster-a", "b": "cluster-b"} {
		if got := execAudience(t, cfg.Clusters[cluster]); got != aud {
			t.Errorf("cluster %s: audience %q, want %q", cluster, got, aud)
		}
		if c := cfg.Contexts["oidc@"+cluster]; c == nil || c.Cluster != cluster || c.AuthInfo != "oidc" {
			t.Errorf("context oidc@%s = %+v", cluster, c)
		}
	}
	if _, ok := cfg.Clusters["b"].Extensions["example.com/other"]; !ok {
		t.Error("cluster b lost its other extension")
	}
	if cfg.AuthInfos["admin"].Token != "static-token-value" || cfg.CurrentContext != "a-admin" {
		t.Error("setup changed the admin user or the current context")
	}

	getToken := ex.Args
	if getToken[0] == "oidc-login" {
		getToken = getToken[1:]
	}
	before := s.launches()
	for cluster, aud := range map[string]string{"a": "cluster-a", "b": "cluster-b"} {
		c := mustCredential(t, s.runWith(runOpts{execInfo: kubectlExecInfo(t, cfg.Clusters[cluster])}, getToken...))
		if got := audiences(t, c.Status.Token); !slices.Contains(got, aud) || len(got) != 2 {
			t.Errorf("context oidc@%s: token aud %v, want [%s kubelogin]", cluster, got, aud)
		}
	}
	if n := s.launches() - before; n != 1 {
		t.Errorf("%d browser logins for two clusters, want 1", n)
	}

	// Again: nothing changes.
	r = mustRun(t, s.kubelogin(args...))
	if strings.Count(r.stdout, "nothing to write") != 1 || len(backups(s.kubeconfig)) != 1 {
		t.Errorf("a second setup changed the kubeconfig:\n%s", r.stdout)
	}
}

func TestSetupClusterAudienceErrors(t *testing.T) {
	s := newShell(t, oidcfake.Config{})
	writeText(t, s.kubeconfig, twoClusters)
	for _, tc := range []struct{ flag, want string }{
		{"--cluster-audience=a", `error: --cluster-audience=a: give CLUSTER=AUDIENCE (the kubeconfig cluster's name and the audience its API server accepts)`},
		{"--cluster-audience==aud", `error: --cluster-audience==aud: give CLUSTER=AUDIENCE`},
		{"--cluster-audience=c=cluster-c", `error: cluster "c" of --cluster-audience is not in the kubeconfig: add it first (kubectl config set-cluster c --server=URL), then run setup again`},
	} {
		r := s.kubelogin(append([]string{"setup", "--write-kubeconfig", tc.flag}, s.loginFlags()...)...)
		mustFail(t, r, tc.want)
	}
	r := s.kubelogin(append([]string{"setup", "--cluster-audience=a=x", "--cluster-audience=a=y"}, s.loginFlags()...)...)
	mustFail(t, r, `error: --cluster-audience names cluster "a" twice: give one audience per cluster`)
	r = s.kubelogin("convert-kubeconfig", "--cluster-audience=c=cluster-c")
	mustFail(t, r, `error: cluster "c" of --cluster-audience is not in the kubeconfig: add it first (kubectl config set-cluster c --server=URL)`)
	if readText(t, s.kubeconfig) != twoClusters || s.launches() != 0 {
		t.Error("a refused --cluster-audience changed the kubeconfig or logged in")
	}
}

// Without --write-kubeconfig, what setup prints works as printed with
// kubectl 1.33: set-credentials with --exec-provide-cluster-info, the
// set-context commands, and the YAML of each cluster's extension.
func TestSetupPrintsTheClusterAudiences(t *testing.T) {
	s := newShell(t, oidcfake.Config{}).withPlugin()
	r := mustRun(t, s.kubelogin(append([]string{"setup", "--cluster-audience=a=cluster-a", "--cluster-audience=b=cluster-b"}, s.loginFlags()...)...))
	for _, want := range []string{
		"\ta: --oidc-issuer-url=" + s.provider.Issuer() + " --oidc-client-id=cluster-a\n",
		"add --oidc-extra-scope=audience:server:client_id:cluster-a,audience:server:client_id:cluster-b.",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("setup did not print %q:\n%s", want, r.stdout)
		}
	}
	kubectl := kubectlBinary(t, "1.33")
	path := filepath.Join(t.TempDir(), "config")
	writeText(t, path, twoClusters)
	var commands []string
	commands = append(commands, setCredentialsCommand(r.stdout))
	for _, line := range strings.Split(r.stdout, "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "kubectl config set-context oidc@") {
			commands = append(commands, line)
		}
	}
	if len(commands) != 3 {
		t.Fatalf("commands %q, want set-credentials and two set-context", commands)
	}
	for _, command := range commands {
		command = strings.Replace(command, "kubectl config", kubectl+" --kubeconfig="+path+" config", 1)
		if out, err := exec.Command("sh", "-c", command).CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s\n%s", err, command, out)
		}
	}
	// The printed YAML, put under each cluster entry as it says.
	var snippet []struct {
		Name    string         `json:"name"`
		Cluster map[string]any `json:"cluster"`
	}
	if err := yaml.Unmarshal([]byte(printedBlock(r.stdout, "kubectl config cannot set a cluster's extensions")), &snippet); err != nil || len(snippet) != 2 {
		t.Fatalf("the printed YAML (%v): %d entries, want 2\n%s", err, len(snippet), r.stdout)
	}
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(readText(t, path)), &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range doc["clusters"].([]any) {
		entry := c.(map[string]any)
		for _, sn := range snippet {
			if sn.Name == entry["name"] {
				entry["cluster"].(map[string]any)["extensions"] = sn.Cluster["extensions"]
			}
		}
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	writeText(t, path, string(b))
	cfg := loadKubeconfig(t, path)
	if ex := cfg.AuthInfos["oidc"].Exec; ex == nil || !ex.ProvideClusterInfo || ex.InteractiveMode != "IfAvailable" {
		t.Errorf("user oidc: exec %+v, want provideClusterInfo and IfAvailable", ex)
	}
	for cluster, aud := range map[string]string{"a": "cluster-a", "b": "cluster-b"} {
		if got := execAudience(t, cfg.Clusters[cluster]); got != aud {
			t.Errorf("cluster %s: audience %q, want %q", cluster, got, aud)
		}
		if c := cfg.Contexts["oidc@"+cluster]; c == nil || c.Cluster != cluster || c.AuthInfo != "oidc" {
			t.Errorf("context oidc@%s = %+v", cluster, c)
		}
	}
}

// printedBlock returns the tab-indented lines after the line starting with
// intro, up to the next line that is not indented, without the tab.
func printedBlock(out, intro string) string {
	var b strings.Builder
	in, started := false, false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, intro):
			in = true
		case in && strings.HasPrefix(line, "\t"):
			started = true
			b.WriteString(strings.TrimPrefix(line, "\t") + "\n")
		case in && started:
			return b.String()
		}
	}
	return b.String()
}

// convert-kubeconfig --cluster-audience: each cluster gets its audience,
// the kubelogin user of their contexts provideClusterInfo; other users stay.
func TestConvertKubeconfigClusterAudiences(t *testing.T) {
	s := newShell(t, oidcfake.Config{}).withPlugin()
	original := strings.Replace(twoClusters, "contexts:\n", `contexts:
- name: a
  context: {cluster: a, user: oidc}
- name: b
  context: {cluster: b, user: oidc}
`, 1) + `- name: oidc
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: kubectl
      args: [oidc-login, get-token, --oidc-issuer-url=` + s.provider.Issuer() + `, --oidc-client-id=kubelogin]
      interactiveMode: IfAvailable
`
	writeText(t, s.kubeconfig, original)
	r := mustRun(t, s.kubelogin("convert-kubeconfig", "--cluster-audience=a=cluster-a", "--cluster-audience=b=cluster-b"))
	for _, want := range []string{
		s.kubeconfig + ": cluster a: audience cluster-a in its exec extension (client.authentication.k8s.io/exec)\n",
		s.kubeconfig + ": user oidc: provideClusterInfo true (kubectl passes it the audience of cluster a, b)\n",
		s.kubeconfig + ": user admin: ",
	} {
		if want == s.kubeconfig+": user admin: " {
			if strings.Contains(r.stdout, want) {
				t.Errorf("convert-kubeconfig touched user admin:\n%s", r.stdout)
			}
			continue
		}
		if !strings.Contains(r.stdout, want) {
			t.Errorf("convert-kubeconfig did not say %q:\n%s", want, r.stdout)
		}
	}
	cfg := loadKubeconfig(t, s.kubeconfig)
	if ex := cfg.AuthInfos["oidc"].Exec; !ex.ProvideClusterInfo || ex.InteractiveMode != "IfAvailable" || ex.Command != "kubectl" {
		t.Errorf("user oidc: exec %+v", ex)
	}
	for cluster, aud := range map[string]string{"a": "cluster-a", "b": "cluster-b"} {
		if got := execAudience(t, cfg.Clusters[cluster]); got != aud {
			t.Errorf("cluster %s: audience %q, want %q", cluster, got, aud)
		}
	}
	if cfg.AuthInfos["admin"].Token != "static-token-value" || cfg.AuthInfos["admin"].Exec != nil {
		t.Error("convert-kubeconfig changed the admin user")
	}
	// Again: nothing to do, no second backup.
	r = mustRun(t, s.kubelogin("convert-kubeconfig", "--cluster-audience=a=cluster-a", "--cluster-audience=b=cluster-b"))
	if !strings.Contains(r.stdout, "Nothing to convert.") || !strings.Contains(r.stdout, "audience cluster-b already in its exec extension") || len(backups(s.kubeconfig)) != 1 {
		t.Errorf("a second convert changed the kubeconfig:\n%s", r.stdout)
	}
}
