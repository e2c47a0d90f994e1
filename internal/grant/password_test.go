package grant

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/kubelogin/kubelogin/internal/logger"
)

// failingTerminal is a terminal whose reads fail with err.
type failingTerminal struct{ err error }

func (f failingTerminal) ReadLine(context.Context, string) (string, error)     { return "", f.err }
func (f failingTerminal) ReadPassword(context.Context, string) (string, error) { return "", f.err }

// A terminal that fails to read the password (it would not turn its echo off,
// say) ends the login with that reason and the ways to give the password
// without a prompt; nothing reaches the provider (Client is nil).
func TestPasswordPromptFails(t *testing.T) {
	g := &Password{
		Options:  Options{Username: "alice"},
		Terminal: failingTerminal{errors.New("turn the terminal's echo off for the password: operation not supported")},
		Log:      logger.New(&bytes.Buffer{}),
	}
	_, err := g.Token(t.Context(), nil)
	const want = "read from the terminal: turn the terminal's echo off for the password: operation not supported " +
		"(or set KUBELOGIN_PASSWORD, give --password-command (e.g. your password manager's command line) or --password)"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

// A username prompt that gets no answer says to give --username, not how to
// give a password.
func TestUsernamePromptFails(t *testing.T) {
	g := &Password{Terminal: failingTerminal{io.EOF}, Log: logger.New(&bytes.Buffer{})}
	_, err := g.Token(t.Context(), nil)
	if want := "stdin was closed before the answer was typed (or give --username)"; err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}
