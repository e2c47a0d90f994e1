//go:build linux

package system

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeXDGOpen puts an xdg-open on PATH that records its arguments and where
// its stdout and stderr point, then exits with code.
func fakeXDGOpen(t *testing.T, code string) (record string) {
	t.Helper()
	if realHostEnv("linux", os.Getenv).isWSL() {
		t.Skip("under WSL the default browser is the Windows one")
	}
	dir := t.TempDir()
	record = filepath.Join(dir, "record")
	script := "#!/bin/sh\n" +
		`out=$(readlink /proc/$$/fd/1) err=$(readlink /proc/$$/fd/2)` + "\n" +
		`printf 'args %s\nstdout %s\nstderr %s\n' "$*" "$out" "$err" >` + record + ".tmp\n" +
		"mv " + record + ".tmp " + record + "\nexit " + code + "\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":/usr/bin:/bin")
	return record
}

func waitForFile(t *testing.T, path string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil {
			return string(b)
		}
	}
	t.Fatalf("%s never appeared", path)
	return ""
}

// TestLauncherOpensTheDefaultBrowser: without --browser-command the URL goes
// to xdg-open, which holds neither our stdout (kubectl reads it to EOF) nor
// our stderr, and Open returns without waiting for it.
func TestLauncherOpensTheDefaultBrowser(t *testing.T) {
	record := fakeXDGOpen(t, "0")
	failed := make(chan error, 1)
	const url = "http://localhost:8000/?state=s&x=1"
	if err := (Launcher{}).Open(url, "", func(err error) { failed <- err }); err != nil {
		t.Fatal(err)
	}
	got := waitForFile(t, record)
	if !strings.Contains(got, "args "+url+"\n") {
		t.Errorf("xdg-open got %q, want the URL as its one argument", got)
	}
	if !strings.Contains(got, "stdout /dev/null\n") || !strings.Contains(got, "stderr /dev/null\n") {
		t.Errorf("the launcher inherited our streams:\n%s", got)
	}
	select {
	case err := <-failed:
		t.Errorf("a launcher that succeeded reported %v", err)
	case <-time.After(200 * time.Millisecond):
	}
}

// TestLauncherReportsAFailedDefaultBrowser: a launcher that fails later is
// reported through failed, so that the login can say the browser did not open.
func TestLauncherReportsAFailedDefaultBrowser(t *testing.T) {
	fakeXDGOpen(t, "3")
	failed := make(chan error, 1)
	if err := (Launcher{}).Open("http://localhost:8000/", "", func(err error) { failed <- err }); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-failed:
		if err == nil {
			t.Error("failed(nil)")
		}
	case <-time.After(10 * time.Second):
		t.Error("a failing xdg-open was never reported")
	}
}
