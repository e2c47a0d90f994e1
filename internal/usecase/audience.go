package usecase

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/kubelogin/kubelogin/internal/atomicfile"
	"github.com/kubelogin/kubelogin/internal/execcred"
	"github.com/kubelogin/kubelogin/internal/grant"
	"github.com/kubelogin/kubelogin/internal/oidc"
	"github.com/kubelogin/kubelogin/internal/token"
	"github.com/kubelogin/kubelogin/internal/tokencache"
)

// takeAudience returns the audience of the token kubectl asked for
// (--request-audience, else the cluster's exec extension) and clears it
// from in: the login it is obtained from has the key without it.
func takeAudience(in *GetTokenInput, info execcred.Input) string {
	aud := in.Login.RequestAudience
	if aud == "" {
		aud = info.ClusterAudience
	}
	in.Login.RequestAudience = ""
	return aud
}

// forAudience returns a token for aud, cached under its own key (the
// session's key plus the audience) and obtained from the session (the one
// login of this issuer, client and account) when it is missing or expires.
// The audience entry holds no refresh token: the session's is the only one,
// so a provider that rotates refresh tokens sees one chain per login.
func (u *GetToken) forAudience(ctx context.Context, in GetTokenInput, info execcred.Input, aud string, caPEMs [][]byte,
	session *tokencache.Source, lc *lazyClient) (*token.Set, error) {
	a := *session
	a.Key = audienceKey(in, aud, caPEMs)
	a.Next = &audienceNext{u: u, in: in, info: info, aud: aud, session: session, lc: lc}
	u.Log.Debugf(1, "audience %s (key %s), from the login of key %s", aud, a.Key, session.Key)
	return a.Token(ctx)
}

// audienceKey is the cache key of aud's token: the session's (in has no
// audience) plus the audience.
func audienceKey(in GetTokenInput, aud string, caPEMs [][]byte) string {
	in.Login.RequestAudience = aud
	return cacheKey(in, caPEMs)
}

// audienceNext obtains a token for one audience from the session.
type audienceNext struct {
	u       *GetToken
	in      GetTokenInput
	info    execcred.Input
	aud     string
	session *tokencache.Source
	lc      *lazyClient
}

func (n *audienceNext) Token(ctx context.Context, _ *token.Set) (*token.Set, error) {
	client, err := n.lc.get()
	if err != nil {
		return nil, err
	}
	by := n.in.Login.RequestAudienceBy
	if by == "" || by == grant.AudienceAuto {
		by = grant.AudienceCrossClient
		ok, err := client.SupportsTokenExchange(ctx)
		if err != nil {
			return nil, err
		}
		if ok {
			by = grant.AudienceExchange
		}
	}
	var set *token.Set
	if by == grant.AudienceExchange {
		set, err = n.exchange(ctx, client)
	} else {
		set, err = n.crossClient(ctx, client)
	}
	if err != nil {
		return nil, err
	}
	set.RefreshToken = ""
	return set, nil
}

// exchange exchanges the session's access token (else its ID token) for a
// token for the audience (RFC 8693), in one request.
//
// Without --oidc-use-access-token the audience's entry holds the JWT that
// was verified for the audience, whichever of the answer's tokens it is
// (Keycloak's is the access token), as its ID token, and nothing else:
// credential(set, false), which writes the ExecCredential, and usableAt,
// by which the cache decides whether the entry is still good, both read the
// ID token and its exp, so kubectl gets that JWT and the cache keeps it until
// its own exp (less the margin), not the answer's expires_in. The answer's
// other token is dropped, so an access token issued for the cluster is
// sent nowhere but to that cluster's API server: no entry holds it as an
// access token. With --oidc-use-access-token the access token is the
// credential, as with a login.
func (n *audienceNext) exchange(ctx context.Context, client *oidc.Client) (*token.Set, error) {
	s := *n.session
	s.Usable = subjectUsable(s.Usable)
	sess, err := s.Token(ctx)
	if err != nil {
		return nil, err
	}
	subject, typ := sess.AccessToken, oidc.TokenTypeAccessToken
	if subject == "" {
		subject, typ = sess.IDToken, oidc.TokenTypeIDToken
	}
	x := oidc.Exchange{SubjectToken: token.Secret(subject), SubjectTokenType: typ}
	n.u.Log.Debugf(1, "exchanging the login's token for audience %s", n.aud)
	if n.in.Provider.UseAccessToken {
		x.RequestedTokenType, x.Audiences = oidc.TokenTypeAccessToken, []string{n.aud}
		return client.ExchangeToken(ctx, x, false)
	}
	t, err := client.ExchangeForAudience(ctx, x, n.aud)
	if err != nil {
		return nil, err
	}
	n.u.Log.Debugf(1, "the provider's %s is for audience %s", t.Kind, n.aud)
	return &token.Set{IDToken: t.JWT, ObtainedAt: n.u.OS.Now()}, nil
}

// subjectUsable judges the session as the subject of an exchange: usable as
// usual (by its ID token, or its access token with --oidc-use-access-token)
// and with an access token, the subject, that has not expired either. A
// provider may end access tokens before ID tokens; the exchange of an
// expired one would be refused. An access token whose expiry is unknown is
// taken as it is.
func subjectUsable(usable tokencache.Usable) tokencache.Usable {
	return func(s *token.Set, now time.Time) bool {
		if !usable(s, now) {
			return false
		}
		if s.AccessToken == "" {
			return true
		}
		_, exp, iat, err := credential(s, true)
		return err != nil || exp.IsZero() || now.Add(expiryMargin(exp, iat)).Before(exp)
	}
}

// crossClient refreshes the session with Dex's cross-client scope for the
// audience. The login must have been granted that scope: when the provider
// refuses it (a new cluster), kubelogin logs in once more asking for the
// audiences granted before and this one, and remembers them. The session
// entry then keeps only the refresh token (rotated by every refresh): its
// ID token would name every audience.
func (n *audienceNext) crossClient(ctx context.Context, client *oidc.Client) (*token.Set, error) {
	for range 3 {
		var out *token.Set
		s := *n.session
		s.ForceRefresh = true
		s.Next = nextFunc(func(ctx context.Context, stale *token.Set) (*token.Set, error) {
			if stale != nil && stale.RefreshToken != "" {
				set, err := client.RefreshForAudience(ctx, token.Secret(stale.RefreshToken), n.aud)
				if err == nil {
					out = set
					return &token.Set{RefreshToken: set.RefreshToken, ObtainedAt: set.ObtainedAt}, nil
				}
				if !notGranted(err) {
					return nil, err
				}
				n.u.Log.Debugf(1, "the login was not granted audience %s (%v); logging in again", n.aud, err)
			}
			set, err := n.loginFor(ctx)
			if err != nil {
				return nil, err
			}
			narrowed, err := client.RefreshForAudience(ctx, token.Secret(set.RefreshToken), n.aud)
			if err != nil {
				return nil, err
			}
			out = narrowed
			return &token.Set{RefreshToken: narrowed.RefreshToken, ObtainedAt: narrowed.ObtainedAt}, nil
		})
		if _, err := s.Token(ctx); err != nil {
			return nil, err
		}
		if out != nil {
			return out, nil
		}
		// Another process refreshed the session while this one waited: its
		// refresh token is the current one; go again.
	}
	return nil, errors.New("the login's refresh token kept changing under other kubelogin processes: run the command again")
}

// loginFor logs in with the cross-client scopes of every audience granted
// to this login before and of this one.
func (n *audienceNext) loginFor(ctx context.Context) (*token.Set, error) {
	granted := n.granted()
	if !slices.Contains(granted, n.aud) {
		granted = append(granted, n.aud)
	}
	slices.Sort(granted)
	lc := *n.lc
	lc.client = nil
	lc.in.ExtraScopes = slices.Clone(lc.in.ExtraScopes)
	for _, a := range granted {
		lc.in.ExtraScopes = append(lc.in.ExtraScopes, oidc.CrossClientScope(a))
	}
	client, err := lc.get()
	if err != nil {
		return nil, err
	}
	login, err := grant.New(n.in.Login, grant.Env{Client: client, OS: n.u.OS, Interactive: n.info.Interactive,
		UseAccessToken: n.in.Provider.UseAccessToken, Log: n.u.Log})
	if err != nil {
		return nil, err
	}
	set, err := login.Token(ctx, nil)
	if err != nil {
		return nil, err
	}
	if set.RefreshToken == "" {
		return nil, errors.New("the provider's login gave no refresh token, which --request-audience needs with cross-client audiences: add --oidc-extra-scope=offline_access")
	}
	n.saveGranted(granted)
	return set, nil
}

// notGranted tells a refresh refused for its scope (Dex: invalid_request,
// others invalid_scope) or its refresh token (invalid_grant): a login helps.
func notGranted(err error) bool {
	var te *oidc.TokenError
	return errors.As(err, &te) && (te.Code == "invalid_request" || te.Code == "invalid_scope" || te.Code == "invalid_grant")
}

// The audiences granted to a login are kept beside its entry (names only,
// no secret), so that a new cluster's login asks for the others too, and
// logout finds their tokens.

// audiencesPath is the file of the audiences granted to the login of key.
func audiencesPath(dir, key string) string {
	return filepath.Join(dir, key+tokencache.AudiencesSuffix)
}

// audiencesFile reads the audiences granted to the login of key; none when
// the file is missing or unreadable.
func audiencesFile(dir, key string) []string {
	var auds []string
	if b, err := os.ReadFile(audiencesPath(dir, key)); err == nil {
		_ = json.Unmarshal(b, &auds)
	}
	return auds
}

func (n *audienceNext) granted() []string {
	if n.session.NoStore {
		return nil
	}
	return audiencesFile(n.in.Cache.Dir, n.session.Key)
}

func (n *audienceNext) saveGranted(auds []string) {
	if n.session.NoStore {
		return
	}
	b, _ := json.Marshal(auds)
	if err := atomicfile.Write(audiencesPath(n.in.Cache.Dir, n.session.Key), b, 0o600); err != nil {
		n.u.Log.Printf("warning: remember the audiences of this login: %v", err)
	}
}

// nextFunc adapts a function to tokencache.Next.
type nextFunc func(ctx context.Context, stale *token.Set) (*token.Set, error)

func (f nextFunc) Token(ctx context.Context, stale *token.Set) (*token.Set, error) {
	return f(ctx, stale)
}
