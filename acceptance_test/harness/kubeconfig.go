package harness

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
)

// API versions of the exec credential the kubeconfig asks for.
const (
	ExecV1      = "client.authentication.k8s.io/v1"
	ExecV1beta1 = "client.authentication.k8s.io/v1beta1"
)

// Exec is the user's exec entry, written the way DROP_IN.md's kubeconfigs are.
type Exec struct {
	// APIVersion is ExecV1 or ExecV1beta1.
	APIVersion string
	// Krew writes `command: kubectl` with `args: [oidc-login, get-token, …]`
	// (the krew install); otherwise `command: kubelogin` with `args: [get-token, …]`.
	Krew bool
	// InteractiveMode is written when set; v1 needs one, so v1 defaults to IfAvailable.
	InteractiveMode string
	// Flags are the get-token flags.
	Flags []string
	// Server is the cluster's API server; "" is the stack's.
	Server string
}

// UserName is the kubeconfig user entry the harness writes.
const UserName = "oidc"

// LoginFlags are the get-token flags every kubeconfig of the suite carries:
// the issuer, the public client with PKCE (DROP_IN.md seed 1), the scopes
// the Dex guides add (email: the API server names users by the email claim;
// offline_access: Dex issues refresh tokens only for it), the CA of Dex's
// certificate, and the browser program. With inlineCA, the form of DROP_IN.md
// seed 4: more extra scopes, one as a comma list, and the CA as
// certificate-authority-data.
func (s *Stack) LoginFlags(inlineCA bool) ([]string, error) {
	flags := []string{
		"--oidc-issuer-url=" + s.Issuer,
		"--oidc-client-id=" + PublicClientID,
		"--oidc-use-pkce",
		"--oidc-extra-scope=email",
		"--oidc-extra-scope=offline_access",
	}
	if inlineCA {
		flags = append(flags, "--oidc-extra-scope=profile,groups")
		pem, err := s.TLS.CAData()
		if err != nil {
			return nil, err
		}
		flags = append(flags, "--certificate-authority-data="+base64.StdEncoding.EncodeToString(pem))
	} else {
		flags = append(flags, "--certificate-authority="+s.TLS.CACert)
	}
	return append(flags, "--browser-command="+s.Browser), nil
}

// WriteKubeconfig writes the user's kubeconfig: the cluster (with its CA
// inline), the exec user, and a current context using both.
func (u *User) WriteKubeconfig(e Exec) error {
	if e.APIVersion == "" {
		e.APIVersion = ExecV1
	}
	if e.APIVersion == ExecV1 && e.InteractiveMode == "" {
		e.InteractiveMode = "IfAvailable"
	}
	command, args := "kubelogin", append([]string{"get-token"}, e.Flags...)
	if e.Krew {
		command, args = "kubectl", append([]string{"oidc-login", "get-token"}, e.Flags...)
	}
	pem, err := u.stack.TLS.CAData()
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: v1
kind: Config
clusters:
- name: acceptance
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    exec:
      apiVersion: %s
      command: %s
      args:
`, cmp.Or(e.Server, u.stack.APIServer), base64.StdEncoding.EncodeToString(pem), UserName, e.APIVersion, command)
	for _, a := range args {
		fmt.Fprintf(&b, "      - %q\n", a)
	}
	if e.InteractiveMode != "" {
		fmt.Fprintf(&b, "      interactiveMode: %s\n", e.InteractiveMode)
	}
	fmt.Fprintf(&b, `      provideClusterInfo: false
contexts:
- name: acceptance
  context: {cluster: acceptance, user: %s, namespace: default}
current-context: acceptance
`, UserName)
	return os.WriteFile(u.Kubeconfig, []byte(b.String()), 0o600)
}
