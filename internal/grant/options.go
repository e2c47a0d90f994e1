package grant

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/oidc"
	"github.com/kubelogin/kubelogin/internal/system"
	"github.com/kubelogin/kubelogin/internal/token"
)

// Grant types accepted by --grant-type.
const (
	TypeAuto              = "auto"
	TypeAuthCode          = "authcode"
	TypeAuthCodeKeyboard  = "authcode-keyboard"
	TypePassword          = "password"
	TypeDeviceCode        = "device-code"
	TypeClientCredentials = "client-credentials"
	// TypeTokenExchange ("token-exchange") is declared in exchange.go.
)

// Types lists the values of --grant-type.
var Types = []string{TypeAuto, TypeAuthCode, TypeAuthCodeKeyboard, TypePassword, TypeDeviceCode, TypeClientCredentials, TypeTokenExchange}

// Options are the login options: how get-token logs in when neither the cache
// nor a refresh can serve. The command line binds its flags straight into
// them and New hands them, unchanged, to the grant they select; a new login
// flag is a field here, its binding and its documentation.
type Options struct {
	// GrantType is one of Types; the command line resolves auto.
	GrantType string
	// ListenAddresses are tried in order; ListenAddressesGiven tells whether
	// the user chose them (then a fixed redirect URL must agree with them).
	ListenAddresses      []string
	ListenAddressesGiven bool
	// RedirectURL is --oidc-redirect-url; "" means http://localhost:<port>
	// (DefaultKeyboardRedirectURL for authcode-keyboard).
	RedirectURL string
	// RedirectHostname replaces "localhost" in the default redirect URL.
	RedirectHostname string
	SkipOpenBrowser  bool
	// BrowserCommand is --browser-command; "" is the system's browser.
	BrowserCommand           string
	AuthenticationTimeoutSec int
	// LocalServerCert and LocalServerKey serve the callback over HTTPS.
	LocalServerCert, LocalServerKey string
	// OpenURLAfterAuthentication is where the browser goes after the login.
	OpenURLAfterAuthentication string
	Username                   string
	Password                   token.Secret
	// PasswordCommand is run through the shell, when Password is empty; its
	// standard output, less one trailing newline, is the password.
	PasswordCommand string
	// ClientAssertion authenticates the client of the client-credentials
	// grant; none means its secret.
	ClientAssertion AssertionOptions
	// TokenExchange are the options of --grant-type=token-exchange.
	TokenExchange ExchangeOptions
	// RequestAudience is the audience of the token kubectl gets
	// (--request-audience): the login is shared by every audience, and each
	// audience's token is obtained from it by RequestAudienceBy (audience.go).
	RequestAudience   string
	RequestAudienceBy string
}

// AssertionOptions name a client assertion: a private key (private_key_jwt)
// with an optional certificate chain and key ID, or a federated token in a
// file or an environment variable. At most one source is set.
type AssertionOptions struct {
	Key, Cert, KID string
	File, Env      string
}

// Source names where the assertion comes from ("" for none), for the cache key.
func (a AssertionOptions) Source() string {
	switch {
	case a.Key != "":
		return "key:" + a.Key
	case a.File != "":
		return "file:" + a.File
	case a.Env != "":
		return "env:" + a.Env
	}
	return ""
}

// Timeout bounds an interactive login (--authentication-timeout-sec).
func (o Options) Timeout() time.Duration {
	return time.Duration(o.AuthenticationTimeoutSec) * time.Second
}

// Env is what the grants take from the operating system for one run.
type Env struct {
	Client *oidc.Client
	OS     system.OS
	// Interactive tells whether kubelogin may read the terminal (kubectl's
	// interactiveMode and stdin): with interactiveMode Never, stdin is
	// kubectl's and must not be read.
	Interactive    bool
	UseAccessToken bool
	Log            *logger.Logger
}

// ErrNobodyToLogIn ends a browser login that nobody could finish: no browser
// can be opened, and neither stdin nor stderr is a terminal where a person
// would read the URL (kubectl started by an IDE, a cron job, a CI step).
var ErrNobodyToLogIn = errors.New("no login can complete here: no browser can be opened (no display) and neither stdin nor stderr is a terminal: " +
	"run the same kubectl command once in a terminal, or use --grant-type=device-code, or --grant-type=client-credentials for machines")

// New returns the login source that o.GrantType selects.
func New(o Options, env Env) (Source, error) {
	var term Terminal
	if env.Interactive {
		term = system.NewConsole(env.OS.Stdin, env.OS.Stderr)
	}
	// Without a display (an SSH session, a server), a browser started here
	// would be invisible: print the URL instead.
	noBrowser := o.SkipOpenBrowser || o.BrowserCommand == "" && !env.OS.CanOpenBrowser()
	switch o.GrantType {
	case TypeAuthCode:
		// A person can act on a printed URL when stderr is a terminal (SSH
		// with port forwarding reads it there), when they asked for it with
		// --skip-open-browser, or when they can paste the code.
		attended := env.OS.StdinIsTerminal || env.OS.StderrIsTerminal || o.SkipOpenBrowser
		if noBrowser && !attended {
			return nil, ErrNobodyToLogIn
		}
		g := &AuthCode{Options: o, Client: env.Client, OpenBrowser: env.OS.OpenBrowser, NoBrowser: noBrowser, Unattended: !attended, Log: env.Log}
		if noBrowser && term != nil {
			g.Paste = term // the browser may be on another machine: take the code pasted too
		}
		return g, nil
	case TypeAuthCodeKeyboard:
		return &AuthCodeKeyboard{Options: o, Client: env.Client, Terminal: term, Log: env.Log}, nil
	case TypeDeviceCode:
		return &DeviceCode{Options: o, Client: env.Client, OpenBrowser: env.OS.OpenBrowser, NoBrowser: noBrowser,
			QRCode: env.OS.StderrIsTerminal, UseAccessToken: env.UseAccessToken, Now: env.OS.Now, Log: env.Log}, nil
	case TypePassword:
		var stdin io.Reader
		if env.Interactive {
			stdin = env.OS.Stdin // a password manager may ask to be unlocked
		}
		return &Password{Options: o, Client: env.Client,
			RunCommand: func(ctx context.Context, command string) ([]byte, error) {
				return env.OS.RunCommand(ctx, command, stdin, env.OS.Stderr)
			},
			Terminal: term, UseAccessToken: env.UseAccessToken, Log: env.Log}, nil
	case TypeClientCredentials:
		assertion, err := clientAssertion(o.ClientAssertion, env)
		if err != nil {
			return nil, err
		}
		return &ClientCredentials{Client: env.Client, ExtraParams: env.Client.Config().ExtraParams, Assertion: assertion,
			UseAccessToken: env.UseAccessToken, Log: env.Log}, nil
	case TypeTokenExchange:
		assertion, err := clientAssertion(o.ClientAssertion, env)
		if err != nil {
			return nil, err
		}
		return &TokenExchange{Options: o.TokenExchange, Client: env.Client, Getenv: env.OS.Getenv, Assertion: assertion, UseAccessToken: env.UseAccessToken, Log: env.Log}, nil
	}
	return nil, fmt.Errorf("unknown grant type %q", o.GrantType)
}
