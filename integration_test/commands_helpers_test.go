package integration_test

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// update rewrites the golden files of testdata/ (go test -run X ./integration_test -update).
var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

// shell is a user's shell for the commands people run by hand (setup,
// status, clean, logout, convert-kubeconfig, the standalone mode): a fixed
// HOME, a KUBECONFIG, no KUBERNETES_EXEC_INFO, and the scripted browser.
type shell struct {
	*env
	home       string
	kubeconfig string
	extraEnv   []string
}

func newShell(t *testing.T, cfg oidcfake.Config) *shell {
	t.Helper()
	e := newEnv(t, cfg)
	e.execInfo = ""
	home := t.TempDir()
	return &shell{env: e, home: home, kubeconfig: filepath.Join(home, ".kube", "config")}
}

// kubelogin runs the plugin with args as typed in the shell: its HOME and
// kubeconfig, no KUBERNETES_EXEC_INFO, no KUBECACHEDIR.
func (s *shell) kubelogin(args ...string) result {
	s.t.Helper()
	noExecInfo := ""
	return s.runWith(runOpts{
		env:      append([]string{"HOME=" + s.home, "KUBECONFIG=" + s.kubeconfig}, s.extraEnv...),
		unset:    []string{"KUBECONFIG", "KUBECACHEDIR"},
		execInfo: &noExecInfo,
	}, args...)
}

// loginFlags are get-token's flags for the provider, without "get-token".
func (s *shell) loginFlags(extra ...string) []string {
	return s.args(extra...)[1:]
}

// cmdFlags are the flags of loginFlags that are not about logging in: the
// cache directory (for status and clean).
func (s *shell) cacheFlags() []string {
	return []string{"--token-cache-dir=" + s.cacheDir}
}

func mustRun(t *testing.T, r result) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("kubelogin exited %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

// writeFile writes content to path, creating its directory.
func writeText(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// loadKubeconfig loads path with client-go, as kubectl does.
func loadKubeconfig(t *testing.T, path string) *clientcmdapi.Config {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatalf("client-go cannot load %s: %v\n%s", path, err, readText(t, path))
	}
	return cfg
}

// backups returns the backup files kept beside path.
func backups(path string) []string {
	b, _ := filepath.Glob(path + ".kubelogin-backup-*")
	return b
}

// golden compares got with testdata/name, or rewrites it with -update.
func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		writeText(t, path, got)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// normalise replaces what changes from run to run (the provider's address,
// temporary paths, times and hashes in claims) by stable names.
func normalise(s string, replacements ...string) string {
	s = strings.NewReplacer(replacements...).Replace(s)
	for _, re := range []struct{ re, with string }{
		{`"(exp|iat|auth_time)": [0-9]+`, `"$1": 0`},
		{`"(at_hash|nonce)": "[^"]*"`, `"$1": "…"`},
		{`kubelogin-backup-[0-9-]+`, `kubelogin-backup-DATE`},
	} {
		s = regexp.MustCompile(re.re).ReplaceAllString(s, re.with)
	}
	return s
}

// kubectlBinary returns a kubectl of the given version ("1.33") from beside
// the kubectl dispatcher on PATH, or skips.
func kubectlBinary(t *testing.T, version string) string {
	t.Helper()
	p, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("no kubectl on PATH")
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	bin := filepath.Join(filepath.Dir(p), "kubectl."+version)
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("no kubectl %s beside %s", version, p)
	}
	return bin
}
