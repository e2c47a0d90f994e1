package system

import (
	"os"
	"os/exec"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeHost is a machine with the given environment variables, files (path →
// content) and programs on PATH (name → path).
func fakeHost(goos string, env, files, path map[string]string) hostEnv {
	return hostEnv{
		goos:   goos,
		getenv: func(k string) string { return env[k] },
		readFile: func(p string) ([]byte, error) {
			if c, ok := files[p]; ok {
				return []byte(c), nil
			}
			return nil, os.ErrNotExist
		},
		exists: func(p string) bool { _, ok := files[p]; return ok },
		lookPath: func(name string) (string, error) {
			if p, ok := path[name]; ok {
				return p, nil
			}
			return "", exec.ErrNotFound
		},
	}
}

const (
	wsl2Version  = "Linux version 5.15.167.4-microsoft-standard-WSL2 (root@f9c826d3017f) (gcc (GCC) 11.2.0) #1 SMP"
	wsl1Version  = "Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0 (GCC) ) #1237-Microsoft"
	linuxVersion = "Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP"
	interop      = "/proc/sys/fs/binfmt_misc/WSLInterop"
)

func TestIsWSL(t *testing.T) {
	for _, tc := range []struct {
		name  string
		goos  string
		env   map[string]string
		files map[string]string
		want  bool
	}{
		{"plain Linux", "linux", nil, map[string]string{"/proc/version": linuxVersion}, false},
		{"no /proc", "linux", nil, nil, false},
		{"interop entry", "linux", nil, map[string]string{interop: "enabled\ninterpreter /init\n"}, true},
		{"WSL_DISTRO_NAME", "linux", map[string]string{"WSL_DISTRO_NAME": "Ubuntu"}, nil, true},
		{"WSL 2 kernel", "linux", nil, map[string]string{"/proc/version": wsl2Version}, true},
		{"WSL 1 kernel", "linux", nil, map[string]string{"/proc/version": wsl1Version}, true},
		{"not Linux", "darwin", map[string]string{"WSL_DISTRO_NAME": "Ubuntu"}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fakeHost(tc.goos, tc.env, tc.files, nil).isWSL(); got != tc.want {
				t.Errorf("isWSL = %t, want %t", got, tc.want)
			}
		})
	}
}

func TestWSLLauncher(t *testing.T) {
	const url = "https://login.example.com/authorize?client_id=kubelogin&redirect_uri=http%3A%2F%2Flocalhost%3A8000&state=x"
	wsl := map[string]string{"/proc/version": wsl2Version}
	const ps = "/mnt/c/Windows/System32/WindowsPowerShell/v1.0/powershell.exe"
	script := "Start-Process '" + url + "'"
	for _, tc := range []struct {
		name  string
		files map[string]string
		path  map[string]string
		url   string
		want  []string
	}{
		{"not WSL", map[string]string{"/proc/version": linuxVersion}, map[string]string{"wslview": "/usr/bin/wslview", "powershell.exe": ps}, url, nil},
		{"wslview first", wsl, map[string]string{"wslview": "/usr/bin/wslview", "powershell.exe": ps}, url, []string{"/usr/bin/wslview", url}},
		{"powershell.exe on PATH", wsl, map[string]string{"powershell.exe": ps, "cmd.exe": "/mnt/c/Windows/System32/cmd.exe"}, url,
			[]string{ps, "-NoProfile", "-NonInteractive", "-Command", script}},
		{"powershell.exe off PATH (appendWindowsPath=false)", map[string]string{"/proc/version": wsl2Version, ps: ""}, nil, url,
			[]string{ps, "-NoProfile", "-NonInteractive", "-Command", script}},
		{"nothing: print the URL", wsl, map[string]string{"cmd.exe": "/mnt/c/Windows/System32/cmd.exe"}, url, nil},
		{"a single quote is doubled", wsl, map[string]string{"powershell.exe": ps}, "https://x/?a='b'&c",
			[]string{ps, "-NoProfile", "-NonInteractive", "-Command", "Start-Process 'https://x/?a=''b''&c'"}},
		{"a double quote is not given to PowerShell", wsl, map[string]string{"powershell.exe": ps}, `https://x/?a="b"`, nil},
		{"nor a space", wsl, map[string]string{"powershell.exe": ps}, "https://x/?a=b c", nil},
		{"nor a Unicode quote", wsl, map[string]string{"powershell.exe": ps}, "https://x/?a=\u2019;calc", nil},
		{"nor another scheme", wsl, map[string]string{"powershell.exe": ps}, "file:///etc/passwd", nil},
		{"wslview gets any URL as one argument", wsl, map[string]string{"wslview": "/usr/bin/wslview"}, `https://x/?a="b"`, []string{"/usr/bin/wslview", `https://x/?a="b"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fakeHost("linux", nil, tc.files, tc.path).wslLauncher(tc.url)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("launcher (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCanOpenBrowserOnWSL(t *testing.T) {
	wsl := map[string]string{"/proc/version": wsl2Version}
	withPS := map[string]string{"powershell.exe": "/mnt/c/Windows/System32/WindowsPowerShell/v1.0/powershell.exe"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		path map[string]string
		want bool
	}{
		{"a launcher", nil, withPS, true},
		{"no launcher", nil, nil, false},
		{"WSLg sets DISPLAY", map[string]string{"DISPLAY": ":0"}, nil, true},
		{"over SSH the Windows desktop is not the user's", map[string]string{"SSH_CONNECTION": "10.0.0.1 50000 10.0.0.2 22"}, withPS, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fakeHost("linux", tc.env, wsl, tc.path).canOpenBrowser(); got != tc.want {
				t.Errorf("canOpenBrowser = %t, want %t", got, tc.want)
			}
		})
	}
}
