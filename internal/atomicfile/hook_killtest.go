//go:build killtest

package atomicfile

import (
	"os"
	"path/filepath"
	"time"
)

// Only in binaries built with -tags killtest (integration_test's SIGKILL
// soak): when KUBELOGIN_KILLTEST_PAUSE names the base name of the file being
// replaced, Write announces the temporary file, written and fsynced but not
// yet renamed, by appending its path and a newline to the file named by
// KUBELOGIN_KILLTEST_ANNOUNCE, then pauses for a minute so that the test can
// kill the process between write and rename.
func beforeRename(tmp, path string) {
	if name := os.Getenv("KUBELOGIN_KILLTEST_PAUSE"); name == "" || name != filepath.Base(path) {
		return
	}
	if f, err := os.OpenFile(os.Getenv("KUBELOGIN_KILLTEST_ANNOUNCE"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
		f.WriteString(tmp + "\n")
		f.Close()
	}
	time.Sleep(time.Minute)
}
