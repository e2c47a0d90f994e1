// Package usecase orchestrates the commands: it wires the cache, the refresh
// and the grants for one run, and writes the result. It holds no protocol
// logic of its own.
package usecase

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kubelogin/kubelogin/internal/execcred"
	"github.com/kubelogin/kubelogin/internal/grant"
	"github.com/kubelogin/kubelogin/internal/httpclient"
	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/oidc"
	"github.com/kubelogin/kubelogin/internal/system"
	"github.com/kubelogin/kubelogin/internal/token"
	"github.com/kubelogin/kubelogin/internal/tokencache"
)

// Grant types accepted by --grant-type.
const (
	GrantAuto              = "auto"
	GrantAuthCode          = "authcode"
	GrantAuthCodeKeyboard  = "authcode-keyboard"
	GrantPassword          = "password"
	GrantDeviceCode        = "device-code"
	GrantClientCredentials = "client-credentials"
)

// Cache storages accepted by --token-cache-storage.
const (
	StorageDisk    = "disk"
	StorageKeyring = "keyring"
	StorageNone    = "none"
)

// Provider is how to reach and identify the client at the provider.
type Provider struct {
	IssuerURL      string
	ClientID       string
	ClientSecret   token.Secret
	ExtraScopes    []string
	PKCEMethod     string
	ExtraParams    map[string]string
	UseAccessToken bool
	HTTP           httpclient.Options
}

// Login is how to log in when there is no usable token.
type Login struct {
	GrantType            string
	ListenAddresses      []string
	ListenAddressesGiven bool
	RedirectURL          string
	// RedirectHostname replaces "localhost" in the default redirect URL.
	RedirectHostname           string
	SkipOpenBrowser            bool
	BrowserCommand             string
	Timeout                    time.Duration
	LocalServerCert            string
	LocalServerKey             string
	OpenURLAfterAuthentication string
	Username                   string
	Password                   token.Secret
	// PasswordCommand prints the password (password grant).
	PasswordCommand string
	// A client assertion for the client-credentials grant: a private key
	// (private_key_jwt) with an optional certificate chain, or a federated
	// token in a file or an environment variable. None: the client secret.
	ClientAssertionKey  string
	ClientAssertionCert string
	ClientAssertionKID  string
	ClientAssertionFile string
	ClientAssertionEnv  string
}

// Cache is where tokens are kept between runs.
type Cache struct {
	Dir          string
	Storage      string
	ForceRefresh bool
}

// GetTokenInput is everything get-token was told.
type GetTokenInput struct {
	Provider Provider
	Login    Login
	Cache    Cache
}

// GetToken is the exec credential plugin's main job.
type GetToken struct {
	OS  system.OS
	Log *logger.Logger
}

// NewGetToken returns the use-case.
func NewGetToken(sys system.OS, log *logger.Logger) *GetToken {
	return &GetToken{OS: sys, Log: log}
}

// Run prints an ExecCredential with a usable token, from the cache when possible.
func (u *GetToken) Run(ctx context.Context, in GetTokenInput) error {
	info, err := execcred.ParseEnv(u.OS.Getenv(execcred.EnvName), u.OS.StdinIsTerminal)
	if err != nil {
		return err
	}
	set, err := u.tokenSet(ctx, in, info)
	if err != nil {
		return err
	}
	tok, exp, _, err := credential(set, in.Provider.UseAccessToken)
	if err != nil {
		return fmt.Errorf("the login gave no usable token: %w", err)
	}
	return execcred.Write(u.OS.Stdout, info.APIVersion, tok, exp)
}

func (u *GetToken) tokenSet(ctx context.Context, in GetTokenInput, info execcred.Input) (*token.Set, error) {
	caPEMs, err := in.Provider.HTTP.LoadCACerts()
	if err != nil {
		return nil, err
	}
	key := cacheKey(in, caPEMs)
	client := lazyClient{in: in.Provider, caPEMs: caPEMs, log: u.Log, now: u.OS.Now}
	if in.Cache.Storage != StorageNone {
		client.metadata = tokencache.Disk{Dir: in.Cache.Dir}
	}
	store, err := openStore(in.Cache, key)
	if err != nil {
		return nil, err
	}
	src := &tokencache.Source{
		Store:        store,
		Locks:        tokencache.Disk{Dir: in.Cache.Dir},
		Key:          key,
		Issuer:       in.Provider.IssuerURL,
		ClientID:     in.Provider.ClientID,
		NoStore:      in.Cache.Storage == StorageNone,
		ForceRefresh: in.Cache.ForceRefresh,
		Usable: func(s *token.Set, now time.Time) bool {
			return usableAt(s, in.Provider.UseAccessToken, now)
		},
		Now:      u.OS.Now,
		Next:     &deferred{build: func() (grant.Source, error) { return u.chain(in, info, &client) }},
		Log:      u.Log,
		LockWait: in.Login.Timeout + 30*time.Second,
	}
	return src.Token(ctx)
}

// chain builds refresh → login. It runs only when the cache cannot answer, so
// a cached run builds no HTTP client and parses no certificate.
func (u *GetToken) chain(in GetTokenInput, info execcred.Input, lc *lazyClient) (grant.Source, error) {
	client, err := lc.get()
	if err != nil {
		return nil, err
	}
	login, err := u.login(in, info, client)
	if err != nil {
		return nil, err
	}
	return &grant.Refresh{Client: client, UseAccessToken: in.Provider.UseAccessToken, Next: login, Log: u.Log}, nil
}

// login builds the grant that --grant-type selects.
func (u *GetToken) login(in GetTokenInput, info execcred.Input, client *oidc.Client) (grant.Source, error) {
	// The terminal is the plugin's only when kubectl says so: with
	// interactiveMode Never, stdin is kubectl's and must not be read.
	var term grant.Terminal
	if info.Interactive {
		term = system.NewConsole(u.OS.Stdin, u.OS.Stderr)
	}
	// Without a display (an SSH session, a server), a browser started here
	// would be invisible: print the URL instead.
	noBrowser := in.Login.SkipOpenBrowser || in.Login.BrowserCommand == "" && !system.CanOpenBrowser(u.OS.Getenv)
	switch in.Login.GrantType {
	case GrantAuthCode:
		g := &grant.AuthCode{
			Client:                     client,
			ListenAddresses:            in.Login.ListenAddresses,
			ListenAddressesGiven:       in.Login.ListenAddressesGiven,
			RedirectURL:                in.Login.RedirectURL,
			RedirectHostname:           in.Login.RedirectHostname,
			Browser:                    u.OS.Browser,
			BrowserCommand:             in.Login.BrowserCommand,
			SkipOpenBrowser:            noBrowser,
			Timeout:                    in.Login.Timeout,
			LocalServerCert:            in.Login.LocalServerCert,
			LocalServerKey:             in.Login.LocalServerKey,
			OpenURLAfterAuthentication: in.Login.OpenURLAfterAuthentication,
			Log:                        u.Log,
		}
		if noBrowser && term != nil {
			g.Paste = term // the browser may be on another machine: take the code pasted too
		}
		return g, nil
	case GrantAuthCodeKeyboard:
		return &grant.AuthCodeKeyboard{
			Client:      client,
			RedirectURL: in.Login.RedirectURL,
			Terminal:    term,
			Timeout:     in.Login.Timeout,
			Log:         u.Log,
		}, nil
	case GrantDeviceCode:
		return &grant.DeviceCode{
			Client:          client,
			Browser:         u.OS.Browser,
			BrowserCommand:  in.Login.BrowserCommand,
			SkipOpenBrowser: noBrowser,
			QRCode:          u.OS.StderrIsTerminal,
			UseAccessToken:  in.Provider.UseAccessToken,
			Timeout:         in.Login.Timeout,
			Log:             u.Log,
		}, nil
	case GrantPassword:
		var stdin io.Reader
		if info.Interactive {
			stdin = u.OS.Stdin // a password manager may ask to be unlocked
		}
		return &grant.Password{
			Client:          client,
			Username:        in.Login.Username,
			Password:        in.Login.Password,
			PasswordCommand: in.Login.PasswordCommand,
			RunCommand: func(ctx context.Context, command string) ([]byte, error) {
				return system.RunCommand(ctx, command, stdin, u.OS.Stderr)
			},
			Terminal:       term,
			UseAccessToken: in.Provider.UseAccessToken,
			Log:            u.Log,
		}, nil
	case GrantClientCredentials:
		g := &grant.ClientCredentials{
			Client:         client,
			ExtraParams:    in.Provider.ExtraParams,
			UseAccessToken: in.Provider.UseAccessToken,
			Log:            u.Log,
		}
		switch {
		case in.Login.ClientAssertionKey != "":
			k, err := grant.LoadKeyAssertion(in.Login.ClientAssertionKey, in.Login.ClientAssertionCert, in.Login.ClientAssertionKID, in.Provider.ClientID, u.OS.Now)
			if err != nil {
				return nil, err
			}
			u.Log.Debugf(1, "client assertion: %s, kid %s", k.Algorithm(), k.KeyID())
			g.Assertion = k.Assertion
		case in.Login.ClientAssertionFile != "":
			g.Assertion = grant.FileAssertion(in.Login.ClientAssertionFile, u.OS.Now)
		case in.Login.ClientAssertionEnv != "":
			g.Assertion = grant.EnvAssertion(in.Login.ClientAssertionEnv, u.OS.Getenv, u.OS.Now)
		}
		return g, nil
	}
	return nil, fmt.Errorf("unknown grant type %q", in.Login.GrantType)
}

// lazyClient builds the HTTP client and the provider client on first use.
type lazyClient struct {
	in     Provider
	caPEMs [][]byte
	log    *logger.Logger
	now    func() time.Time
	// metadata keeps discovery and JWKS between runs; nil with --token-cache-storage=none.
	metadata oidc.MetadataStore
	client   *oidc.Client
}

func (l *lazyClient) get() (*oidc.Client, error) {
	if l.client != nil {
		return l.client, nil
	}
	hc, err := httpclient.New(l.in.HTTP, l.caPEMs, l.log)
	if err != nil {
		return nil, err
	}
	l.client = oidc.New(oidc.Config{
		IssuerURL:     l.in.IssuerURL,
		ClientID:      l.in.ClientID,
		ClientSecret:  l.in.ClientSecret,
		ExtraScopes:   l.in.ExtraScopes,
		PKCEMethod:    l.in.PKCEMethod,
		ExtraParams:   l.in.ExtraParams,
		HTTPClient:    hc,
		MetadataStore: l.metadata,
		Now:           l.now,
		Log:           l.log,
	})
	return l.client, nil
}

// deferred builds its source on first use.
type deferred struct {
	build func() (grant.Source, error)
}

func (d *deferred) Token(ctx context.Context, stale *token.Set) (*token.Set, error) {
	src, err := d.build()
	if err != nil {
		return nil, err
	}
	return src.Token(ctx, stale)
}

func cacheKey(in GetTokenInput, caPEMs [][]byte) string {
	return tokencache.KeyInput{
		IssuerURL:         in.Provider.IssuerURL,
		ClientID:          in.Provider.ClientID,
		ClientSecret:      in.Provider.ClientSecret.Reveal(),
		Scopes:            in.Provider.ExtraScopes,
		RedirectURL:       in.Login.RedirectURL,
		PKCEMethod:        in.Provider.PKCEMethod,
		UseAccessToken:    in.Provider.UseAccessToken,
		RequestHeaders:    in.Provider.HTTP.Headers,
		ExtraParams:       in.Provider.ExtraParams,
		CACerts:           caPEMs,
		Username:          in.Login.Username,
		ClientCredentials: in.Login.GrantType == GrantClientCredentials,
		ClientAssertion:   assertionSource(in.Login),
	}.Key()
}

// assertionSource names where the client assertion comes from, for the cache key.
func assertionSource(l Login) string {
	switch {
	case l.ClientAssertionKey != "":
		return "key:" + l.ClientAssertionKey
	case l.ClientAssertionFile != "":
		return "file:" + l.ClientAssertionFile
	case l.ClientAssertionEnv != "":
		return "env:" + l.ClientAssertionEnv
	}
	return ""
}

// DefaultCacheDir is $KUBECACHEDIR/oidc-login, else ~/.kube/cache/oidc-login.
func DefaultCacheDir(getenv func(string) string) string {
	if d := getenv("KUBECACHEDIR"); d != "" {
		return filepath.Join(d, "oidc-login")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return filepath.Join(home, ".kube", "cache", "oidc-login")
}
