package cli

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kubelogin/kubelogin/internal/grant"
	"github.com/kubelogin/kubelogin/internal/httpclient"
	"github.com/kubelogin/kubelogin/internal/oidc"
	"github.com/kubelogin/kubelogin/internal/system"
	"github.com/kubelogin/kubelogin/internal/tokencache"
	"github.com/kubelogin/kubelogin/internal/usecase"
)

// getTokenOptions are the get-token flags, named exactly as int128/kubelogin
// names them. Each flag is bound straight into the option group of the package
// that uses it (usecase.GetTokenInput); input checks them and resolves the
// defaults that depend on other flags.
type getTokenOptions struct {
	usecase.GetTokenInput

	// fromEnv holds the flags set from their KUBELOGIN_* variable: errors
	// about them name the variable and never show its value.
	fromEnv map[string]bool

	// Flags of older versions that kubeconfigs still carry.
	UsePKCE                     bool
	ListenPort                  []int
	RedirectURLAuthCodeKeyboard string
}

func (o *getTokenOptions) addFlags(f *pflag.FlagSet) {
	p, h, l, c := &o.Provider, &o.HTTP, &o.Login, &o.Cache
	f.StringVar(&p.IssuerURL, "oidc-issuer-url", "", "issuer URL of the OpenID provider (required)")
	f.StringVar(&p.ClientID, "oidc-client-id", "", "client ID registered at the provider (required)")
	f.StringVar((*string)(&p.ClientSecret), "oidc-client-secret", "", "client secret, for confidential clients")
	f.StringVar(&l.RedirectURL, "oidc-redirect-url", "", "redirect URI sent to the provider; its path is the callback path (default http://localhost:<port bound>; for authcode-keyboard "+grant.DefaultKeyboardRedirectURL+")")
	f.StringSliceVar(&p.ExtraScopes, "oidc-extra-scope", nil, "scope to request besides openid (repeatable, or a comma-separated list)")
	f.BoolVar(&p.UseAccessToken, "oidc-use-access-token", false, "give kubectl the access token instead of the ID token")
	f.StringToStringVar(&h.Headers, "oidc-request-header", nil, "extra header KEY=VALUE on every request to the provider (repeatable)")
	f.StringToStringVar(&p.AuthRequestExtraParams, "oidc-auth-request-extra-params", nil, "extra parameter KEY=VALUE in the authorization request (repeatable)")
	f.StringVar(&p.LoginHint, "oidc-login-hint", "", "account to log in as, sent as login_hint; each account has its own cached login")
	f.StringVar(&p.PKCEMethod, "oidc-pkce-method", oidc.PKCEAuto, "PKCE method: auto (S256 when the provider lists it), no or S256")
	f.BoolVar(&o.UsePKCE, "oidc-use-pkce", false, "same as --oidc-pkce-method=S256 (deprecated)")
	f.BoolVar(&c.ForceRefresh, "force-refresh", false, "refresh the token even if the cached one is still valid")

	f.StringVar(&c.Dir, "token-cache-dir", "", "token cache directory (default $KUBECACHEDIR/oidc-login, else ~/.kube/cache/oidc-login)")
	f.StringVar(&c.Storage, "token-cache-storage", tokencache.StorageDisk, "token cache storage: disk, keyring or none")

	f.StringArrayVar(&h.CAFiles, "certificate-authority", nil, "PEM file of a CA to trust for the provider, besides the system's (repeatable)")
	f.StringArrayVar(&h.CAData, "certificate-authority-data", nil, "base64 PEM of a CA to trust for the provider, besides the system's (repeatable)")
	f.BoolVar(&h.InsecureSkipTLSVerify, "insecure-skip-tls-verify", false, "do not verify the provider's certificate (insecure: for tests only)")
	f.BoolVar(&h.RenegotiateOnce, "tls-renegotiation-once", false, "allow the provider to renegotiate TLS once")
	f.BoolVar(&h.RenegotiateFreely, "tls-renegotiation-freely", false, "allow the provider to renegotiate TLS repeatedly")
	f.DurationVar(&h.Timeout, "oidc-request-timeout", httpclient.DefaultTimeout, "give up on a request to the provider after this long")

	f.StringVar(&l.GrantType, "grant-type", grant.TypeAuto, "how to log in: auto (password when --username is set, else authcode), authcode, authcode-keyboard, password, device-code, client-credentials or token-exchange")
	f.StringSliceVar(&l.ListenAddresses, "listen-address", grant.DefaultListenAddresses, "addresses for the login callback server, tried in order (host:port; port 0 = any free port)")
	f.BoolVar(&l.SkipOpenBrowser, "skip-open-browser", false, "print the login URL instead of opening a browser")
	f.StringVar(&l.BrowserCommand, "browser-command", "", "program to open the login URL with (default: the system's browser)")
	f.IntVar(&l.AuthenticationTimeoutSec, "authentication-timeout-sec", 180, "how long to wait for the login to finish, in seconds")
	f.StringVar(&l.LocalServerCert, "local-server-cert", "", "certificate file to serve the login callback over HTTPS")
	f.StringVar(&l.LocalServerKey, "local-server-key", "", "key file to serve the login callback over HTTPS")
	f.StringVar(&l.OpenURLAfterAuthentication, "open-url-after-authentication", "", "page to send the browser to after the login")
	f.StringVar(&l.Username, "username", "", "username for the password grant (prompted for when missing, if interactive)")
	f.StringVar((*string)(&l.Password), "password", "", "password for the password grant (prompted for without echo when missing, if interactive)")
	f.StringVar(&l.PasswordCommand, "password-command", "", "shell command that prints the password for the password grant (e.g. a password manager's), run only when a login is needed")

	a := &l.ClientAssertion
	f.StringVar(&a.Key, "oidc-client-assertion-key", "", "PEM private key (RSA or EC) to sign client assertions with (private_key_jwt), for --grant-type=client-credentials")
	f.StringVar(&a.Cert, "oidc-client-assertion-cert", "", "PEM certificate chain of --oidc-client-assertion-key, sent as x5c")
	f.StringVar(&a.KID, "oidc-client-assertion-kid", "", "kid of --oidc-client-assertion-key as registered at the provider (default: the certificate's SHA-256 thumbprint, else the key's JWK thumbprint)")
	f.StringVar(&a.File, "oidc-client-assertion-file", "", "file holding a federated token (JWT) to authenticate the client with, read at every login (e.g. a projected service account token), for --grant-type=client-credentials")
	f.StringVar(&a.Env, "oidc-client-assertion-env", "", "name of an environment variable holding a federated token (JWT) to authenticate the client with, for --grant-type=client-credentials")

	addExchangeFlags(f, &l.TokenExchange)
	f.StringVar(&l.RequestAudience, "request-audience", "", "audience of the token for this cluster (its API server's expected audience): one login serves every audience, each audience gets its own token (default: the cluster's exec extension, with provideClusterInfo)")
	f.StringVar(&l.RequestAudienceBy, "request-audience-by", grant.AudienceAuto, "how to obtain a token for --request-audience: auto (token-exchange when the provider's discovery lists it, else cross-client), token-exchange (RFC 8693) or cross-client (Dex's audience:server:client_id scope)")

	f.IntSliceVar(&o.ListenPort, "listen-port", nil, "obsolete: use --listen-address")
	f.StringVar(&l.RedirectHostname, "oidc-redirect-url-hostname", "", "obsolete: use --oidc-redirect-url")
	f.StringVar(&o.RedirectURLAuthCodeKeyboard, "oidc-redirect-url-authcode-keyboard", "", "obsolete: use --oidc-redirect-url")
	for _, name := range []string{"oidc-use-pkce", "listen-port", "oidc-redirect-url-hostname", "oidc-redirect-url-authcode-keyboard"} {
		f.MarkHidden(name)
	}
}

var pkce = []string{oidc.PKCEAuto, oidc.PKCENo, oidc.PKCES256}

// input checks the flags, resolves the defaults that depend on other flags
// and the obsolete flags, and returns the option groups. warn receives notes
// about obsolete flags.
func (o *getTokenOptions) input(flags *pflag.FlagSet, sys system.OS, warn func(string, ...any)) (usecase.GetTokenInput, error) {
	if err := o.check(o.GetTokenInput); err != nil {
		return o.GetTokenInput, err
	}
	return o.checkedInput(flags, sys, warn), nil
}

// checkedInput is input once check has passed.
func (o *getTokenOptions) checkedInput(flags *pflag.FlagSet, sys system.OS, warn func(string, ...any)) usecase.GetTokenInput {
	in := o.GetTokenInput
	p, l := &in.Provider, &in.Login
	if o.UsePKCE {
		p.PKCEMethod = oidc.PKCES256
	}
	if l.GrantType == grant.TypeAuto {
		l.GrantType = grant.TypeAuthCode
		if l.Username != "" {
			l.GrantType = grant.TypePassword
		}
	}
	l.ListenAddressesGiven = flags.Changed("listen-address")
	if len(o.ListenPort) > 0 {
		warn("warning: --listen-port is obsolete; use --listen-address=127.0.0.1:PORT")
		if !l.ListenAddressesGiven {
			l.ListenAddresses = nil
			for _, port := range o.ListenPort {
				l.ListenAddresses = append(l.ListenAddresses, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			}
			l.ListenAddressesGiven = true
		}
	}
	if l.RedirectHostname != "" {
		warn("warning: --oidc-redirect-url-hostname is obsolete; use --oidc-redirect-url")
	}
	if o.RedirectURLAuthCodeKeyboard != "" {
		warn("warning: --oidc-redirect-url-authcode-keyboard is obsolete; use --oidc-redirect-url")
		if l.GrantType == grant.TypeAuthCodeKeyboard && l.RedirectURL == "" {
			l.RedirectURL = o.RedirectURLAuthCodeKeyboard
		}
	}
	if in.Cache.Dir == "" {
		in.Cache.Dir = usecase.DefaultCacheDir(sys.Getenv, sys.UserHomeDir)
	}
	p.AuthRequestExtraParams, _ = p.ExtraParams() // checked by check
	return in
}

// check validates the flags, each error naming the flag (or its variable) and
// what to give instead.
func (o *getTokenOptions) check(in usecase.GetTokenInput) error {
	p, l := in.Provider, in.Login
	if err := missing(map[string]string{"oidc-issuer-url": p.IssuerURL, "oidc-client-id": p.ClientID}); err != nil {
		return err
	}
	if err := o.checkIssuerURL(p.IssuerURL); err != nil {
		return err
	}
	if err := o.oneOf("grant-type", l.GrantType, grant.Types); err != nil {
		return err
	}
	if err := o.oneOf("token-cache-storage", in.Cache.Storage, tokencache.Storages); err != nil {
		return err
	}
	if err := o.oneOf("oidc-pkce-method", p.PKCEMethod, pkce); err != nil {
		return err
	}
	if l.AuthenticationTimeoutSec <= 0 {
		return fmt.Errorf("%s must be a positive number of seconds", o.name("authentication-timeout-sec"))
	}
	if in.HTTP.Timeout <= 0 {
		return fmt.Errorf("%s must be a positive duration, e.g. 30s", o.name("oidc-request-timeout"))
	}
	if (l.LocalServerCert == "") != (l.LocalServerKey == "") {
		return errors.New("give both --local-server-cert and --local-server-key, or neither")
	}
	if l.Password != "" && l.Username == "" && l.GrantType == grant.TypeAuto {
		return fmt.Errorf("%s is given without --username: add --username=USER (the password grant logs in as that user)", o.name("password"))
	}
	if err := checkClientAuth(in); err != nil {
		return err
	}
	if err := checkExchange(in); err != nil {
		return err
	}
	if err := oneOf("--request-audience-by", l.RequestAudienceBy, grant.AudienceMethods); err != nil {
		return err
	}
	if _, err := p.ExtraParams(); err != nil {
		return err
	}
	return nil
}

// checkClientAuth checks the client assertion flags: at most one assertion,
// only for the client-credentials grant, which needs some client
// authentication.
func checkClientAuth(in usecase.GetTokenInput) error {
	a, grantType := in.Login.ClientAssertion, in.Login.GrantType
	var given []string
	for _, f := range []struct{ flag, value string }{
		{"--oidc-client-assertion-key", a.Key},
		{"--oidc-client-assertion-file", a.File},
		{"--oidc-client-assertion-env", a.Env},
	} {
		if f.value != "" {
			given = append(given, f.flag)
		}
	}
	switch {
	case len(given) > 1:
		return fmt.Errorf("give only one of %s", strings.Join(given, ", "))
	case a.Cert != "" && a.Key == "":
		return errors.New("--oidc-client-assertion-cert needs --oidc-client-assertion-key (the certificate's private key)")
	case a.KID != "" && a.Key == "":
		return errors.New("--oidc-client-assertion-kid needs --oidc-client-assertion-key")
	case len(given) == 1 && grantType != grant.TypeClientCredentials && grantType != grant.TypeTokenExchange:
		return fmt.Errorf("%s is for --grant-type=client-credentials", given[0])
	case len(given) == 1 && in.Provider.ClientSecret != "":
		return fmt.Errorf("give either --oidc-client-secret or %s, not both", given[0])
	case grantType == grant.TypeClientCredentials && len(given) == 0 && in.Provider.ClientSecret == "":
		return errors.New("--grant-type=client-credentials needs the client to authenticate: give --oidc-client-secret, " +
			"--oidc-client-assertion-key (private_key_jwt), --oidc-client-assertion-file or --oidc-client-assertion-env (a federated token)")
	}
	return nil
}

// applyEnv sets the flags not given from their environment variables (see
// applyFlagEnv) and remembers which, for the error messages. It returns the
// variables used.
func (o *getTokenOptions) applyEnv(fs *pflag.FlagSet, getenv func(string) string) ([]string, error) {
	set, err := applyFlagEnv(fs, getenv)
	o.fromEnv = nil
	if len(set) > 0 {
		o.fromEnv = make(map[string]bool, len(set))
		for _, f := range set {
			o.fromEnv[f.Name] = true
		}
	}
	return envNames(set), err
}

// name is how an error names a flag: --flag, or the environment variable
// that set it.
func (o *getTokenOptions) name(flag string) string {
	if o.fromEnv[flag] {
		return "environment variable " + flagEnvName(flag)
	}
	return "--" + flag
}

// oneOf checks a flag with a fixed set of values; a value from the
// environment is not echoed (it could be a secret set in the wrong variable).
func (o *getTokenOptions) oneOf(flag, v string, allowed []string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	if o.fromEnv[flag] {
		return fmt.Errorf("environment variable %s is not one of %s", flagEnvName(flag), strings.Join(allowed, ", "))
	}
	return oneOf("--"+flag, v, allowed)
}

// missing reports every required flag that is empty, in one line, each with
// its environment variable, and an example.
func missing(required map[string]string) error {
	var names, envs, examples []string
	for _, name := range []string{"oidc-issuer-url", "oidc-client-id"} {
		if v, ok := required[name]; ok && v == "" {
			names = append(names, "--"+name)
			envs = append(envs, flagEnvName(name))
			examples = append(examples, "--"+name+"="+requiredExample[name])
		}
	}
	switch len(names) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%s is missing (or set %s), e.g. %s", names[0], envs[0], examples[0])
	}
	return fmt.Errorf("%s are missing (or set %s), e.g. %s", strings.Join(names, " and "), strings.Join(envs, " and "), strings.Join(examples, " "))
}

var requiredExample = map[string]string{"oidc-issuer-url": "https://issuer.example.com", "oidc-client-id": "YOUR_CLIENT_ID"}

// checkIssuerURL checks --oidc-issuer-url before any request: a URL with a
// scheme and a host, https unless the host is loopback, and the issuer itself
// rather than its discovery document.
func (o *getTokenOptions) checkIssuerURL(raw string) error {
	name := o.name("oidc-issuer-url")
	shown := name + "=" + raw
	if o.fromEnv["oidc-issuer-url"] {
		shown = name
	}
	const example = "e.g. https://issuer.example.com"
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Scheme == "" || u.Host == "" && u.Opaque == "":
		return fmt.Errorf("%s is not a URL: give the provider's issuer with its scheme, %s", shown, example)
	case u.Scheme != "https" && u.Scheme != "http", u.Opaque != "":
		return fmt.Errorf("%s is not an https:// URL: give the provider's issuer, %s", shown, example)
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		return fmt.Errorf("%s uses http:// to a host that is not this machine: use https:// (tokens and codes would cross the network in clear text, and kube-apiserver accepts only https issuers)", shown)
	case strings.Contains(u.Path, "/.well-known/"):
		return fmt.Errorf("%s is a discovery document, not the issuer: drop %s from it", shown, u.Path[strings.Index(u.Path, "/.well-known/"):])
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%s has a query or fragment: give the provider's issuer exactly as its discovery document says", shown)
	}
	return nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func oneOf(flag, v string, allowed []string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return fmt.Errorf("%s=%s is not one of %s", flag, v, strings.Join(allowed, ", "))
}

func (c *Cmd) getTokenCmd() *cobra.Command {
	var o getTokenOptions
	cmd := &cobra.Command{
		Use:   "get-token --oidc-issuer-url=URL --oidc-client-id=ID [flags]",
		Short: "Print an ExecCredential with an OpenID Connect token (run by kubectl)",
		Long: `get-token prints an ExecCredential for kubectl on stdout.

It returns the cached ID token while it is valid (no network), refreshes it
silently when it has expired, and logs in only when it has to. All messages go
to stderr. kubectl sets KUBERNETES_EXEC_INFO to choose the output apiVersion.

Every flag can also be set by the environment variable shown beside it
(KUBELOGIN_ and the flag's name in upper snake case); a flag on the command
line wins.`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			used, err := o.applyEnv(cmd.Flags(), c.flagGetenv())
			if err != nil {
				return err
			}
			c.logFlags(cmd.Flags(), used)
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := o.input(cmd.Flags(), c.OS, c.Log.Printf)
			if err != nil {
				return err
			}
			return c.getToken(cmd.Context(), in)
		},
	}
	o.addFlags(cmd.Flags())
	documentFlagEnv(cmd.Flags())
	return cmd
}

// logFlags sets the log level from -v (KUBELOGIN_V applies too) and logs the
// variables that set flags.
func (c *Cmd) logFlags(fs *pflag.FlagSet, used []string) {
	if v, err := fs.GetInt("v"); err == nil {
		c.Log.SetLevel(v)
	}
	if len(used) > 0 {
		c.Log.Debugf(1, "flags set from the environment: %s", strings.Join(used, ", "))
	}
}

// getTokenDirect reads a get-token command line without cobra: the flags of
// getTokenCmd (the same addFlags, parsed by the same pflag), -v, their
// variables and checks, exactly as that command reads them. The cached call
// runs before every kubectl request, and building and executing the cobra
// command around these flags was a tenth of its time. Help, flag errors,
// failed checks and arguments are left to cobra (ok false), so that their
// messages come from one place: get-token runs here only with flags that
// parse and check, where the command would run the same use-case with the
// same input (TestGetTokenDirectAsTheCommand).
func (c *Cmd) getTokenDirect(args []string) (in usecase.GetTokenInput, ok bool) {
	if len(args) == 0 || args[0] != "get-token" {
		return in, false
	}
	var o getTokenOptions
	var verbosity int
	fs := pflag.NewFlagSet(args[0], pflag.ContinueOnError)
	fs.SortFlags = false // nothing here lists flags; applyFlagEnv orders what it applies
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	addVerbosity(fs, &verbosity)
	o.addFlags(fs)
	if fs.Parse(args[1:]) != nil || fs.NArg() > 0 {
		return in, false
	}
	used, err := o.applyEnv(fs, c.flagGetenv())
	if err != nil || o.check(o.GetTokenInput) != nil {
		return in, false
	}
	c.logFlags(fs, used)
	return o.checkedInput(fs, c.OS, c.Log.Printf), true
}
