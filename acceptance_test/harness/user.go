package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/creack/pty"
)

// User is one person at a terminal: a fresh HOME (so an empty token cache), a
// PATH with the programs their kubeconfig names, a kubeconfig, and a browser
// that logs in to Dex and records each launch.
type User struct {
	// Home is the user's HOME; the token cache is Home/.kube/cache/oidc-login.
	Home string
	// BinDir is first on PATH: kubelogin, kubectl-oidc_login (both the plugin
	// under test) and kubectl (the versioned binary the user runs).
	BinDir string
	// KubectlBin is the real kubectl binary this user runs.
	KubectlBin string
	// Kubeconfig is the file KUBECONFIG names.
	Kubeconfig string
	// BrowserLog records the browser's launches (see cmd/chromium-login).
	BrowserLog string
	// ExtraEnv is added to the environment of every kubectl run.
	ExtraEnv []string

	stack *Stack
}

// NewUser makes a user with kubectl of version minor ("1.27", "1.33") in dir.
func (s *Stack) NewUser(dir, minor string) (*User, error) {
	kubectl, err := s.Kubectl(minor)
	if err != nil {
		return nil, err
	}
	u := &User{
		Home:       filepath.Join(dir, "home"),
		BinDir:     filepath.Join(dir, "bin"),
		KubectlBin: kubectl,
		Kubeconfig: filepath.Join(dir, "home", ".kube", "config"),
		BrowserLog: filepath.Join(dir, "browser.log"),
		stack:      s,
	}
	for _, d := range []string{u.BinDir, filepath.Dir(u.Kubeconfig)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	links := map[string]string{
		"kubelogin":          s.Kubelogin,
		"kubectl-oidc_login": s.Kubelogin,
		"kubectl":            kubectl,
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(u.BinDir, name)); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// CacheDir is the default token cache directory of the user.
func (u *User) CacheDir() string { return filepath.Join(u.Home, ".kube", "cache", "oidc-login") }

// Env is the environment of the user's kubectl runs: nothing of the test
// process leaks in.
func (u *User) Env() []string {
	env := []string{
		"HOME=" + u.Home,
		"PATH=" + u.BinDir + ":/usr/local/bin:/usr/bin:/bin",
		"KUBECONFIG=" + u.Kubeconfig,
		"KUBELOGIN_ACCEPTANCE_BROWSER_LOG=" + u.BrowserLog,
		"LANG=C.UTF-8",
		"TMPDIR=" + os.TempDir(),
	}
	return append(env, u.ExtraEnv...)
}

// Result is what a user saw from one command.
type Result struct {
	// Command is the command line as the user typed it.
	Command string
	// Stdout and Stderr are the command's output; the plugin's messages are in Stderr.
	Stdout, Stderr string
	// ExitCode is the exit status (-1 when the command did not run or timed out).
	ExitCode int
	// Err is the error of running the command, if any.
	Err error
	// Duration is how long the command took.
	Duration time.Duration
}

// OK reports whether the command exited 0.
func (r *Result) OK() bool { return r.Err == nil && r.ExitCode == 0 }

// Output is stdout and stderr together.
func (r *Result) Output() string { return r.Stdout + r.Stderr }

// String shows the result as the user would have seen it.
func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "$ %s\n(exit %d after %s", r.Command, r.ExitCode, r.Duration.Round(time.Millisecond))
	if r.Err != nil {
		fmt.Fprintf(&b, ", %v", r.Err)
	}
	b.WriteString(")\n")
	if r.Stdout != "" {
		fmt.Fprintf(&b, "--- stdout\n%s\n", strings.TrimRight(r.Stdout, "\n"))
	}
	if r.Stderr != "" {
		fmt.Fprintf(&b, "--- stderr (kubectl and the plugin)\n%s\n", strings.TrimRight(r.Stderr, "\n"))
	}
	return b.String()
}

// Run runs name (a program on the user's PATH, such as "kubectl") with args,
// its stdin a terminal (as when a person types the command) so that
// interactiveMode IfAvailable finds one.
func (u *User) Run(ctx context.Context, name string, args ...string) *Result {
	return u.run(ctx, true, name, args...)
}

// RunWithoutTerminal runs the command with stdin from /dev/null, as a
// background tool would.
func (u *User) RunWithoutTerminal(ctx context.Context, name string, args ...string) *Result {
	return u.run(ctx, false, name, args...)
}

// Kubectl runs the user's kubectl with args on a terminal.
func (u *User) Kubectl(ctx context.Context, args ...string) *Result {
	return u.Run(ctx, "kubectl", args...)
}

// commandTimeout bounds every command a user runs.
const commandTimeout = 150 * time.Second

func (u *User) run(ctx context.Context, terminal bool, name string, args ...string) *Result {
	r := &Result{Command: strings.TrimSpace(name + " " + strings.Join(args, " ")), ExitCode: -1}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	path := name
	if !strings.Contains(name, "/") {
		path = filepath.Join(u.BinDir, name)
		if _, err := os.Stat(path); err != nil {
			if p, err := exec.LookPath(name); err == nil {
				path = p
			}
		}
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Args[0] = name
	cmd.Env = u.Env()
	cmd.Dir = u.Home
	// kubectl and the plugin it runs share a process group, so that a timeout
	// stops the plugin too (it would otherwise keep the callback port).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if terminal {
		ptmx, tty, err := pty.Open()
		if err != nil {
			r.Err = fmt.Errorf("open a pseudo-terminal: %w", err)
			return r
		}
		defer ptmx.Close()
		defer tty.Close()
		go func() { _, _ = io.Copy(io.Discard, ptmx) }()
		cmd.Stdin = tty
	}
	start := time.Now()
	stopWatch := u.watchBrowsers(len(u.BrowserLaunches()), cancel)
	err := cmd.Run()
	browserFailed := stopWatch()
	r.Duration = time.Since(start)
	r.Stdout, r.Stderr = stdout.String(), stderr.String()
	var exit *exec.ExitError
	switch {
	case err == nil:
		r.ExitCode = 0
	case errors.As(err, &exit) && ctx.Err() == nil:
		r.ExitCode = exit.ExitCode()
	case browserFailed:
		r.Err = fmt.Errorf("%w (stopped early: the browser program failed its login)", err)
	default:
		r.Err = err
		if ctx.Err() != nil {
			r.Err = fmt.Errorf("%w (timed out after %s)", err, commandTimeout)
		}
	}
	return r
}

// watchBrowsers cancels the command when a browser launched after the first
// `known` launches fails its login, so that a broken login costs seconds, not
// the plugin's authentication timeout. The returned func stops watching and
// reports whether it cancelled.
func (u *User) watchBrowsers(known int, cancel context.CancelFunc) func() bool {
	done := make(chan struct{})
	failed := make(chan bool, 1)
	go func() {
		ticker := time.NewTicker(200 * time.Millisecond)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				failed <- false
				return
			case <-ticker.C:
			}
			launches := u.BrowserLaunches()
			for _, l := range launches[min(known, len(launches)):] {
				if strings.HasPrefix(l.Result, "error") {
					// Give the plugin a moment to print its own error.
					time.Sleep(2 * time.Second)
					cancel()
					<-done
					failed <- true
					return
				}
			}
		}
	}()
	return func() bool {
		close(done)
		return <-failed
	}
}
