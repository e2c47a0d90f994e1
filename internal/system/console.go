package system

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// Console is the user's terminal for the flows that read from it: a pasted
// code, a username, a password typed without echo. Prompts go to out
// (stderr: stdout carries the ExecCredential). Use it only when stdin belongs
// to the plugin (see execcred.Input.Interactive).
type Console struct {
	out io.Writer
	r   *bufio.Reader
	fd  int // of stdin when it is a terminal, else -1
	// pending is a line read still under way, left by a call whose context
	// ended: the next read takes its result instead of starting another.
	pending chan readResult
}

type readResult struct {
	line string
	err  error
}

// NewConsole returns the console reading in and prompting on out.
func NewConsole(in io.Reader, out io.Writer) *Console {
	c := &Console{out: out, r: bufio.NewReader(in), fd: -1}
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		c.fd = int(f.Fd())
	}
	return c
}

// ReadLine shows prompt and returns the next line typed, without its line
// ending. It returns io.EOF when stdin is closed, and ctx.Err() when ctx ends
// first (the read then goes on in the background: Go cannot cancel it).
func (c *Console) ReadLine(ctx context.Context, prompt string) (string, error) {
	if prompt != "" {
		fmt.Fprint(c.out, prompt)
	}
	ch := c.pending
	if ch == nil {
		ch = make(chan readResult, 1)
		go func() {
			line, err := c.r.ReadString('\n')
			if err == io.EOF && line != "" {
				err = nil
			}
			ch <- readResult{strings.TrimRight(line, "\r\n"), err}
		}()
	}
	select {
	case r := <-ch:
		c.pending = nil
		return r.line, r.err
	case <-ctx.Done():
		c.pending = ch
		return "", ctx.Err()
	}
}

// ReadPassword shows prompt and returns the line typed, without echoing it
// when stdin is a terminal. The echo goes off before the prompt shows, so a
// password typed the moment it appears is not shown either (only what was
// typed before the prompt, which the terminal echoed then); when it cannot go
// off, there is no prompt. The terminal's state is restored when the line is
// read, or when ctx ends first (Ctrl-C).
func (c *Console) ReadPassword(ctx context.Context, prompt string) (string, error) {
	if c.fd < 0 {
		return c.ReadLine(ctx, prompt) // not a terminal: nothing to hide
	}
	restore, err := echoOff(c.fd)
	if err != nil {
		return "", fmt.Errorf("turn the terminal's echo off for the password: %w", err)
	}
	line, err := c.ReadLine(ctx, prompt)
	restore()
	fmt.Fprintln(c.out) // the Enter the user typed was not echoed either
	return line, err
}
