package cli

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kubelogin/kubelogin/internal/kubeconfig"
	"github.com/kubelogin/kubelogin/internal/oidc"
	"github.com/kubelogin/kubelogin/internal/usecase"
)

// writeSetup shows setup's result: the claims, the cluster role binding, the
// API server's flags, the kubeconfig command, and what --write-kubeconfig
// did. execNote says why the exec form is the one it is ("" for nothing).
func writeSetup(w io.Writer, in usecase.SetupInput, execNote string, res *usecase.SetupResult) error {
	p := in.GetToken.Provider
	user := cmp.Or(in.Kubeconfig.User, "oidc")
	fmt.Fprintf(w, "## Authenticated with the OpenID Connect provider\n\n")
	if res.Claims == nil {
		fmt.Fprintf(w, "The provider sent no ID token (only an access token).\n\n")
	} else {
		sorted, err := json.MarshalIndent(res.Claims, "", "  ") // sorted keys
		if err != nil {
			return fmt.Errorf("the ID token's claims are not JSON: %w", err)
		}
		fmt.Fprintf(w, "You got a token with the following claims:\n\n%s\n\n", sorted)

		fmt.Fprintf(w, "## Bind a cluster role\n\n")
		fmt.Fprintf(w, "Run the following command to make this user a cluster administrator:\n\n")
		fmt.Fprintf(w, "\tkubectl create clusterrolebinding oidc-cluster-admin --clusterrole=cluster-admin --user=%s\n\n", quote(res.Issuer+"#"+res.Subject))
		fmt.Fprintf(w, "The API server names OpenID Connect users ISSUER#SUB by default.\n")
		if res.Email != "" {
			fmt.Fprintf(w, "If it runs with --oidc-username-claim=email, use --user=%s instead.\n", quote(res.Email))
		}
		fmt.Fprintf(w, "\n")
	}
	fmt.Fprintf(w, "## Set up the Kubernetes API server\n\n")
	if audiences := in.Kubeconfig.ClusterAudiences; len(audiences) > 0 {
		fmt.Fprintf(w, "Each cluster's kube-apiserver accepts its own audience only (or the same in an\nAuthenticationConfiguration, see docs/multi-cluster.md):\n\n")
		for _, ca := range audiences {
			fmt.Fprintf(w, "\t%s: --oidc-issuer-url=%s --oidc-client-id=%s\n", ca.Cluster, p.IssuerURL, ca.Audience)
		}
		fmt.Fprintf(w, "\n")
	} else {
		fmt.Fprintf(w, "Add the following flags to kube-apiserver:\n\n")
		fmt.Fprintf(w, "\t--oidc-issuer-url=%s\n\t--oidc-client-id=%s\n\n", p.IssuerURL, p.ClientID)
	}

	fmt.Fprintf(w, "## Set up the kubeconfig\n\n")
	if execNote != "" {
		fmt.Fprintf(w, "%s.\n\n", execNote)
	}
	fmt.Fprintf(w, "Run the following command:\n\n")
	command := cmp.Or(in.Kubeconfig.Command, "kubectl")
	lines := []string{
		"kubectl config set-credentials " + quote(user),
		"--exec-api-version=client.authentication.k8s.io/v1",
		"--exec-interactive-mode=IfAvailable",
		"--exec-command=" + quote(command),
	}
	if len(in.Kubeconfig.ClusterAudiences) > 0 {
		lines = append(lines[:3], append([]string{"--exec-provide-cluster-info=true"}, lines[3:]...)...)
	}
	for _, a := range kubeconfig.Exec(command, nil).Args {
		lines = append(lines, "--exec-arg="+a)
	}
	for _, a := range kubeconfig.RedactArgs(in.ShownArgs) {
		lines = append(lines, quote("--exec-arg="+a))
	}
	fmt.Fprintf(w, "\t%s\n\n", strings.Join(lines, " \\\n\t  "))
	if len(in.Kubeconfig.ClusterAudiences) > 0 {
		fmt.Fprintf(w, "kubectl 1.29 and older have neither --exec-interactive-mode nor\n--exec-provide-cluster-info: leave those lines out, use\n--exec-api-version=client.authentication.k8s.io/v1beta1 instead, and add\nprovideClusterInfo: true to the user's exec section by hand.\n")
		writeClusterAudiences(w, user, in)
	} else {
		fmt.Fprintf(w, "kubectl 1.29 and older have no --exec-interactive-mode: leave that line out and\nuse --exec-api-version=client.authentication.k8s.io/v1beta1 instead.\n")
	}
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
	if res.Kubeconfig != nil {
		writeKubeconfigChange(w, res.Kubeconfig, in.Hidden)
	}
	return nil
}

// writeClusterAudiences shows how to give each cluster its audience and a
// context for user: kubectl config cannot set a cluster's extensions (its
// "set" cannot reach them), so the YAML to add is printed.
func writeClusterAudiences(w io.Writer, user string, in usecase.SetupInput) {
	audiences := in.Kubeconfig.ClusterAudiences
	fmt.Fprintf(w, "\nkubectl config cannot set a cluster's extensions: add this to each cluster\nentry of the kubeconfig (under clusters[].cluster), or run setup with\n--write-kubeconfig to let kubelogin do it:\n\n")
	for _, ca := range audiences {
		fmt.Fprintf(w, "\t- name: %s\n\t  cluster:\n\t    extensions:\n\t    - name: %s\n\t      extension:\n\t        audience: %s\n", ca.Cluster, kubeconfig.ExecExtension, ca.Audience)
	}
	fmt.Fprintf(w, "\nand a context per cluster:\n\n")
	for _, ca := range audiences {
		fmt.Fprintf(w, "\tkubectl config set-context %s --cluster=%s --user=%s\n", quote(user+"@"+ca.Cluster), quote(ca.Cluster), quote(user))
	}
	var missing []string
	for _, ca := range audiences {
		scope := oidc.CrossClientScope(ca.Audience)
		if !slices.Contains(in.GetToken.Provider.ExtraScopes, scope) {
			missing = append(missing, scope)
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(w, "\nWith Dex (cross-client trust), one login serves every cluster only when the\nuser asks for each cluster's scope: add --oidc-extra-scope=%s.\n", strings.Join(missing, ","))
	}
}

// writeKubeconfigChange shows what --write-kubeconfig did.
func writeKubeconfigChange(w io.Writer, c *usecase.KubeconfigChange, hidden []usecase.HiddenFlag) {
	fmt.Fprintf(w, "\n## Write the kubeconfig\n\n")
	for _, f := range c.Files {
		if f.Diff == "" {
			fmt.Fprintf(w, "%s already has user %s%s: nothing to write.\n", f.Path, c.User, ofContext(c.Context))
			continue
		}
		fmt.Fprintf(w, "%s", f.Diff)
		switch {
		case !f.Written:
		case f.Backup != "":
			fmt.Fprintf(w, "\nWrote %s (the previous file is %s).\n", f.Path, f.Backup)
		default:
			fmt.Fprintf(w, "\nWrote %s.\n", f.Path)
		}
	}
	for _, h := range hidden {
		if !h.Written {
			fmt.Fprintf(w, "%s was not written: kubectl must run with %s set.\n", h.Flag, h.EnvVar)
		}
	}
	if c.Context != "" && c.Context != c.CurrentContext {
		fmt.Fprintf(w, "\nTo use it: kubectl config use-context %s\n", quote(c.Context))
	}
	if len(c.ClusterContexts) > 0 {
		fmt.Fprintf(w, "\nOne user, a context per cluster: kubectl --context=%s …\n", strings.Join(c.ClusterContexts, ", --context="))
	}
}

func ofContext(context string) string {
	if context == "" {
		return ""
	}
	return " and context " + context
}

// quote quotes s for a POSIX shell when it needs it.
func quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
