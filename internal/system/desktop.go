package system

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"runtime"

	"github.com/pkg/browser"
)

// CanOpenBrowser reports whether a browser started by this process can be
// seen by the user: on Linux and the BSDs there must be a graphical session
// (DISPLAY or WAYLAND_DISPLAY, which X11 forwarding over SSH sets too), or,
// under WSL outside SSH, a way to the Windows browser (see wslLauncher); on
// macOS and Windows the session must not be an SSH login.
func CanOpenBrowser(getenv func(string) string) bool {
	return realHostEnv(runtime.GOOS, getenv).canOpenBrowser()
}

func (e hostEnv) canOpenBrowser() bool {
	ssh := e.getenv("SSH_CONNECTION") != "" || e.getenv("SSH_TTY") != "" || e.getenv("SSH_CLIENT") != ""
	switch e.goos {
	case "darwin", "windows":
		return !ssh
	case "android", "ios", "js", "wasip1":
		return false
	}
	if e.getenv("DISPLAY") != "" || e.getenv("WAYLAND_DISPLAY") != "" {
		return true
	}
	return !ssh && e.wslLauncher("https://example.com/") != nil
}

// openURL opens url in the user's default browser and waits for the
// launcher: under WSL in the Windows browser (see wslLauncher), elsewhere
// through pkg/browser (xdg-open, open, rundll32). The launcher gets no
// standard streams (see Launcher.Open).
func openURL(url string) error {
	if argv := realHostEnv(runtime.GOOS, os.Getenv).wslLauncher(url); argv != nil {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
		return cmd.Run()
	}
	browser.Stdout, browser.Stderr = nil, nil
	return browser.OpenURL(url)
}

// RunCommand runs command through the shell (sh -c; cmd /C on Windows) and
// returns its standard output. Its standard error goes to stderr, so that
// its prompts and messages reach the user; stdin is given to it only when not
// nil (else it reads /dev/null).
func RunCommand(ctx context.Context, command string, stdin io.Reader, stderr io.Writer) ([]byte, error) {
	var cmd *exec.Cmd
	if runtime.GOOS == "windows" {
		cmd = exec.CommandContext(ctx, "cmd", "/C", command)
	} else {
		cmd = exec.CommandContext(ctx, "/bin/sh", "-c", command)
	}
	var out bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, stderr
	err := cmd.Run()
	return out.Bytes(), err
}
