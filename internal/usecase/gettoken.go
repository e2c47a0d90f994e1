// Package usecase orchestrates the commands: it wires the cache, the refresh
// and the grants for one run, and writes the result. It holds no protocol
// logic of its own.
package usecase

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
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

// GetTokenInput is everything get-token was told: each option group is the
// one its package owns, bound to the flags by the command line and passed on
// unchanged.
type GetTokenInput struct {
	Provider oidc.Options
	HTTP     httpclient.Options
	Login    grant.Options
	Cache    tokencache.Options
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
	caPEMs, err := in.HTTP.LoadCACerts()
	if err != nil {
		return nil, err
	}
	aud := takeAudience(&in, info) // the login's key has no audience
	key := cacheKey(in, caPEMs)
	client := lazyClient{in: in.Provider, http: in.HTTP, caPEMs: caPEMs, log: u.Log, now: u.OS.Now}
	if in.Cache.Storage != tokencache.StorageNone {
		client.metadata = tokencache.Disk{Dir: in.Cache.Dir, Now: u.OS.Now}
	}
	// The keyring is opened by reading the entry read first: with an
	// audience, that cluster's token (a cached run then reads one item).
	first := key
	if aud != "" {
		first = audienceKey(in, aud, caPEMs)
	}
	store, err := openStore(in.Cache, first, u.OS.Now)
	if err != nil {
		return nil, err
	}
	src := &tokencache.Source{
		Store:        store,
		Locks:        tokencache.Disk{Dir: in.Cache.Dir, Now: u.OS.Now},
		Key:          key,
		Issuer:       in.Provider.IssuerURL,
		ClientID:     in.Provider.ClientID,
		NoStore:      in.Cache.Storage == tokencache.StorageNone,
		ForceRefresh: in.Cache.ForceRefresh,
		Usable: func(s *token.Set, now time.Time) bool {
			return usableAt(s, in.Provider.UseAccessToken, now)
		},
		Now:         u.OS.Now,
		Next:        &deferred{build: func() (grant.Source, error) { return u.chain(in, info, &client) }},
		Log:         u.Log,
		LockWait:    in.Login.Timeout() + 30*time.Second,
		Unreachable: unreachable(in.HTTP.Timeout),
	}
	if aud != "" {
		return u.forAudience(ctx, in, info, aud, caPEMs, src, &client)
	}
	if peers := crossClientPeers(in.Provider.ExtraScopes); len(peers) > 1 {
		// Said when a token is obtained, not on every cached run.
		next := src.Next
		src.Next = &deferred{build: func() (grant.Source, error) {
			u.Log.Printf("warning: --oidc-extra-scope asks Dex for the audiences %s: a token obtained without a cluster audience names them all, "+
				"and each of those clusters accepts it; give each cluster its own (provideClusterInfo with the cluster's exec extension, or --request-audience)",
				strings.Join(peers, ", "))
			return next, nil
		}}
	}
	return src.Token(ctx)
}

// crossClientPeers lists the peers of Dex's cross-client scopes
// (audience:server:client_id:PEER) among scopes.
func crossClientPeers(scopes []string) []string {
	var peers []string
	for _, s := range scopes {
		if p, ok := strings.CutPrefix(s, "audience:server:client_id:"); ok {
			peers = append(peers, p)
		}
	}
	return peers
}

// chain builds refresh → login. It runs only when the cache cannot answer, so
// a cached run builds no HTTP client and parses no certificate.
func (u *GetToken) chain(in GetTokenInput, info execcred.Input, lc *lazyClient) (grant.Source, error) {
	client, err := lc.get()
	if err != nil {
		return nil, err
	}
	login, err := grant.New(in.Login, grant.Env{
		Client:         client,
		OS:             u.OS,
		Interactive:    info.Interactive,
		UseAccessToken: in.Provider.UseAccessToken,
		Log:            u.Log,
	})
	if err != nil {
		return nil, err
	}
	return &grant.Refresh{Client: client, UseAccessToken: in.Provider.UseAccessToken, Next: login, Log: u.Log}, nil
}

// lazyClient builds the HTTP client and the provider client on first use.
type lazyClient struct {
	in     oidc.Options
	http   httpclient.Options
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
	opts := l.http
	opts.Now = l.now
	hc, err := httpclient.New(opts, l.caPEMs, l.log)
	if err != nil {
		return nil, err
	}
	l.client = oidc.New(oidc.Config{
		IssuerURL:     l.in.IssuerURL,
		ClientID:      l.in.ClientID,
		ClientSecret:  l.in.ClientSecret,
		ExtraScopes:   l.in.ExtraScopes,
		PKCEMethod:    l.in.PKCEMethod,
		ExtraParams:   l.in.AuthRequestExtraParams,
		HTTPClient:    hc,
		MetadataStore: l.metadata,
		Now:           l.now,
		Log:           l.log,
	})
	return l.client, nil
}

// unreachable tells the network failures that mean the provider cannot be
// reached right now (no answer in time, connection refused or reset, a name
// that does not resolve) from everything else: a provider that answers, even
// with an error, or a certificate that does not verify, is not remembered.
func unreachable(timeout time.Duration) func(error) (string, bool) {
	return func(err error) (string, bool) {
		var dns *net.DNSError
		var ne net.Error
		var op *net.OpError
		switch {
		case errors.As(err, &dns):
			return fmt.Sprintf("could not be resolved (%s)", dns.Name), true
		case errors.As(err, &ne) && ne.Timeout():
			return fmt.Sprintf("did not answer within %s (--oidc-request-timeout)", cmp.Or(timeout, httpclient.DefaultTimeout)), true
		case errors.As(err, &op):
			return "could not be connected to", true
		}
		return "", false
	}
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
		RequestHeaders:    in.HTTP.Headers,
		ExtraParams:       in.Provider.AuthRequestExtraParams,
		CACerts:           caPEMs,
		Username:          in.Login.Username,
		ClientCredentials: in.Login.GrantType == grant.TypeClientCredentials,
		ClientAssertion:   in.Login.ClientAssertion.Source(),
		TokenExchange:     exchangeKey(in.Login),
		Audience:          in.Login.RequestAudience,
	}.Key()
}

// DefaultCacheDir is $KUBECACHEDIR/oidc-login, else ~/.kube/cache/oidc-login.
func DefaultCacheDir(getenv func(string) string, userHomeDir func() (string, error)) string {
	if d := getenv("KUBECACHEDIR"); d != "" {
		return filepath.Join(d, "oidc-login")
	}
	home, err := userHomeDir()
	if err != nil {
		home = "."
	}
	return filepath.Join(home, ".kube", "cache", "oidc-login")
}
