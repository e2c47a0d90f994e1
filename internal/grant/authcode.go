// Package grant holds one token source per way of obtaining tokens: the
// refresh link, and the interactive grants it falls back to.
package grant

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/oidc"
	"github.com/kubelogin/kubelogin/internal/token"
)

// AuthCode is the authorization code grant with PKCE through the browser and a
// loopback server (RFC 8252).
type AuthCode struct {
	Options
	Client *oidc.Client
	// OpenBrowser is system.OS.OpenBrowser.
	OpenBrowser func(url, command string, failed func(error)) error
	// NoBrowser prints the URL instead of opening a browser
	// (--skip-open-browser, or no browser can be seen here).
	NoBrowser bool
	// Unattended tells that nobody can act on a printed URL: neither stdin
	// nor stderr is a terminal and --skip-open-browser was not given. A
	// browser that cannot be started (or a system launcher that fails) then
	// ends the login at once.
	Unattended bool
	// Paste, when not nil, also reads the code (or the address the browser
	// ended on) from the terminal while the loopback server waits, whichever
	// comes first: for a browser on another machine, which cannot reach this
	// one's loopback. Set it only where no browser can be opened here.
	Paste Terminal
	Log   *logger.Logger
}

// Token runs the login. stale is ignored.
func (g *AuthCode) Token(ctx context.Context, _ *token.Set) (*token.Set, error) {
	addrs, fixed, err := redirectPlan(g.RedirectURL, g.ListenAddresses, g.ListenAddressesGiven)
	if err != nil {
		return nil, err
	}
	// A certificate that cannot be served fails before anything is bound or
	// opened: the browser would only meet a dead callback.
	tlsConfig, err := g.tlsConfig()
	if err != nil {
		return nil, err
	}
	// Discover first: a provider that cannot be reached fails before any
	// socket is bound or browser opened.
	meta, err := g.Client.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	usePKCE, err := g.Client.UsePKCE(ctx)
	if err != nil {
		return nil, err
	}
	ls, err := listen(addrs, g.Log)
	if err != nil {
		return nil, err
	}
	defer ls.Close()

	redirect := g.redirectURL(fixed, ls.port)
	conf, err := g.Client.OAuth2Config(ctx, redirect.String())
	if err != nil {
		return nil, err
	}
	authURL, state, nonce, verifier := authRequest(conf, g.Client.Config().ExtraParams, usePKCE)

	ctx, cancel := context.WithTimeout(ctx, g.Timeout())
	defer cancel()
	cb := &callbackServer{
		path:       cmp.Or(redirect.Path, "/"),
		state:      state,
		extraHost:  redirect.Host,
		afterLogin: g.OpenURLAfterAuthentication,
		issuer:     meta.Issuer,
		requireIss: meta.AuthorizationResponseIssParameterSupported,
		codes:      make(chan callbackResult),
		log:        g.Log,
	}
	defer serve(ls, cb, tlsConfig)()

	launchFailed := make(chan error, 1)
	g.openBrowser(authURL, redirect, launchFailed)
	code, reply, err := g.waitForCode(ctx, cb, state, redirect, launchFailed)
	if err != nil {
		return nil, err
	}
	set, err := g.Client.ExchangeCode(ctx, conf, code, verifier, nonce)
	if reply != nil {
		reply <- err // the browser's page says how it ended
	}
	return set, err
}

// tlsConfig loads --local-server-cert and --local-server-key; nil without them.
func (g *AuthCode) tlsConfig() (*tls.Config, error) {
	if g.LocalServerCert == "" {
		return nil, nil
	}
	cert, err := loadServerCert(g.LocalServerCert, g.LocalServerKey)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// serve answers the callback on every listener (over TLS with tlsConfig) and
// returns the function that stops it.
func serve(ls *listeners, cb *callbackServer, tlsConfig *tls.Config) (stop func()) {
	srv := &http.Server{Handler: cb, ReadHeaderTimeout: 10 * time.Second, TLSConfig: tlsConfig}
	for _, l := range ls.ls {
		go func(l net.Listener) {
			if tlsConfig != nil {
				srv.ServeTLS(l, "", "")
			} else {
				srv.Serve(l)
			}
		}(l)
	}
	return func() {
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer scancel()
		srv.Shutdown(sctx)
	}
}

// waitForCode waits for the authorization code: from the browser's callback
// (then reply takes the outcome of the exchange for the browser's page), or
// pasted at the terminal (reply nil), until ctx ends or the browser cannot
// be opened for a login nobody else can finish.
func (g *AuthCode) waitForCode(ctx context.Context, cb *callbackServer, state string, redirect *url.URL, launchFailed <-chan error) (code string, reply chan<- error, err error) {
	var pasted <-chan pasteResult
	if g.Paste != nil {
		pasted = readPaste(ctx, g.Paste)
	}
	for {
		select {
		case p := <-pasted:
			pasted = nil
			if p.err != nil {
				if errors.Is(p.err, io.EOF) || ctx.Err() != nil {
					continue // stdin closed, or the case below reports the end
				}
				return "", nil, fmt.Errorf("read from the terminal: %w", p.err)
			}
			code, err := parsePasted(p.line, state, cb.issuer)
			if err != nil && !final(err) {
				g.Log.Printf("%v; try again.", err)
				pasted = readPaste(ctx, g.Paste)
				continue
			}
			return code, nil, err
		case err := <-launchFailed:
			return "", nil, fmt.Errorf("no login can complete here: the browser could not be opened (%v) and no terminal shows the login URL: "+
				"run the same kubectl command once in a terminal, or use --browser-command", err)
		case <-ctx.Done():
			if g.Paste != nil {
				g.Log.Printf("") // end the line of the paste prompt
			}
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return "", nil, fmt.Errorf("no login within %s: the browser did not come back to %s (finish the login in the browser, check that the provider allows this redirect URI, or raise --authentication-timeout-sec)", g.Timeout(), redirect)
			}
			return "", nil, fmt.Errorf("login interrupted: %w", ctx.Err())
		case r := <-cb.codes:
			if pasted != nil {
				g.Log.Printf("") // end the line of the paste prompt
			}
			if r.err != nil {
				r.reply <- r.err
				return "", nil, r.err
			}
			return r.code, r.reply, nil
		}
	}
}

func (g *AuthCode) redirectURL(fixed *url.URL, port int) *url.URL {
	if fixed != nil {
		return fixed
	}
	scheme := "http"
	if g.LocalServerCert != "" {
		scheme = "https"
	}
	// No trailing slash: providers compare redirect URIs as strings, and the
	// registered ones are http://localhost:8000 and http://localhost:18000.
	return &url.URL{Scheme: scheme, Host: net.JoinHostPort(cmp.Or(g.RedirectHostname, "localhost"), strconv.Itoa(port))}
}

type pasteResult struct {
	line string
	err  error
}

// readPaste reads one line from the terminal in the background.
func readPaste(ctx context.Context, t Terminal) <-chan pasteResult {
	ch := make(chan pasteResult, 1)
	go func() {
		line, err := t.ReadLine(ctx, "Paste the address (or the code) here: ")
		ch <- pasteResult{line, err}
	}()
	return ch
}

// openBrowser opens authURL, or prints it. When the browser fails to open
// and nobody can read the URL (Unattended), the failure goes to failed.
func (g *AuthCode) openBrowser(authURL string, redirect *url.URL, failed chan<- error) {
	if g.Paste != nil {
		g.Log.Printf("Please visit the following URL in your browser: %s\n"+
			"If that browser runs on another machine, it will fail to load %s after the login: "+
			"copy the address of that page from its address bar and paste it here.", authURL, redirect)
		return
	}
	if g.NoBrowser {
		g.Log.Printf("Please visit the following URL in your browser: %s", authURL)
		return
	}
	g.Log.Printf("Opening the browser to log in. If it does not open, visit:\n  %s", authURL)
	report := func(err error) {
		if g.Unattended {
			select {
			case failed <- err:
			default:
			}
		}
	}
	err := g.OpenBrowser(authURL, g.BrowserCommand, func(err error) {
		g.Log.Printf("The browser launcher failed (%v); open the URL above by hand.", err)
		// The system's launcher (xdg-open, open, start) exits at once, and a
		// failure means no browser; a --browser-command may run as long as
		// the browser and exit non-zero after a login attempt.
		if g.BrowserCommand == "" {
			report(err)
		}
	})
	if err != nil {
		g.Log.Printf("Could not start the browser (%v); open the URL above by hand.", err)
		report(err)
	}
}

// randomString returns 32 random bytes, base64url: state and nonce values.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics on a broken source)
	return base64.RawURLEncoding.EncodeToString(b)
}
