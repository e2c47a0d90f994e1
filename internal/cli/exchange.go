package cli

import (
	"errors"

	"github.com/spf13/pflag"

	"github.com/kubelogin/kubelogin/internal/grant"
	"github.com/kubelogin/kubelogin/internal/usecase"
)

// addExchangeFlags binds the token exchange flags (--grant-type=token-exchange).
func addExchangeFlags(f *pflag.FlagSet, x *grant.ExchangeOptions) {
	const types = "id-token, access-token, jwt, refresh-token or a URN"
	f.StringVar((*string)(&x.SubjectToken), "token-exchange-subject-token", "", "token to exchange, for --grant-type=token-exchange (visible to other users in the process list: prefer --token-exchange-subject-token-file or -env)")
	f.StringVar(&x.SubjectTokenFile, "token-exchange-subject-token-file", "", "file holding the token to exchange, read at every exchange (e.g. a projected service account token)")
	f.StringVar(&x.SubjectTokenEnv, "token-exchange-subject-token-env", "", "name of an environment variable holding the token to exchange (e.g. a CI job's OIDC token)")
	f.StringVar(&x.SubjectTokenType, "token-exchange-subject-token-type", "", "type of the token to exchange: "+types+" (default access-token)")
	f.StringVar((*string)(&x.ActorToken), "token-exchange-actor-token", "", "token of the party acting for the subject (delegation), with --token-exchange-actor-token-type")
	f.StringVar(&x.ActorTokenType, "token-exchange-actor-token-type", "", "type of --token-exchange-actor-token: "+types)
	f.StringVar(&x.RequestedTokenType, "token-exchange-requested-token-type", "", "type of token to ask for: "+types+" (default id-token, or access-token with --oidc-use-access-token)")
	f.StringArrayVar(&x.Audiences, "token-exchange-audience", nil, "audience of the issued token, e.g. the API server's client ID (repeatable)")
	f.StringArrayVar(&x.Resources, "token-exchange-resource", nil, "URI of the resource where the issued token will be used (repeatable)")
}

// checkExchange checks the token exchange flags: only with
// --grant-type=token-exchange, and then complete.
func checkExchange(in usecase.GetTokenInput) error {
	x := in.Login.TokenExchange
	if in.Login.GrantType == grant.TypeTokenExchange {
		return x.Check()
	}
	if x.SubjectToken != "" || x.SubjectTokenFile != "" || x.SubjectTokenEnv != "" || x.SubjectTokenType != "" ||
		x.ActorToken != "" || x.ActorTokenType != "" || x.RequestedTokenType != "" || len(x.Audiences) > 0 || len(x.Resources) > 0 {
		return errors.New("the --token-exchange-* flags are for --grant-type=token-exchange")
	}
	return nil
}
