package kubeconfig

import (
	"strings"
)

// AuthProvider is the legacy "auth-provider: {name: oidc}" of a kubeconfig
// user, which kubectl no longer runs and kubelogin's standalone mode fills in.
type AuthProvider struct {
	IssuerURL    string
	ClientID     string
	ClientSecret string
	CAFile       string
	CAData       string
	ExtraScopes  []string
	IDToken      string
	RefreshToken string
}

// OIDCAuthProvider returns the user's oidc auth-provider, if it has one.
func (u User) OIDCAuthProvider() (*AuthProvider, bool) {
	if u.AuthProvider == nil || u.AuthProvider.Name != "oidc" {
		return nil, false
	}
	c := u.AuthProvider.Config
	a := &AuthProvider{
		IssuerURL:    c["idp-issuer-url"],
		ClientID:     c["client-id"],
		ClientSecret: c["client-secret"],
		CAFile:       c["idp-certificate-authority"],
		CAData:       c["idp-certificate-authority-data"],
		IDToken:      c["id-token"],
		RefreshToken: c["refresh-token"],
	}
	for _, s := range strings.Split(c["extra-scopes"], ",") {
		if s = strings.TrimSpace(s); s != "" {
			a.ExtraScopes = append(a.ExtraScopes, s)
		}
	}
	return a, true
}

// GetTokenArgs returns the get-token flags that reproduce the auth-provider.
func (a *AuthProvider) GetTokenArgs() []string {
	args := []string{"--oidc-issuer-url=" + a.IssuerURL, "--oidc-client-id=" + a.ClientID}
	if a.ClientSecret != "" {
		args = append(args, "--oidc-client-secret="+a.ClientSecret)
	}
	for _, s := range a.ExtraScopes {
		args = append(args, "--oidc-extra-scope="+s)
	}
	if a.CAFile != "" {
		args = append(args, "--certificate-authority="+a.CAFile)
	}
	if a.CAData != "" {
		args = append(args, "--certificate-authority-data="+a.CAData)
	}
	return args
}

// Exec returns the exec section that runs kubelogin get-token with args:
// "kubectl oidc-login get-token …" for command "kubectl" (the krew plugin,
// as setup prints it), else "<command> get-token …". The apiVersion is v1
// and interactiveMode IfAvailable: kubectl then tells the plugin whether
// someone is at the terminal, so password and keyboard prompts work there and
// background tools never get one.
func Exec(command string, args []string) *ExecConfig {
	var all []string
	if isKubectl(command) {
		all = append(all, "oidc-login")
	}
	all = append(all, "get-token")
	return &ExecConfig{
		APIVersion:      "client.authentication.k8s.io/v1",
		Command:         command,
		Args:            append(all, args...),
		InteractiveMode: InteractiveIfAvailable,
	}
}

// KubeloginArgs returns the get-token flags of an exec section that runs
// kubelogin get-token (int128/kubelogin's or this one: they take the same
// flags), the arguments before them, and whether it does. Azure's kubelogin,
// also called kubelogin, is told apart by its flags.
func KubeloginArgs(ex *ExecConfig) (prefix, flags []string, ok bool) {
	if ex == nil {
		return nil, nil, false
	}
	args := ex.Args
	name := baseName(ex.Command)
	switch {
	case isKubectl(ex.Command) && len(args) >= 2 && args[0] == "oidc-login" && args[1] == "get-token":
		prefix, flags = args[:2], args[2:]
	case (name == "kubelogin" || name == "kubectl-oidc_login") && len(args) >= 1 && args[0] == "get-token":
		prefix, flags = args[:1], args[1:]
	default:
		return nil, nil, false
	}
	hasIssuer := false
	for _, a := range flags {
		flag, _, _ := strings.Cut(a, "=")
		switch flag {
		case "--server-id", "--login", "-l", "--environment", "-e", "--tenant-id", "-t":
			return nil, nil, false // Azure kubelogin
		case "--oidc-issuer-url":
			hasIssuer = true
		}
	}
	return prefix, flags, hasIssuer
}

// IsKubectlPlugin reports whether the exec section runs kubelogin as a
// kubectl plugin ("kubectl oidc-login …").
func IsKubectlPlugin(ex *ExecConfig) bool {
	return ex != nil && isKubectl(ex.Command) && len(ex.Args) > 0 && ex.Args[0] == "oidc-login"
}

func isKubectl(command string) bool { return baseName(command) == "kubectl" }

// baseName is the program name of command, whichever the OS that wrote it.
func baseName(command string) string {
	return strings.TrimSuffix(command[strings.LastIndexAny(command, `/\`)+1:], ".exe")
}
