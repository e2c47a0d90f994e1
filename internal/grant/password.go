package grant

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/oidc"
	"github.com/kubelogin/kubelogin/internal/token"
)

// Password is the resource owner password credentials grant (RFC 6749
// section 4.3). The password comes from Password (--password, or
// KUBELOGIN_PASSWORD), else from PasswordCommand, else from a prompt without
// echo, which only an interactive session allows.
type Password struct {
	Options
	Client *oidc.Client
	// RunCommand runs PasswordCommand.
	RunCommand func(ctx context.Context, command string) ([]byte, error)
	// Terminal is nil when kubelogin may not prompt.
	Terminal       Terminal
	UseAccessToken bool
	Log            *logger.Logger
}

// maxPasswordPrompts is how many times a refused password is asked again.
const maxPasswordPrompts = 3

const howToGivePassword = "set KUBELOGIN_PASSWORD, give --password-command (e.g. your password manager's command line) or --password"

// Token logs in. stale is ignored.
func (g *Password) Token(ctx context.Context, _ *token.Set) (*token.Set, error) {
	if noUser, noPassword := g.Username == "", g.Password == "" && g.PasswordCommand == ""; g.Terminal == nil && (noUser || noPassword) {
		const why = "kubelogin may not prompt here (kubectl's interactiveMode is Never, or stdin is not a terminal)"
		switch {
		case noUser && noPassword:
			return nil, fmt.Errorf("--grant-type=password needs --username and a password, and %s: give --username, and %s", why, howToGivePassword)
		case noUser:
			return nil, fmt.Errorf("--grant-type=password needs --username, and %s", why)
		}
		return nil, fmt.Errorf("--grant-type=password needs a password, and %s: %s", why, howToGivePassword)
	}
	username := g.Username
	if username == "" {
		line, err := g.Terminal.ReadLine(ctx, "Username: ")
		if err != nil {
			return nil, g.promptError(err, "give --username")
		}
		if username = line; username == "" {
			return nil, errors.New("no username entered (or give --username)")
		}
	}
	password, prompted := g.Password, false
	if password == "" && g.PasswordCommand != "" {
		p, err := g.runPasswordCommand(ctx)
		if err != nil {
			return nil, err
		}
		password = p
	}
	for attempt := 1; ; attempt++ {
		if password == "" {
			p, err := g.Terminal.ReadPassword(ctx, fmt.Sprintf("Password for %s: ", username))
			if err != nil {
				return nil, g.promptError(err, howToGivePassword)
			}
			password, prompted = token.Secret(p), true
		}
		set, err := g.Client.PasswordGrant(ctx, username, password, !g.UseAccessToken)
		var te *oidc.TokenError
		switch {
		case err == nil:
			return set, nil
		case errors.Is(err, oidc.ErrNoIDToken):
			return nil, errors.New("the provider's password-grant answer has no ID token (add --oidc-use-access-token if the API server accepts its access tokens)")
		case errors.As(err, &te) && (te.Code == "invalid_grant" || te.Code == "access_denied"): // Dex says access_denied
			if prompted && attempt < maxPasswordPrompts {
				g.Log.Printf("The provider refused the username or password (%s); try again.", describe(te))
				password = ""
				continue
			}
			return nil, fmt.Errorf("log in with the password grant: %w (check --username and the password)", err)
		}
		return nil, fmt.Errorf("log in with the password grant: %w", err)
	}
}

// runPasswordCommand returns the command's output less one trailing newline.
func (g *Password) runPasswordCommand(ctx context.Context) (token.Secret, error) {
	out, err := g.RunCommand(ctx, g.PasswordCommand)
	if err != nil {
		// Its own messages went to stderr, above this one. Never print its
		// output: it may hold the password.
		return "", fmt.Errorf("--password-command failed: %v (its messages, if any, are above)", err)
	}
	out = bytes.TrimSuffix(out, []byte("\n"))
	out = bytes.TrimSuffix(out, []byte("\r"))
	if len(out) == 0 {
		return "", errors.New("--password-command printed no password on its standard output")
	}
	return token.Secret(out), nil
}

// promptError says why a prompt got no answer, and instead how to give what
// it asked for (howTo).
func (g *Password) promptError(err error, howTo string) error {
	if errors.Is(err, io.EOF) {
		g.Log.Printf("") // end the prompt's line
		return fmt.Errorf("stdin was closed before the answer was typed (or %s)", howTo)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("login interrupted: %w", err)
	}
	return fmt.Errorf("read from the terminal: %w (or %s)", err, howTo)
}
