package cli

import (
	"strings"
	"testing"

	"github.com/kubelogin/kubelogin/internal/grant"
)

func TestGrantFlags(t *testing.T) {
	base := []string{"--oidc-issuer-url=https://i", "--oidc-client-id=c"}
	cc := append(base[:2:2], "--grant-type=client-credentials")
	for _, tc := range []struct {
		name string
		args []string
		want string // "" = valid
	}{
		{"client credentials with a secret", append(cc, "--oidc-client-secret=s"), ""},
		{"client credentials with a key and chain", append(cc, "--oidc-client-assertion-key=k.pem", "--oidc-client-assertion-cert=c.pem"), ""},
		{"client credentials with a file", append(cc, "--oidc-client-assertion-file=/var/run/secrets/tokens/kubelogin"), ""},
		{"client credentials with an env", append(cc, "--oidc-client-assertion-env=CI_JOB_JWT"), ""},
		{"client credentials without authentication", cc, "--grant-type=client-credentials needs the client to authenticate"},
		{"two assertions", append(cc, "--oidc-client-assertion-file=f", "--oidc-client-assertion-env=E"), "give only one of --oidc-client-assertion-file, --oidc-client-assertion-env"},
		{"secret and assertion", append(cc, "--oidc-client-secret=s", "--oidc-client-assertion-env=E"), "give either --oidc-client-secret or --oidc-client-assertion-env, not both"},
		{"certificate without key", append(cc, "--oidc-client-secret=s", "--oidc-client-assertion-cert=c.pem"), "--oidc-client-assertion-cert needs --oidc-client-assertion-key"},
		{"kid without key", append(cc, "--oidc-client-secret=s", "--oidc-client-assertion-kid=k1"), "--oidc-client-assertion-kid needs --oidc-client-assertion-key"},
		{"assertion with another grant", append(base, "--oidc-client-assertion-file=f"), "--oidc-client-assertion-file is for --grant-type=client-credentials"},
		{"password command", append(base, "--grant-type=password", "--username=u", "--password-command=pass show k8s"), ""},
		{"device code", append(base, "--grant-type=device-code"), ""},
		{"keyboard", append(base, "--grant-type=authcode-keyboard"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, _, err := parse(t, tc.args...)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tc.name == "password command" && in.Login.PasswordCommand != "pass show k8s" {
					t.Errorf("PasswordCommand = %q", in.Login.PasswordCommand)
				}
				if strings.HasPrefix(tc.name, "client credentials with a key") && (in.Login.ClientAssertion.Key != "k.pem" || in.Login.ClientAssertion.Cert != "c.pem" || in.Login.GrantType != grant.TypeClientCredentials) {
					t.Errorf("%+v", in.Login)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestKeyboardTakesTheObsoleteRedirectFlag(t *testing.T) {
	in, _, err := parse(t, "--oidc-issuer-url=https://i", "--oidc-client-id=c", "--grant-type=authcode-keyboard", "--oidc-redirect-url-authcode-keyboard=http://localhost:8000")
	if err != nil || in.Login.RedirectURL != "http://localhost:8000" {
		t.Errorf("RedirectURL = %q, %v", in.Login.RedirectURL, err)
	}
}
