package system

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"runtime"
)

// CanOpenBrowser reports whether a browser started by this process can be
// seen by the user: on Linux and the BSDs there must be a graphical session
// (DISPLAY or WAYLAND_DISPLAY, which X11 forwarding over SSH sets too); on
// macOS and Windows the session must not be an SSH login.
func CanOpenBrowser(getenv func(string) string) bool {
	return canOpenBrowser(runtime.GOOS, getenv)
}

func canOpenBrowser(goos string, getenv func(string) string) bool {
	ssh := getenv("SSH_CONNECTION") != "" || getenv("SSH_TTY") != "" || getenv("SSH_CLIENT") != ""
	switch goos {
	case "darwin", "windows":
		return !ssh
	case "android", "ios", "js", "wasip1":
		return false
	}
	return getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
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
