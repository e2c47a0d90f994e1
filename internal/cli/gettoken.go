package cli

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kubelogin/kubelogin/internal/grant"
	"github.com/kubelogin/kubelogin/internal/httpclient"
	"github.com/kubelogin/kubelogin/internal/oidc"
	"github.com/kubelogin/kubelogin/internal/token"
	"github.com/kubelogin/kubelogin/internal/usecase"
)

// getTokenOptions are the get-token flags, named exactly as int128/kubelogin names them.
type getTokenOptions struct {
	IssuerURL              string
	ClientID               string
	ClientSecret           string
	RedirectURL            string
	ExtraScopes            []string
	UseAccessToken         bool
	RequestHeaders         map[string]string
	AuthRequestExtraParams map[string]string
	LoginHint              string
	PKCEMethod             string
	UsePKCE                bool
	ForceRefresh           bool

	TokenCacheDir     string
	TokenCacheStorage string

	CertificateAuthority     []string
	CertificateAuthorityData []string
	InsecureSkipTLSVerify    bool
	TLSRenegotiationOnce     bool
	TLSRenegotiationFreely   bool
	RequestTimeout           time.Duration

	GrantType                  string
	ListenAddresses            []string
	SkipOpenBrowser            bool
	BrowserCommand             string
	AuthenticationTimeoutSec   int
	LocalServerCert            string
	LocalServerKey             string
	OpenURLAfterAuthentication string
	Username                   string
	Password                   string
	PasswordCommand            string

	ClientAssertionKey  string
	ClientAssertionCert string
	ClientAssertionKID  string
	ClientAssertionFile string
	ClientAssertionEnv  string

	// Flags of older versions that kubeconfigs still carry.
	ListenPort                  []int
	RedirectURLHostname         string
	RedirectURLAuthCodeKeyboard string
}

func (o *getTokenOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.IssuerURL, "oidc-issuer-url", "", "issuer URL of the OpenID provider (required)")
	f.StringVar(&o.ClientID, "oidc-client-id", "", "client ID registered at the provider (required)")
	f.StringVar(&o.ClientSecret, "oidc-client-secret", "", "client secret, for confidential clients")
	f.StringVar(&o.RedirectURL, "oidc-redirect-url", "", "redirect URI sent to the provider; its path is the callback path (default http://localhost:<port bound>; for authcode-keyboard "+grant.DefaultKeyboardRedirectURL+")")
	f.StringSliceVar(&o.ExtraScopes, "oidc-extra-scope", nil, "scope to request besides openid (repeatable, or a comma-separated list)")
	f.BoolVar(&o.UseAccessToken, "oidc-use-access-token", false, "give kubectl the access token instead of the ID token")
	f.StringToStringVar(&o.RequestHeaders, "oidc-request-header", nil, "extra header KEY=VALUE on every request to the provider (repeatable)")
	f.StringToStringVar(&o.AuthRequestExtraParams, "oidc-auth-request-extra-params", nil, "extra parameter KEY=VALUE in the authorization request (repeatable)")
	f.StringVar(&o.LoginHint, "oidc-login-hint", "", "account to log in as, sent as login_hint; each account has its own cached login")
	f.StringVar(&o.PKCEMethod, "oidc-pkce-method", oidc.PKCEAuto, "PKCE method: auto (S256 when the provider lists it), no or S256")
	f.BoolVar(&o.UsePKCE, "oidc-use-pkce", false, "same as --oidc-pkce-method=S256 (deprecated)")
	f.BoolVar(&o.ForceRefresh, "force-refresh", false, "refresh the token even if the cached one is still valid")

	f.StringVar(&o.TokenCacheDir, "token-cache-dir", "", "token cache directory (default $KUBECACHEDIR/oidc-login, else ~/.kube/cache/oidc-login)")
	f.StringVar(&o.TokenCacheStorage, "token-cache-storage", usecase.StorageDisk, "token cache storage: disk, keyring or none")

	f.StringArrayVar(&o.CertificateAuthority, "certificate-authority", nil, "PEM file of a CA to trust for the provider, besides the system's (repeatable)")
	f.StringArrayVar(&o.CertificateAuthorityData, "certificate-authority-data", nil, "base64 PEM of a CA to trust for the provider, besides the system's (repeatable)")
	f.BoolVar(&o.InsecureSkipTLSVerify, "insecure-skip-tls-verify", false, "do not verify the provider's certificate (insecure: for tests only)")
	f.BoolVar(&o.TLSRenegotiationOnce, "tls-renegotiation-once", false, "allow the provider to renegotiate TLS once")
	f.BoolVar(&o.TLSRenegotiationFreely, "tls-renegotiation-freely", false, "allow the provider to renegotiate TLS repeatedly")
	f.DurationVar(&o.RequestTimeout, "oidc-request-timeout", httpclient.DefaultTimeout, "give up on a request to the provider after this long")

	f.StringVar(&o.GrantType, "grant-type", usecase.GrantAuto, "how to log in: auto (password when --username is set, else authcode), authcode, authcode-keyboard, password, device-code or client-credentials")
	f.StringSliceVar(&o.ListenAddresses, "listen-address", grant.DefaultListenAddresses, "addresses for the login callback server, tried in order (host:port; port 0 = any free port)")
	f.BoolVar(&o.SkipOpenBrowser, "skip-open-browser", false, "print the login URL instead of opening a browser")
	f.StringVar(&o.BrowserCommand, "browser-command", "", "program to open the login URL with (default: the system's browser)")
	f.IntVar(&o.AuthenticationTimeoutSec, "authentication-timeout-sec", 180, "how long to wait for the login to finish, in seconds")
	f.StringVar(&o.LocalServerCert, "local-server-cert", "", "certificate file to serve the login callback over HTTPS")
	f.StringVar(&o.LocalServerKey, "local-server-key", "", "key file to serve the login callback over HTTPS")
	f.StringVar(&o.OpenURLAfterAuthentication, "open-url-after-authentication", "", "page to send the browser to after the login")
	f.StringVar(&o.Username, "username", "", "username for the password grant (prompted for when missing, if interactive)")
	f.StringVar(&o.Password, "password", "", "password for the password grant (prompted for without echo when missing, if interactive)")
	f.StringVar(&o.PasswordCommand, "password-command", "", "shell command that prints the password for the password grant (e.g. a password manager's), run only when a login is needed")

	f.StringVar(&o.ClientAssertionKey, "oidc-client-assertion-key", "", "PEM private key (RSA or EC) to sign client assertions with (private_key_jwt), for --grant-type=client-credentials")
	f.StringVar(&o.ClientAssertionCert, "oidc-client-assertion-cert", "", "PEM certificate chain of --oidc-client-assertion-key, sent as x5c")
	f.StringVar(&o.ClientAssertionKID, "oidc-client-assertion-kid", "", "kid of --oidc-client-assertion-key as registered at the provider (default: the certificate's SHA-256 thumbprint, else the key's JWK thumbprint)")
	f.StringVar(&o.ClientAssertionFile, "oidc-client-assertion-file", "", "file holding a federated token (JWT) to authenticate the client with, read at every login (e.g. a projected service account token), for --grant-type=client-credentials")
	f.StringVar(&o.ClientAssertionEnv, "oidc-client-assertion-env", "", "name of an environment variable holding a federated token (JWT) to authenticate the client with, for --grant-type=client-credentials")

	f.IntSliceVar(&o.ListenPort, "listen-port", nil, "obsolete: use --listen-address")
	f.StringVar(&o.RedirectURLHostname, "oidc-redirect-url-hostname", "", "obsolete: use --oidc-redirect-url")
	f.StringVar(&o.RedirectURLAuthCodeKeyboard, "oidc-redirect-url-authcode-keyboard", "", "obsolete: use --oidc-redirect-url")
	for _, name := range []string{"oidc-use-pkce", "listen-port", "oidc-redirect-url-hostname", "oidc-redirect-url-authcode-keyboard"} {
		f.MarkHidden(name)
	}
}

var (
	grantTypes = []string{usecase.GrantAuto, usecase.GrantAuthCode, usecase.GrantAuthCodeKeyboard, usecase.GrantPassword, usecase.GrantDeviceCode, usecase.GrantClientCredentials}
	storages   = []string{usecase.StorageDisk, usecase.StorageKeyring, usecase.StorageNone}
	pkce       = []string{oidc.PKCEAuto, oidc.PKCENo, oidc.PKCES256}
)

// input checks the flags and turns them into use-case input. warn receives
// notes about obsolete flags.
func (o *getTokenOptions) input(flags *pflag.FlagSet, getenv func(string) string, warn func(string, ...any)) (usecase.GetTokenInput, error) {
	var in usecase.GetTokenInput
	if o.IssuerURL == "" {
		return in, errors.New("--oidc-issuer-url is missing")
	}
	if o.ClientID == "" {
		return in, errors.New("--oidc-client-id is missing")
	}
	if err := oneOf("--grant-type", o.GrantType, grantTypes); err != nil {
		return in, err
	}
	if err := oneOf("--token-cache-storage", o.TokenCacheStorage, storages); err != nil {
		return in, err
	}
	if err := oneOf("--oidc-pkce-method", o.PKCEMethod, pkce); err != nil {
		return in, err
	}
	if o.AuthenticationTimeoutSec <= 0 {
		return in, fmt.Errorf("--authentication-timeout-sec must be positive, not %d", o.AuthenticationTimeoutSec)
	}
	if o.RequestTimeout <= 0 {
		return in, fmt.Errorf("--oidc-request-timeout must be positive, not %s", o.RequestTimeout)
	}
	if (o.LocalServerCert == "") != (o.LocalServerKey == "") {
		return in, errors.New("give both --local-server-cert and --local-server-key, or neither")
	}
	if err := o.checkClientAuth(); err != nil {
		return in, err
	}
	pkceMethod := o.PKCEMethod
	if o.UsePKCE {
		pkceMethod = oidc.PKCES256
	}
	grantType := o.GrantType
	if grantType == usecase.GrantAuto {
		grantType = usecase.GrantAuthCode
		if o.Username != "" {
			grantType = usecase.GrantPassword
		}
	}
	addrs, addrsGiven := o.ListenAddresses, flags.Changed("listen-address")
	if len(o.ListenPort) > 0 {
		warn("warning: --listen-port is obsolete; use --listen-address=127.0.0.1:PORT")
		if !addrsGiven {
			addrs = nil
			for _, p := range o.ListenPort {
				addrs = append(addrs, net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			}
			addrsGiven = true
		}
	}
	redirectURL := o.RedirectURL
	if o.RedirectURLHostname != "" {
		warn("warning: --oidc-redirect-url-hostname is obsolete; use --oidc-redirect-url")
	}
	if o.RedirectURLAuthCodeKeyboard != "" {
		warn("warning: --oidc-redirect-url-authcode-keyboard is obsolete; use --oidc-redirect-url")
		if grantType == usecase.GrantAuthCodeKeyboard && redirectURL == "" {
			redirectURL = o.RedirectURLAuthCodeKeyboard
		}
	}
	cacheDir := o.TokenCacheDir
	if cacheDir == "" {
		cacheDir = usecase.DefaultCacheDir(getenv)
	}
	extraParams, err := o.extraParams()
	if err != nil {
		return in, err
	}
	in = usecase.GetTokenInput{
		Provider: usecase.Provider{
			IssuerURL:      o.IssuerURL,
			ClientID:       o.ClientID,
			ClientSecret:   token.Secret(o.ClientSecret),
			ExtraScopes:    o.ExtraScopes,
			PKCEMethod:     pkceMethod,
			ExtraParams:    extraParams,
			UseAccessToken: o.UseAccessToken,
			HTTP: httpclient.Options{
				CAFiles:               o.CertificateAuthority,
				CAData:                o.CertificateAuthorityData,
				InsecureSkipTLSVerify: o.InsecureSkipTLSVerify,
				RenegotiateOnce:       o.TLSRenegotiationOnce,
				RenegotiateFreely:     o.TLSRenegotiationFreely,
				Headers:               o.RequestHeaders,
				Timeout:               o.RequestTimeout,
			},
		},
		Login: usecase.Login{
			GrantType:                  grantType,
			ListenAddresses:            addrs,
			ListenAddressesGiven:       addrsGiven,
			RedirectURL:                redirectURL,
			RedirectHostname:           o.RedirectURLHostname,
			SkipOpenBrowser:            o.SkipOpenBrowser,
			BrowserCommand:             o.BrowserCommand,
			Timeout:                    time.Duration(o.AuthenticationTimeoutSec) * time.Second,
			LocalServerCert:            o.LocalServerCert,
			LocalServerKey:             o.LocalServerKey,
			OpenURLAfterAuthentication: o.OpenURLAfterAuthentication,
			Username:                   o.Username,
			Password:                   token.Secret(o.Password),
			PasswordCommand:            o.PasswordCommand,
			ClientAssertionKey:         o.ClientAssertionKey,
			ClientAssertionCert:        o.ClientAssertionCert,
			ClientAssertionKID:         o.ClientAssertionKID,
			ClientAssertionFile:        o.ClientAssertionFile,
			ClientAssertionEnv:         o.ClientAssertionEnv,
		},
		Cache: usecase.Cache{Dir: cacheDir, Storage: o.TokenCacheStorage, ForceRefresh: o.ForceRefresh},
	}
	return in, nil
}

// checkClientAuth checks the client assertion flags: at most one assertion,
// only for the client-credentials grant, which needs some client
// authentication.
func (o *getTokenOptions) checkClientAuth() error {
	var given []string
	for _, a := range []struct{ flag, value string }{
		{"--oidc-client-assertion-key", o.ClientAssertionKey},
		{"--oidc-client-assertion-file", o.ClientAssertionFile},
		{"--oidc-client-assertion-env", o.ClientAssertionEnv},
	} {
		if a.value != "" {
			given = append(given, a.flag)
		}
	}
	switch {
	case len(given) > 1:
		return fmt.Errorf("give only one of %s", strings.Join(given, ", "))
	case o.ClientAssertionCert != "" && o.ClientAssertionKey == "":
		return errors.New("--oidc-client-assertion-cert needs --oidc-client-assertion-key (the certificate's private key)")
	case o.ClientAssertionKID != "" && o.ClientAssertionKey == "":
		return errors.New("--oidc-client-assertion-kid needs --oidc-client-assertion-key")
	case len(given) == 1 && o.GrantType != usecase.GrantClientCredentials:
		return fmt.Errorf("%s is for --grant-type=client-credentials", given[0])
	case len(given) == 1 && o.ClientSecret != "":
		return fmt.Errorf("give either --oidc-client-secret or %s, not both", given[0])
	case o.GrantType == usecase.GrantClientCredentials && len(given) == 0 && o.ClientSecret == "":
		return errors.New("--grant-type=client-credentials needs the client to authenticate: give --oidc-client-secret, " +
			"--oidc-client-assertion-key (private_key_jwt), --oidc-client-assertion-file or --oidc-client-assertion-env (a federated token)")
	}
	return nil
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
			used, err := applyFlagEnv(cmd.Flags(), c.OS.Getenv)
			if err != nil {
				return err
			}
			if v, err := cmd.Flags().GetInt("v"); err == nil {
				c.Log.SetLevel(v) // KUBELOGIN_V applies too
			}
			if len(used) > 0 {
				c.Log.Debugf(1, "flags set from the environment: %s", strings.Join(used, ", "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := o.input(cmd.Flags(), c.OS.Getenv, c.Log.Printf)
			if err != nil {
				return err
			}
			return c.GetToken.Run(cmd.Context(), in)
		},
	}
	o.addFlags(cmd.Flags())
	documentFlagEnv(cmd.Flags())
	return cmd
}
