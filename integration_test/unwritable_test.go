package integration_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// TestUnwritableCacheDirectory: a cache directory the user cannot write to
// fails at once, naming the token cache, before any browser opens. Root
// ignores directory permissions (and CI runs as root), so as root the plugin
// runs as nobody (setpriv), in a directory tree nobody can traverse.
func TestUnwritableCacheDirectory(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	var prefix []string
	base := t.TempDir()
	if os.Geteuid() == 0 {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skip("root ignores directory permissions and setpriv (util-linux) is not installed")
		}
		prefix = []string{setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"}
		// nobody must reach the plugin, its cache directory and its home.
		base, err = os.MkdirTemp("", "kubelogin-it-nobody-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(base) })
		for _, dir := range []string{base, filepath.Dir(pluginBin)} {
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	home := filepath.Join(base, "home")
	e.cacheDir = filepath.Join(base, "cache")
	for _, dir := range []string{home, e.cacheDir} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if len(prefix) > 0 {
			if err := os.Chown(dir, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Chmod(e.cacheDir, 0o500); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	argv := append(prefix, append([]string{pluginBin}, e.args()...)...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = e.environ(runOpts{env: []string{"HOME=" + home}})
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run kubelogin: %v", err)
	}
	t.Logf("as %s: %s", map[bool]string{true: "nobody", false: "the test user"}[len(prefix) > 0], r.stderr)
	mustFail(t, r, "error: lock token cache "+e.cacheDir+"/", ".lock: permission denied (check the owner and permissions of "+e.cacheDir+", or set --token-cache-dir)")
	oneLine(t, r)
	if e.launches() != 0 {
		t.Error("a browser was opened although the token could not be kept")
	}
	if des, _ := os.ReadDir(e.cacheDir); len(des) != 0 {
		t.Errorf("%d files written into the read-only directory", len(des))
	}
}
