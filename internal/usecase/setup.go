package usecase

import (
	"cmp"
	"context"
	"fmt"

	"github.com/kubelogin/kubelogin/internal/kubeconfig"
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
	// Command is the exec command that runs kubelogin: "kubectl" (kubectl
	// oidc-login get-token) or kubelogin's path (see
	// kubeconfig.ResolveExecCommand); "" is "kubectl".
	Command string
	// ClusterAudiences (--cluster-audience) give each cluster its audience
	// in its exec extension, the user provideClusterInfo: true, and each
	// cluster a context USER@CLUSTER: one user for many clusters.
	ClusterAudiences []kubeconfig.ClusterAudience
}

// SetupResult is what setup learnt and did, for the command line to show.
type SetupResult struct {
	// Claims are the ID token's claims; nil when the provider sent none.
	Claims map[string]any
	// Issuer is the ID token's issuer (else the provider's); Subject and
	// Email name the user.
	Issuer, Subject, Email string
	// Kubeconfig is what --write-kubeconfig did; nil without it.
	Kubeconfig *KubeconfigChange
}

// KubeconfigChange is setup's change to the kubeconfig files.
type KubeconfigChange struct {
	Files   []FileChange
	User    string
	Context string
	// CurrentContext is the current context of the kubeconfig.
	CurrentContext string
	// ClusterContexts are the contexts USER@CLUSTER of --cluster-audience.
	ClusterContexts []string
}

// FileChange is the change of one kubeconfig file.
type FileChange struct {
	Path string
	// Diff is the change, secrets redacted; "" when there was none.
	Diff string
	// Written tells whether the file was written, and Backup where the
	// previous one is kept ("" for a new file).
	Written bool
	Backup  string
}

// Setup is the first-time wizard: it logs in without the cache and returns
// what the cluster and the kubeconfig need.
type Setup struct {
	GetToken *GetToken
}

// NewSetup returns the use-case.
func NewSetup(g *GetToken) *Setup { return &Setup{GetToken: g} }

// Run logs in, and writes the kubeconfig when asked. The kubeconfig change is
// prepared before the login, so that a mistake in the flags shows before any
// browser opens. On an error after the login, the result says what was done.
func (u *Setup) Run(ctx context.Context, in SetupInput) (*SetupResult, error) {
	var plan *kubeconfigPlan
	if in.Kubeconfig.Write {
		var err error
		if plan, err = planKubeconfig(in); err != nil {
			return nil, err
		}
	}
	u.GetToken.Log.Printf("Logging in to %s (without the token cache)...", in.GetToken.Provider.IssuerURL)
	set, err := u.GetToken.Login(ctx, in.GetToken, nil)
	if err != nil {
		return nil, err
	}
	res := &SetupResult{Issuer: in.GetToken.Provider.IssuerURL}
	if set.IDToken != "" {
		claims, err := token.DecodeClaims(set.IDToken)
		if err != nil {
			return nil, fmt.Errorf("the provider's ID token cannot be decoded: %w", err)
		}
		if res.Claims, err = claims.Map(); err != nil {
			return nil, fmt.Errorf("the ID token's claims are not JSON: %w", err)
		}
		res.Issuer = cmp.Or(claims.Issuer, res.Issuer)
		res.Subject, res.Email = claims.Subject, claims.Email
	}
	if plan != nil {
		res.Kubeconfig = &KubeconfigChange{User: plan.user, Context: plan.context, CurrentContext: plan.current, ClusterContexts: plan.clusterContexts}
		err = plan.write(res.Kubeconfig, u.GetToken.OS.Now())
	}
	return res, err
}
