package grant

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/oidc"
	"github.com/kubelogin/kubelogin/internal/token"
)

// Terminal is where the interactive grants read what the user types. A grant
// holds nil when stdin is not the plugin's to read (kubectl's interactiveMode
// is Never, or there is no terminal): it then fails at once, saying what to
// do instead, rather than wait for input that cannot come.
type Terminal interface {
	// ReadLine shows prompt and returns the line typed (io.EOF when stdin
	// is closed).
	ReadLine(ctx context.Context, prompt string) (string, error)
	// ReadPassword is ReadLine without echo.
	ReadPassword(ctx context.Context, prompt string) (string, error)
}

// DefaultKeyboardRedirectURL is the redirect URI of the authcode-keyboard
// grant when --oidc-redirect-url is not given. It is int128/kubelogin's, so
// that clients registered for it keep working; providers answer it with a
// page showing the code (Dex, Keycloak). Providers without out-of-band
// support need --oidc-redirect-url=http://localhost:8000 (or any registered
// URI): the user then pastes the address the browser could not load.
const DefaultKeyboardRedirectURL = "urn:ietf:wg:oauth:2.0:oob"

// AuthCodeKeyboard is the authorization code grant for a browser that cannot
// reach this machine (SSH without port forwarding): it prints the URL and
// reads the code, or the whole redirected URL, from the terminal.
type AuthCodeKeyboard struct {
	Options
	Client *oidc.Client
	// Terminal is nil when kubelogin may not read stdin.
	Terminal Terminal
	Log      *logger.Logger
}

// Token runs the login. stale is ignored.
func (g *AuthCodeKeyboard) Token(ctx context.Context, _ *token.Set) (*token.Set, error) {
	if g.Terminal == nil {
		return nil, errors.New("--grant-type=authcode-keyboard reads the code from the terminal, but kubelogin may not read stdin here " +
			"(kubectl's interactiveMode is Never, or stdin is not a terminal): use --grant-type=device-code, or run it where kubectl has a terminal")
	}
	meta, err := g.Client.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	usePKCE, err := g.Client.UsePKCE(ctx)
	if err != nil {
		return nil, err
	}
	conf, err := g.Client.OAuth2Config(ctx, cmp.Or(g.RedirectURL, DefaultKeyboardRedirectURL))
	if err != nil {
		return nil, err
	}
	authURL, state, nonce, verifier := authRequest(conf, g.Client.Config().ExtraParams, usePKCE)
	g.Log.Printf("Please visit the following URL in your browser and log in:\n  %s", authURL)

	ctx, cancel := context.WithTimeout(ctx, g.Timeout())
	defer cancel()
	for attempt := 1; ; attempt++ {
		line, err := g.Terminal.ReadLine(ctx, "Enter the code (or paste the address the browser ended on): ")
		if err != nil {
			return nil, g.readError(ctx, err)
		}
		code, err := parsePasted(line, state, meta.Issuer)
		if err != nil && !final(err) && attempt < 3 {
			g.Log.Printf("%v; try again.", err)
			continue
		}
		if err != nil {
			return nil, err
		}
		return g.Client.ExchangeCode(ctx, conf, code, verifier, nonce)
	}
}

func (g *AuthCodeKeyboard) readError(ctx context.Context, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("no code entered within %s (raise --authentication-timeout-sec)", g.Timeout())
	case ctx.Err() != nil:
		return fmt.Errorf("login interrupted: %w", ctx.Err())
	case errors.Is(err, io.EOF):
		g.Log.Printf("") // end the prompt's line
		return errors.New("stdin was closed before a code was entered")
	}
	return fmt.Errorf("read the code from the terminal: %w", err)
}

// authRequest returns the authorization URL with a fresh state and nonce,
// the extra parameters, and a PKCE challenge when usePKCE.
func authRequest(conf *oauth2.Config, extra map[string]string, usePKCE bool) (authURL, state, nonce, verifier string) {
	state, nonce = randomString(), randomString()
	opts := []oauth2.AuthCodeOption{gooidc.Nonce(nonce)}
	if usePKCE {
		verifier = oauth2.GenerateVerifier()
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	for k, v := range extra {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	return conf.AuthCodeURL(state, opts...), state, nonce, verifier
}

// parsePasted returns the authorization code in what the user pasted: the
// code itself, or the URL the provider redirected the browser to (its state,
// when present, must be this login's). An error in the URL is a *ProviderError.
func parsePasted(line, state, issuer string) (string, error) {
	line = strings.TrimSpace(line)
	if line == "" {
		return "", errors.New("nothing was entered")
	}
	if !strings.Contains(line, "://") && !strings.HasPrefix(line, "?") && !strings.HasPrefix(line, "#") &&
		!strings.Contains(line, "code=") && !strings.Contains(line, "error=") {
		return line, nil // the code itself
	}
	var q url.Values
	if strings.Contains(line, "://") || strings.HasPrefix(line, "?") || strings.HasPrefix(line, "#") {
		u, err := url.Parse(line)
		if err != nil {
			return "", errors.New("that is neither a code nor a URL")
		}
		q = u.Query()
		if u.RawQuery == "" && u.Fragment != "" { // response_mode=fragment
			q, _ = url.ParseQuery(u.Fragment)
		}
	} else {
		q, _ = url.ParseQuery(line) // the query alone
	}
	if q.Has("state") && q.Get("state") != state {
		return "", errors.New("that address belongs to another login (its state does not match): paste the one this login led to")
	}
	if err := checkIss(q, issuer); err != nil {
		return "", finalError{err}
	}
	if e := q.Get("error"); e != "" {
		return "", &ProviderError{Code: e, Description: q.Get("error_description")}
	}
	code := q.Get("code")
	if code == "" {
		return "", errors.New("that address has no code parameter: paste the address the browser was sent to after the login")
	}
	return code, nil
}
