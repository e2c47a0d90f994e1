// Package usecase orchestrates the commands: it wires the cache, the refresh
// and the grants for one run, and writes the result. It holds no protocol
// logic of its own.
package usecase

import (
	"context"
	"fmt"
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
	var login grant.Source
	switch in.Login.GrantType {
	case GrantAuthCode:
		login = &grant.AuthCode{
			Client:                     client,
			ListenAddresses:            in.Login.ListenAddresses,
			ListenAddressesGiven:       in.Login.ListenAddressesGiven,
			RedirectURL:                in.Login.RedirectURL,
			RedirectHostname:           in.Login.RedirectHostname,
			Browser:                    u.OS.Browser,
			BrowserCommand:             in.Login.BrowserCommand,
			SkipOpenBrowser:            in.Login.SkipOpenBrowser,
			Timeout:                    in.Login.Timeout,
			LocalServerCert:            in.Login.LocalServerCert,
			LocalServerKey:             in.Login.LocalServerKey,
			OpenURLAfterAuthentication: in.Login.OpenURLAfterAuthentication,
			Log:                        u.Log,
		}
	default:
		login = grant.Unavailable{Name: in.Login.GrantType}
	}
	return &grant.Refresh{Client: client, UseAccessToken: in.Provider.UseAccessToken, Next: login, Log: u.Log}, nil
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
		IssuerURL:      in.Provider.IssuerURL,
		ClientID:       in.Provider.ClientID,
		ClientSecret:   in.Provider.ClientSecret.Reveal(),
		Scopes:         in.Provider.ExtraScopes,
		RedirectURL:    in.Login.RedirectURL,
		PKCEMethod:     in.Provider.PKCEMethod,
		UseAccessToken: in.Provider.UseAccessToken,
		RequestHeaders: in.Provider.HTTP.Headers,
		ExtraParams:    in.Provider.ExtraParams,
		CACerts:        caPEMs,
		Username:       in.Login.Username,
	}.Key()
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
