package usecase

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/kubelogin/kubelogin/internal/token"
)

// SetupInput is what setup was told.
type SetupInput struct {
	GetToken GetTokenInput
	// ExecArgs are the get-token flags that reproduce the ones given, for
	// the kubeconfig: the client secret included, never a password.
	ExecArgs []string
	// ShownArgs are the same for the printed command, without secrets.
	ShownArgs []string
	// Hidden are the secret flags left out of ShownArgs, each with the
	// environment variable that can give it instead.
	Hidden     []HiddenFlag
	Kubeconfig SetupKubeconfig
}

// HiddenFlag is a secret flag setup does not print.
type HiddenFlag struct {
	// Flag is the flag, with the header name for --oidc-request-header:
	// --oidc-client-secret, --oidc-request-header=X-Api-Key.
	Flag   string
	EnvVar string // e.g. KUBELOGIN_OIDC_CLIENT_SECRET
	// Written tells whether --write-kubeconfig writes it into the kubeconfig.
	Written bool
}

// SetupKubeconfig says whether and where setup writes the kubeconfig.
type SetupKubeconfig struct {
	Write bool
	// Files are the kubeconfig files in play (kubeconfig.Files).
	Files []string
	// User is the name of the kubeconfig user (default "oidc").
	User string
	// Context, when set, is pointed at User (and at Cluster when set);
	// Cluster alone makes a context named User@Cluster.
	Context string
	Cluster string
}

// Setup is the first-time wizard: it logs in without the cache and shows
// what the cluster and the kubeconfig need.
type Setup struct {
	GetToken *GetToken
}

// NewSetup returns the use-case.
func NewSetup(g *GetToken) *Setup { return &Setup{GetToken: g} }

// Run logs in, prints the report on stdout, and writes the kubeconfig when asked.
func (u *Setup) Run(ctx context.Context, in SetupInput) error {
	var plan *kubeconfigPlan
	if in.Kubeconfig.Write {
		var err error
		if plan, err = planKubeconfig(in); err != nil {
			return err
		}
	}
	u.GetToken.Log.Printf("Logging in to %s (without the token cache)...", in.GetToken.Provider.IssuerURL)
	set, err := u.GetToken.Login(ctx, in.GetToken, nil)
	if err != nil {
		return err
	}
	var claims *token.Claims
	if set.IDToken != "" {
		if claims, err = token.DecodeClaims(set.IDToken); err != nil {
			return fmt.Errorf("the provider's ID token cannot be decoded: %w", err)
		}
	}
	w := u.GetToken.OS.Stdout
	if err := writeSetupReport(w, in, claims); err != nil {
		return err
	}
	if plan != nil {
		return plan.write(w, u.GetToken.OS.Now())
	}
	return nil
}

func writeSetupReport(w io.Writer, in SetupInput, claims *token.Claims) error {
	p := in.GetToken.Provider
	user := cmp.Or(in.Kubeconfig.User, "oidc")
	fmt.Fprintf(w, "## Authenticated with the OpenID Connect provider\n\n")
	if claims == nil {
		fmt.Fprintf(w, "The provider sent no ID token (only an access token).\n\n")
	} else {
		m, err := claims.Map()
		if err != nil {
			return fmt.Errorf("the ID token's claims are not JSON: %w", err)
		}
		sorted, _ := json.MarshalIndent(m, "", "  ") // sorted keys
		fmt.Fprintf(w, "You got a token with the following claims:\n\n%s\n\n", sorted)

		issuer := cmp.Or(claims.Issuer, p.IssuerURL)
		fmt.Fprintf(w, "## Bind a cluster role\n\n")
		fmt.Fprintf(w, "Run the following command to make this user a cluster administrator:\n\n")
		fmt.Fprintf(w, "\tkubectl create clusterrolebinding oidc-cluster-admin --clusterrole=cluster-admin --user=%s\n\n", quote(issuer+"#"+claims.Subject))
		fmt.Fprintf(w, "The API server names OpenID Connect users ISSUER#SUB by default.\n")
		if claims.Email != "" {
			fmt.Fprintf(w, "If it runs with --oidc-username-claim=email, use --user=%s instead.\n", quote(claims.Email))
		}
		fmt.Fprintf(w, "\n")
	}
	fmt.Fprintf(w, "## Set up the Kubernetes API server\n\nAdd the following flags to kube-apiserver:\n\n")
	fmt.Fprintf(w, "\t--oidc-issuer-url=%s\n\t--oidc-client-id=%s\n\n", p.IssuerURL, p.ClientID)

	fmt.Fprintf(w, "## Set up the kubeconfig\n\nRun the following command:\n\n")
	lines := []string{
		"kubectl config set-credentials " + quote(user),
		"--exec-api-version=client.authentication.k8s.io/v1",
		"--exec-interactive-mode=IfAvailable",
		"--exec-command=kubectl",
		"--exec-arg=oidc-login",
		"--exec-arg=get-token",
	}
	for _, a := range in.ShownArgs {
		lines = append(lines, quote("--exec-arg="+a))
	}
	fmt.Fprintf(w, "\t%s\n\n", strings.Join(lines, " \\\n\t  "))
	fmt.Fprintf(w, "kubectl 1.29 and older have no --exec-interactive-mode: leave that line out and\nuse --exec-api-version=client.authentication.k8s.io/v1beta1 instead.\n")
	for _, h := range in.Hidden {
		if h.Written {
			fmt.Fprintf(w, "%s is not shown: set %s in kubectl's environment,\nor add --exec-arg=%s=... to the command.\n", h.Flag, h.EnvVar, h.Flag)
		} else {
			fmt.Fprintf(w, "%s is not shown: set %s in kubectl's environment,\nor let get-token ask for it on the terminal.\n", h.Flag, h.EnvVar)
		}
	}
	if !in.Kubeconfig.Write {
		fmt.Fprintf(w, "Or run setup again with --write-kubeconfig (and --context=NAME) to let kubelogin write it.\n")
	}
	fmt.Fprintf(w, "\n## Verify cluster access\n\nMake sure you can access the Kubernetes cluster:\n\n\tkubectl --user=%s auth whoami\n\n", quote(user))
	fmt.Fprintf(w, "You can switch the current context to this user:\n\n\tkubectl config set-context --current --user=%s\n", quote(user))
	return nil
}

// quote quotes s for a POSIX shell when it needs it.
func quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
