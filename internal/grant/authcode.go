// Package grant holds one token source per way of obtaining tokens: the
// refresh link, and the interactive grants it falls back to.
package grant

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/oidc"
	"github.com/kubelogin/kubelogin/internal/system"
	"github.com/kubelogin/kubelogin/internal/token"
)

// AuthCode is the authorization code grant with PKCE through the browser and a
// loopback server (RFC 8252).
type AuthCode struct {
	Client *oidc.Client
	// ListenAddresses are tried in order; ListenAddressesGiven tells whether
	// the user chose them (then a fixed redirect URL must agree with them).
	ListenAddresses      []string
	ListenAddressesGiven bool
	// RedirectURL is --oidc-redirect-url; "" means http://localhost:<port>.
	RedirectURL string
	// RedirectHostname replaces "localhost" in the default redirect URL.
	RedirectHostname string
	Browser          system.Browser
	// BrowserCommand is --browser-command; "" is the system's browser.
	BrowserCommand  string
	SkipOpenBrowser bool
	Timeout         time.Duration
	// LocalServerCert and LocalServerKey serve the callback over HTTPS.
	LocalServerCert, LocalServerKey string
	// OpenURLAfterAuthentication is where the browser goes after the login.
	OpenURLAfterAuthentication string
	Log                        *logger.Logger
}

// Token runs the login. stale is ignored.
func (g *AuthCode) Token(ctx context.Context, _ *token.Set) (*token.Set, error) {
	addrs, fixed, err := redirectPlan(g.RedirectURL, g.ListenAddresses, g.ListenAddressesGiven)
	if err != nil {
		return nil, err
	}
	// Discover first: a provider that cannot be reached fails before any
	// socket is bound or browser opened.
	if _, err := g.Client.Metadata(ctx); err != nil {
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
	state, nonce := randomString(), randomString()
	opts := []oauth2.AuthCodeOption{gooidc.Nonce(nonce)}
	var verifier string
	if usePKCE {
		verifier = oauth2.GenerateVerifier()
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	for k, v := range g.Client.Config().ExtraParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	authURL := conf.AuthCodeURL(state, opts...)

	ctx, cancel := context.WithTimeout(ctx, g.Timeout)
	defer cancel()
	cb := &callbackServer{
		path:       cmp.Or(redirect.Path, "/"),
		state:      state,
		extraHost:  redirect.Host,
		afterLogin: g.OpenURLAfterAuthentication,
		codes:      make(chan callbackResult),
		log:        g.Log,
	}
	srv := &http.Server{Handler: cb, ReadHeaderTimeout: 10 * time.Second}
	for _, l := range ls.ls {
		go func(l net.Listener) {
			if g.LocalServerCert != "" {
				srv.ServeTLS(l, g.LocalServerCert, g.LocalServerKey)
			} else {
				srv.Serve(l)
			}
		}(l)
	}
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer scancel()
		srv.Shutdown(sctx)
	}()

	g.openBrowser(authURL)
	for {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, fmt.Errorf("no login within %s: the browser did not come back to %s (finish the login in the browser, check that the provider allows this redirect URI, or raise --authentication-timeout-sec)", g.Timeout, redirect)
			}
			return nil, fmt.Errorf("login interrupted: %w", ctx.Err())
		case r := <-cb.codes:
			if r.err != nil {
				r.reply <- r.err
				return nil, r.err
			}
			set, err := g.Client.ExchangeCode(ctx, conf, r.code, verifier, nonce)
			r.reply <- err
			if err != nil {
				return nil, err
			}
			return set, nil
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

func (g *AuthCode) openBrowser(authURL string) {
	if g.SkipOpenBrowser {
		g.Log.Printf("Please visit the following URL in your browser: %s", authURL)
		return
	}
	g.Log.Printf("Opening the browser to log in. If it does not open, visit:\n  %s", authURL)
	err := g.Browser.Open(authURL, g.BrowserCommand, func(err error) {
		g.Log.Printf("The browser launcher failed (%v); open the URL above by hand.", err)
	})
	if err != nil {
		g.Log.Printf("Could not start the browser (%v); open the URL above by hand.", err)
	}
}

// randomString returns 32 random bytes, base64url: state and nonce values.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics on a broken source)
	return base64.RawURLEncoding.EncodeToString(b)
}
