package grant

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/oidc"
	"github.com/kubelogin/kubelogin/internal/token"
)

// TypeTokenExchange is the token exchange grant (RFC 8693).
const TypeTokenExchange = "token-exchange"

// ExchangeOptions are the token exchange flags (--token-exchange-*, named
// as in int128/kubelogin's pull request 1617, plus the subject token from a
// file or an environment variable, and the audiences and resources of RFC
// 8693 section 2.1). Token types are short forms or URNs (oidc.TokenType).
type ExchangeOptions struct {
	SubjectToken     token.Secret
	SubjectTokenFile string
	SubjectTokenEnv  string
	SubjectTokenType string
	ActorToken       token.Secret
	ActorTokenType   string
	// RequestedTokenType "" asks for an ID token, or an access token with
	// --oidc-use-access-token.
	RequestedTokenType string
	Audiences          []string
	Resources          []string
}

// DefaultSubjectTokenType is the subject token type when none is given.
const DefaultSubjectTokenType = "access-token"

// subjectSource names where the subject token comes from, for the cache key
// and messages: never the token itself, only its SHA-256 when it is given
// on the command line.
func (x ExchangeOptions) subjectSource() string {
	switch {
	case x.SubjectTokenFile != "":
		return "file:" + x.SubjectTokenFile
	case x.SubjectTokenEnv != "":
		return "env:" + x.SubjectTokenEnv
	case x.SubjectToken != "":
		return "sha256:" + digest(x.SubjectToken)
	}
	return ""
}

func digest(s token.Secret) string {
	sum := sha256.Sum256([]byte(s.Reveal()))
	return hex.EncodeToString(sum[:])
}

// KeyMembers describes the exchange for the cache key: what changes the
// token issued (where the subject token comes from, the token types, the
// audiences and resources), never a token itself.
func (x ExchangeOptions) KeyMembers() map[string]any {
	m := map[string]any{
		"subject":        x.subjectSource(),
		"subject_type":   x.SubjectTokenType,
		"requested_type": x.RequestedTokenType,
		"audience":       x.Audiences,
		"resource":       x.Resources,
	}
	if x.ActorToken != "" {
		m["actor"] = "sha256:" + digest(x.ActorToken)
		m["actor_type"] = x.ActorTokenType
	}
	return m
}

// Check validates the options: one subject token source, known token types,
// an actor token with its type. It is called for --grant-type=token-exchange.
func (x ExchangeOptions) Check() error {
	var given []string
	for _, f := range []struct {
		flag string
		set  bool
	}{
		{"--token-exchange-subject-token", x.SubjectToken != ""},
		{"--token-exchange-subject-token-file", x.SubjectTokenFile != ""},
		{"--token-exchange-subject-token-env", x.SubjectTokenEnv != ""},
	} {
		if f.set {
			given = append(given, f.flag)
		}
	}
	switch {
	case len(given) == 0:
		return errors.New("--grant-type=token-exchange needs the token to exchange: give --token-exchange-subject-token-file, --token-exchange-subject-token-env or --token-exchange-subject-token")
	case len(given) > 1:
		return fmt.Errorf("give only one of %s", strings.Join(given, ", "))
	case x.ActorToken == "" && x.ActorTokenType != "":
		return errors.New("--token-exchange-actor-token-type needs --token-exchange-actor-token")
	case x.ActorToken != "" && x.ActorTokenType == "":
		return errors.New("--token-exchange-actor-token needs --token-exchange-actor-token-type")
	}
	for _, t := range []struct{ flag, value string }{
		{"--token-exchange-subject-token-type", x.SubjectTokenType},
		{"--token-exchange-actor-token-type", x.ActorTokenType},
		{"--token-exchange-requested-token-type", x.RequestedTokenType},
	} {
		if _, err := oidc.TokenType(t.value); err != nil {
			return fmt.Errorf("%s: %w", t.flag, err)
		}
	}
	return nil
}

// TokenExchange is the token exchange grant (RFC 8693): a token from
// elsewhere (a CI job's OIDC token, a Kubernetes service account token, a
// token of another client) is exchanged for one this cluster accepts. No
// browser, no prompt. When the provider issues no refresh token, the
// subject token is read and exchanged again when the issued one expires.
type TokenExchange struct {
	Options ExchangeOptions
	Client  *oidc.Client
	Getenv  func(string) string
	// Assertion authenticates the client; nil means its secret.
	Assertion      oidc.Assertion
	UseAccessToken bool
	Log            *logger.Logger
}

// Token exchanges the subject token. stale is ignored.
func (g *TokenExchange) Token(ctx context.Context, _ *token.Set) (*token.Set, error) {
	x := g.Options
	subject, err := g.subjectToken()
	if err != nil {
		return nil, err
	}
	// Check has validated the types.
	subjectType, _ := oidc.TokenType(cmpOr(x.SubjectTokenType, DefaultSubjectTokenType))
	actorType, _ := oidc.TokenType(x.ActorTokenType)
	requested, _ := oidc.TokenType(x.RequestedTokenType)
	if requested == "" {
		requested = oidc.TokenTypeIDToken
		if g.UseAccessToken {
			requested = oidc.TokenTypeAccessToken
		}
	}
	g.Log.Debugf(1, "exchanging the token from %s (%s) for %s", strings.SplitN(x.subjectSource(), ":", 2)[0], subjectType, requested)
	set, err := g.Client.ExchangeToken(ctx, oidc.Exchange{
		SubjectToken:       subject,
		SubjectTokenType:   subjectType,
		ActorToken:         x.ActorToken,
		ActorTokenType:     actorType,
		RequestedTokenType: requested,
		Audiences:          x.Audiences,
		Resources:          x.Resources,
		Assertion:          g.Assertion,
	}, !g.UseAccessToken)
	if errors.Is(err, oidc.ErrNoIDToken) {
		return nil, errors.New("the provider's token exchange issued no ID token: " +
			"give --token-exchange-requested-token-type=id-token, or --oidc-use-access-token to give kubectl the access token (the API server must accept it)")
	}
	return set, err
}

// subjectToken reads the subject token, from the file or the environment
// at every exchange (a projected service account token rotates).
func (g *TokenExchange) subjectToken() (token.Secret, error) {
	x := g.Options
	switch {
	case x.SubjectTokenFile != "":
		b, err := os.ReadFile(x.SubjectTokenFile)
		if err != nil {
			return "", fmt.Errorf("read --token-exchange-subject-token-file: %w", err)
		}
		t := strings.TrimSpace(string(b))
		if t == "" {
			return "", fmt.Errorf("the file %s (--token-exchange-subject-token-file) is empty: it should hold the token to exchange", x.SubjectTokenFile)
		}
		return token.Secret(t), nil
	case x.SubjectTokenEnv != "":
		t := strings.TrimSpace(g.Getenv(x.SubjectTokenEnv))
		if t == "" {
			return "", fmt.Errorf("the environment variable %s (--token-exchange-subject-token-env) is empty or unset: it should hold the token to exchange", x.SubjectTokenEnv)
		}
		return token.Secret(t), nil
	}
	return x.SubjectToken, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// clientAssertion returns the client assertion that a names, nil for none
// (the client secret, or a public client).
func clientAssertion(a AssertionOptions, env Env) (oidc.Assertion, error) {
	switch {
	case a.Key != "":
		k, err := LoadKeyAssertion(a.Key, a.Cert, a.KID, env.Client.Config().ClientID, env.OS.Now)
		if err != nil {
			return nil, err
		}
		env.Log.Debugf(1, "client assertion: %s, kid %s", k.Algorithm(), k.KeyID())
		return k.Assertion, nil
	case a.File != "":
		return FileAssertion(a.File, env.OS.Now), nil
	case a.Env != "":
		return EnvAssertion(a.Env, env.OS.Getenv, env.OS.Now), nil
	}
	return nil, nil
}
