// Package system is the plugin's boundary with the operating system: the
// clock, the standard streams, the environment, the browser and the terminal.
// Tests replace it as a value (see di.NewCmdForTest).
package system

import (
	"context"
	"io"
	"os"
	"os/exec"
	"time"

	"golang.org/x/term"
)

// OS is everything the plugin takes from the operating system.
type OS struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// StdinIsTerminal reports whether Stdin is a terminal a person types in.
	StdinIsTerminal bool
	// StderrIsTerminal reports whether Stderr is a terminal (where a QR code
	// can be drawn).
	StderrIsTerminal bool
	Getenv           func(string) string
	// Environ lists the environment as KEY=VALUE (os.Environ); nil when a
	// test gives only Getenv.
	Environ func() []string
	Now     func() time.Time
	// OpenBrowser starts a browser on url and returns without waiting for
	// it (see Launcher.Open).
	OpenBrowser func(url, command string, failed func(error)) error
	// UserHomeDir is the user's home directory (os.UserHomeDir).
	UserHomeDir func() (string, error)
	// CanOpenBrowser reports whether a browser started here can be seen by
	// the user (see CanOpenBrowser).
	CanOpenBrowser func() bool
	// RunCommand runs a shell command (see RunCommand).
	RunCommand func(ctx context.Context, command string, stdin io.Reader, stderr io.Writer) ([]byte, error)
	// Executable is the path of the running kubelogin (os.Executable).
	Executable func() (string, error)
}

// Real returns the process's own OS boundary.
func Real() OS {
	return OS{
		Stdin:            os.Stdin,
		Stdout:           os.Stdout,
		Stderr:           os.Stderr,
		StdinIsTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		StderrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		Getenv:           os.Getenv,
		Environ:          os.Environ,
		Now:              time.Now,
		OpenBrowser:      Launcher{}.Open,
		UserHomeDir:      os.UserHomeDir,
		CanOpenBrowser:   func() bool { return CanOpenBrowser(os.Getenv) },
		RunCommand:       RunCommand,
		Executable:       os.Executable,
	}
}

// Launcher opens URLs with --browser-command, or the default browser (under
// WSL the Windows one; see openURL).
type Launcher struct{}

// Open starts the browser and returns without waiting for it to exit (a
// launcher may run as long as the browser). command is the --browser-command
// program, or "" for the system's default browser. failed is called, in
// another goroutine, if the launcher later fails.
func (Launcher) Open(url, command string, failed func(error)) error {
	if command == "" {
		// The launcher must not hold our stdout: kubectl reads it to EOF, so a
		// browser that inherited it would keep kubectl waiting until it exits.
		go func() {
			if err := openURL(url); err != nil && failed != nil {
				failed(err)
			}
		}()
		return nil
	}
	cmd := exec.Command(command, url)
	// nil streams are /dev/null: see above.
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() {
		if err := cmd.Wait(); err != nil && failed != nil {
			failed(err)
		}
	}()
	return nil
}
