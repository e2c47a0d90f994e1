package system

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
)

// Under WSL (Windows Subsystem for Linux) there is often no xdg-open and no
// Linux browser, while the user's Windows browser can reach the loopback
// callback (WSL forwards localhost). So on WSL the URL goes to Windows.
// int128/kubelogin's users asked for this: its #535 and PR #1611.

// hostEnv is what the browser choice reads from the machine; tests give a
// fake one.
type hostEnv struct {
	goos     string
	getenv   func(string) string
	readFile func(string) ([]byte, error)
	exists   func(string) bool
	lookPath func(string) (string, error)
}

func realHostEnv(goos string, getenv func(string) string) hostEnv {
	return hostEnv{goos: goos, getenv: getenv, readFile: os.ReadFile, lookPath: exec.LookPath,
		exists: func(p string) bool { _, err := os.Stat(p); return err == nil }}
}

// isWSL reports whether this is Linux under WSL 1 or 2: the interop entry
// that runs Windows programs, the variable WSL sets in every session, or the
// kernel's version string ("…-microsoft-standard-WSL2", WSL 1's "Microsoft").
func (e hostEnv) isWSL() bool {
	if e.goos != "linux" {
		return false
	}
	if e.exists("/proc/sys/fs/binfmt_misc/WSLInterop") {
		return true
	}
	if e.getenv("WSL_DISTRO_NAME") != "" {
		return true
	}
	v, err := e.readFile("/proc/version")
	return err == nil && bytes.Contains(bytes.ToLower(v), []byte("microsoft"))
}

// powerShellPaths is where Windows keeps powershell.exe, seen from WSL: used
// when the Windows directories are not on PATH (appendWindowsPath=false in
// /etc/wsl.conf).
var powerShellPaths = []string{
	"/mnt/c/Windows/System32/WindowsPowerShell/v1.0/powershell.exe",
}

// wslLauncher returns the command line that opens url in the Windows
// browser, or nil when WSL offers none (then the URL is printed).
//
//  1. wslview (wslu), made for this.
//  2. powershell.exe -NoProfile -NonInteractive -Command "Start-Process '<url>'".
//
// Not cmd.exe /c start "" URL: the URL carries '&', which cmd.exe takes as
// "run the next command" unless it is quoted or ^-escaped, and which of the
// two is right depends on how WSL's interop turns the argument list into a
// Windows command line (it adds double quotes only around arguments with
// spaces, and inside them a ^ stays in the URL). cmd.exe also expands
// %NAME% in what it runs, and a URL is full of %XX. A PowerShell string in
// single quotes has no such layer: nothing in it is special but the single
// quote itself, which is doubled. The URL must be printable ASCII without
// '"' (an authorization URL is: every parameter is percent-encoded), so no
// Unicode quote that PowerShell also accepts can end the string.
func (e hostEnv) wslLauncher(url string) []string {
	if !e.isWSL() {
		return nil
	}
	if p, err := e.lookPath("wslview"); err == nil {
		return []string{p, url}
	}
	if !plainURL(url) {
		return nil
	}
	script := "Start-Process '" + strings.ReplaceAll(url, "'", "''") + "'"
	if p, err := e.lookPath("powershell.exe"); err == nil {
		return []string{p, "-NoProfile", "-NonInteractive", "-Command", script}
	}
	for _, p := range powerShellPaths {
		if e.exists(p) {
			return []string{p, "-NoProfile", "-NonInteractive", "-Command", script}
		}
	}
	return nil
}

// plainURL reports whether url is an http(s) URL of printable ASCII without
// a double quote or backslash (which the Windows command line would read).
func plainURL(url string) bool {
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return false
	}
	for i := 0; i < len(url); i++ {
		if c := url[i]; c <= ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
