package integration_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// runOpts change the environment and stdin of one plugin run.
type runOpts struct {
	env      []string // KEY=VALUE added
	unset    []string // variables removed
	stdin    string
	execInfo *string // nil = the env's
}

// interactiveV1 is KUBERNETES_EXEC_INFO from kubectl with a terminal (interactiveMode IfAvailable).
const interactiveV1 = `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":true}}`

// headless is the environment of an SSH session without a display.
var headless = runOpts{env: []string{"SSH_CONNECTION=10.0.0.1 50000 10.0.0.2 22"}, unset: []string{"DISPLAY", "WAYLAND_DISPLAY"}}

// environ is the plugin's environment: the test's, without any KUBELOGIN_
// flag variable or o.unset, plus what env.run sets and o.env.
func (e *env) environ(o runOpts) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "KUBELOGIN_") && !strings.HasPrefix(k, "KUBELOGIN_IT_") || slices.Contains(o.unset, k) || k == "KUBERNETES_EXEC_INFO" {
			continue
		}
		out = append(out, kv)
	}
	out = append(out, "HOME="+e.t.TempDir(), envBrowserMode+"=1", envBrowserLog+"="+e.browser,
		envBrowserCA+"="+e.caFile, envBrowserHow+"="+e.how)
	info := e.execInfo
	if o.execInfo != nil {
		info = *o.execInfo
	}
	if info != "" {
		out = append(out, "KUBERNETES_EXEC_INFO="+info)
	}
	return append(out, o.env...)
}

// runWith runs the plugin with args (the flags of args() are not added).
func (e *env) runWith(o runOpts, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, pluginBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Stdin = strings.NewReader(o.stdin)
	cmd.Env = e.environ(o)
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		e.t.Fatalf("run kubelogin: %v\nstderr:\n%s", err, r.stderr)
	}
	return r
}

// syncBuffer is a bytes.Buffer safe for one writer and many readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ptyRun is a plugin run as kubectl makes it on a person's terminal: stdin
// and stderr on a pseudo-terminal (its controlling terminal), stdout a pipe.
type ptyRun struct {
	t       *testing.T
	master  *os.File
	screen  syncBuffer // what the terminal shows: stderr and the echo of what is typed
	stdout  syncBuffer
	done    chan struct{}
	readEnd chan struct{}
	result  result
}

// startPTY starts the plugin with args on a new pseudo-terminal.
func (e *env) startPTY(o runOpts, args ...string) *ptyRun {
	e.t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		e.t.Skipf("no pseudo-terminal: %v", err)
	}
	pty.Setsize(master, &pty.Winsize{Rows: 50, Cols: 160})
	cmd := exec.Command(pluginBin, args...)
	cmd.Env = e.environ(o)
	p := &ptyRun{t: e.t, master: master, done: make(chan struct{}), readEnd: make(chan struct{})}
	cmd.Stdin, cmd.Stderr, cmd.Stdout = tty, tty, &p.stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	tty.Close()
	go func() {
		io.Copy(&p.screen, master) // ends with EIO when the plugin has exited
		close(p.readEnd)
	}()
	go func() {
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.result.code = ee.ExitCode()
		} else if err != nil {
			p.result.code = -1
		}
		close(p.done)
	}()
	e.t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		master.Close()
	})
	return p
}

// waitFor waits until the terminal shows a match of re and returns it.
func (p *ptyRun) waitFor(re string) []string {
	p.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := rx.FindStringSubmatch(p.screen.String()); m != nil {
			return m
		}
		select {
		case <-p.done:
			// Give the reader a moment to drain what was written last.
			select {
			case <-p.readEnd:
			case <-time.After(2 * time.Second):
			}
			if m := rx.FindStringSubmatch(p.screen.String()); m != nil {
				return m
			}
			p.t.Fatalf("kubelogin exited (%d) before showing %q; the terminal showed:\n%s", p.result.code, re, p.screen.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	p.t.Fatalf("the terminal did not show %q within 60s; it showed:\n%s", re, p.screen.String())
	return nil
}

// typeLine types s and Enter.
func (p *ptyRun) typeLine(s string) {
	p.t.Helper()
	if _, err := p.master.Write([]byte(s + "\r")); err != nil {
		p.t.Fatalf("type: %v", err)
	}
}

// wait waits for the plugin to exit and returns its stdout and the screen as stderr.
func (p *ptyRun) wait() result {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(90 * time.Second):
		p.t.Fatalf("kubelogin did not exit; the terminal showed:\n%s", p.screen.String())
	}
	select {
	case <-p.readEnd:
	case <-time.After(5 * time.Second):
	}
	r := p.result
	r.stdout, r.stderr = p.stdout.String(), p.screen.String()
	return r
}

// browseNoFollow GETs u and returns the Location it redirects to, as a browser
// on another machine would show it after failing to load it.
func browseNoFollow(t *testing.T, u string) string {
	t.Helper()
	c := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || loc == "" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("the provider answered %s, not a redirect: %s", resp.Status, b)
	}
	return loc
}

// oneLine checks that a failed run printed exactly one line.
func oneLine(t *testing.T, r result) {
	t.Helper()
	if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 {
		t.Errorf("want a one-line error, got %d lines:\n%s", n+1, r.stderr)
	}
}

func strPtr(s string) *string { return &s }
