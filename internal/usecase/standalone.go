package usecase

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kubelogin/kubelogin/internal/kubeconfig"
	"github.com/kubelogin/kubelogin/internal/token"
)

// Standalone is the legacy mode of the bare kubelogin command: it logs in for
// a kubeconfig user with the "auth-provider: oidc" of old kubectl versions and
// writes the tokens into it, as int128/kubelogin does.
type Standalone struct {
	GetToken *GetToken
}

// NewStandalone returns the use-case.
func NewStandalone(g *GetToken) *Standalone { return &Standalone{GetToken: g} }

// StandaloneTarget is the kubeconfig user the standalone mode works for.
type StandaloneTarget struct {
	// Path is the kubeconfig file that defines the user.
	Path         string
	User         string
	AuthProvider *kubeconfig.AuthProvider
}

// ErrNoStandaloneConfig says how to set kubelogin up when the kubeconfig has
// nothing for the standalone mode.
var ErrNoStandaloneConfig = errors.New(`kubelogin with no command logs in for a kubeconfig user with "auth-provider: oidc"; to set up kubelogin as kubectl's credential plugin instead, run "kubelogin setup" (see kubelogin --help)`)

// Find returns the user the standalone mode works for: userName, else the
// user of contextName, else of the current context, in files.
func (u *Standalone) Find(files []string, contextName, userName string) (*StandaloneTarget, error) {
	set, err := kubeconfig.LoadSet(files)
	if err != nil {
		return nil, err
	}
	if len(set.Files) == 0 {
		return nil, fmt.Errorf("no kubeconfig at %v: %w", files, ErrNoStandaloneConfig)
	}
	if userName == "" {
		name := cmp.Or(contextName, set.CurrentContext())
		if name == "" {
			return nil, fmt.Errorf("the kubeconfig has no current context (give --context or --user): %w", ErrNoStandaloneConfig)
		}
		c, ok := set.Context(name)
		if !ok {
			return nil, fmt.Errorf("context %q is not in the kubeconfig", name)
		}
		userName = c.User
	}
	f, ok := set.UserFile(userName)
	if !ok {
		return nil, fmt.Errorf("user %q is not in the kubeconfig", userName)
	}
	usr, _ := f.User(userName)
	ap, ok := usr.OIDCAuthProvider()
	if !ok {
		return nil, fmt.Errorf("user %q has no oidc auth-provider: %w", userName, ErrNoStandaloneConfig)
	}
	return &StandaloneTarget{Path: f.Path, User: userName, AuthProvider: ap}, nil
}

// Run keeps a valid ID token, else refreshes or logs in, and writes the new
// tokens into the kubeconfig. Messages go to stderr, as the incumbent's do.
func (u *Standalone) Run(ctx context.Context, t *StandaloneTarget, in GetTokenInput) error {
	log, now := u.GetToken.Log, u.GetToken.OS.Now()
	log.Printf("Note: kubectl only refreshes auth-provider tokens and cannot log in; \"kubelogin convert-kubeconfig\" makes kubectl run kubelogin by itself.")
	log.Debugf(1, "using the oidc auth-provider of user %s in %s", t.User, t.Path)
	stale := &token.Set{IDToken: t.AuthProvider.IDToken, RefreshToken: t.AuthProvider.RefreshToken}
	if stale.IDToken != "" && !in.Cache.ForceRefresh && usableAt(stale, false, now) {
		log.Printf("You already have a valid token until %s.", expiry(stale.IDToken))
		return nil
	}
	if stale.IDToken == "" && stale.RefreshToken == "" {
		stale = nil
	}
	set, err := u.GetToken.Login(ctx, in, stale)
	if err != nil {
		return err
	}
	if set.IDToken == "" {
		return errors.New("the provider sent no ID token, which the auth-provider needs")
	}
	f, err := kubeconfig.Open(t.Path)
	if err != nil {
		return err
	}
	f.NoBackup = true // tokens change at every login: backups of them would pile up
	f.SetAuthProviderTokens(t.User, set.IDToken, set.RefreshToken)
	if _, err := f.Write(now); err != nil {
		return err
	}
	log.Printf("You got a valid token until %s; it is in %s (user %s).", expiry(set.IDToken), t.Path, t.User)
	return nil
}

func expiry(idToken string) string {
	c, err := token.DecodeClaims(idToken)
	if err != nil {
		return "?"
	}
	return c.Expiry.Local().Format(time.RFC3339)
}
