package system

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestCanOpenBrowser(t *testing.T) {
	for _, tc := range []struct {
		goos string
		env  map[string]string
		want bool
	}{
		{"linux", nil, false},
		{"linux", map[string]string{"DISPLAY": ":0"}, true},
		{"linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, true},
		{"linux", map[string]string{"SSH_CONNECTION": "10.0.0.1 50000 10.0.0.2 22"}, false},
		{"linux", map[string]string{"SSH_CONNECTION": "10.0.0.1 50000 10.0.0.2 22", "DISPLAY": "localhost:10.0"}, true}, // X11 forwarding
		{"freebsd", map[string]string{"DISPLAY": ":0"}, true},
		{"darwin", nil, true},
		{"darwin", map[string]string{"SSH_TTY": "/dev/ttys001"}, false},
		{"windows", nil, true},
		{"windows", map[string]string{"SSH_CLIENT": "10.0.0.1 50000 22"}, false},
	} {
		if got := fakeHost(tc.goos, tc.env, nil, nil).canOpenBrowser(); got != tc.want {
			t.Errorf("%s %v: %t, want %t", tc.goos, tc.env, got, tc.want)
		}
	}
}

func TestRunCommand(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("sh")
	}
	var stderr bytes.Buffer
	out, err := RunCommand(t.Context(), `echo to-stderr >&2; read x; printf "got %s\n" "$x"`, strings.NewReader("in\n"), &stderr)
	if err != nil || string(out) != "got in\n" || stderr.String() != "to-stderr\n" {
		t.Errorf("out %q, stderr %q, err %v", out, stderr.String(), err)
	}
	if _, err := RunCommand(t.Context(), "exit 3", nil, io.Discard); err == nil || err.Error() != "exit status 3" {
		t.Errorf("err = %v", err)
	}
}

func TestConsoleReadLine(t *testing.T) {
	pr, pw := io.Pipe()
	var prompts bytes.Buffer
	c := NewConsole(pr, &prompts)

	// A read whose context ends leaves its line to the next read.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.ReadLine(ctx, "first: "); err != context.DeadlineExceeded {
		t.Fatalf("err = %v, want the deadline", err)
	}
	go pw.Write([]byte("abc\r\nsecret\nlast"))
	if got, err := c.ReadLine(t.Context(), "second: "); got != "abc" || err != nil {
		t.Errorf("ReadLine = %q, %v", got, err)
	}
	// Not a terminal: the password is read as a line.
	if got, err := c.ReadPassword(t.Context(), "Password: "); got != "secret" || err != nil {
		t.Errorf("ReadPassword = %q, %v", got, err)
	}
	go pw.Close()
	if got, err := c.ReadLine(t.Context(), ""); got != "last" || err != nil {
		t.Errorf("last line without newline = %q, %v", got, err)
	}
	if _, err := c.ReadLine(t.Context(), ""); err != io.EOF {
		t.Errorf("after close: %v, want EOF", err)
	}
	if prompts.String() != "first: second: Password: " {
		t.Errorf("prompts = %q", prompts.String())
	}
}
