package system

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// writerFunc is an io.Writer that calls itself.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// openPTY returns a new pseudo-terminal's two ends, closed when t ends.
func openPTY(t *testing.T) (ptmx, tty *os.File) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { ptmx.Close(); tty.Close() })
	return ptmx, tty
}

// A password typed the moment its prompt shows is not echoed: the echo is off
// before the prompt is written, and on again once the line is read.
func TestConsoleReadPasswordEchoesNothing(t *testing.T) {
	ptmx, tty := openPTY(t)
	echoing := func() bool {
		st, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		return st.Lflag&unix.ECHO != 0
	}
	if !echoing() {
		t.Fatal("a new pseudo-terminal does not echo")
	}
	var prompts bytes.Buffer
	echoAtPrompt := true
	c := NewConsole(tty, writerFunc(func(p []byte) (int, error) {
		if strings.HasSuffix(string(p), ": ") {
			echoAtPrompt = echoing()
			ptmx.Write([]byte("s3cret\n")) // the user types at once
		}
		return prompts.Write(p)
	}))
	got, err := c.ReadPassword(t.Context(), "Password: ")
	if got != "s3cret" || err != nil {
		t.Fatalf("ReadPassword = %q, %v", got, err)
	}
	if echoAtPrompt {
		t.Error("the terminal still echoed when the prompt was shown")
	}
	if !echoing() {
		t.Error("the echo is not back on after the password was read")
	}
	if prompts.String() != "Password: \n" {
		t.Errorf("prompts = %q", prompts.String())
	}
	// What the terminal showed: everything up to a marker written after.
	tty.Write([]byte("END\n"))
	if shown := readUntil(t, ptmx, "END"); strings.Contains(shown, "s3cret") {
		t.Errorf("the terminal echoed the password: %q", shown)
	}

	// Ctrl-C before Enter: the echo is back on, and the line typed later goes
	// to the next read.
	ctx, cancel := context.WithCancel(t.Context())
	c = NewConsole(tty, writerFunc(func(p []byte) (int, error) {
		if strings.HasSuffix(string(p), ": ") {
			cancel()
		}
		return len(p), nil
	}))
	if _, err := c.ReadPassword(ctx, "Password: "); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !echoing() {
		t.Error("the echo is not back on after an interrupted read")
	}
	ptmx.Write([]byte("later\n"))
	if got, err := c.ReadLine(t.Context(), ""); got != "later" || err != nil {
		t.Errorf("ReadLine after the interrupted read = %q, %v", got, err)
	}
}

func readUntil(t *testing.T, ptmx io.Reader, marker string) string {
	t.Helper()
	done := make(chan string, 1)
	go func() {
		var b []byte
		buf := make([]byte, 256)
		for !bytes.Contains(b, []byte(marker)) {
			n, err := ptmx.Read(buf)
			b = append(b, buf[:n]...)
			if err != nil {
				break
			}
		}
		done <- string(b)
	}()
	select {
	case s := <-done:
		return s
	case <-time.After(10 * time.Second):
		t.Fatalf("the terminal never showed %q", marker)
		return ""
	}
}

// A terminal whose echo cannot be turned off (here: closed after the console
// found it) gets no prompt: the password is not asked for with the echo on.
func TestConsoleReadPasswordEchoRefused(t *testing.T) {
	_, tty := openPTY(t)
	var prompts bytes.Buffer
	c := NewConsole(tty, &prompts)
	tty.Close()
	// A console that prompted anyway would read the closed file, or wait.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err := c.ReadPassword(ctx, "Password: ")
	if err == nil || !strings.HasPrefix(err.Error(), "turn the terminal's echo off for the password: ") {
		t.Errorf("err = %v", err)
	}
	if prompts.Len() != 0 {
		t.Errorf("prompted %q with the echo on", prompts.String())
	}
}
