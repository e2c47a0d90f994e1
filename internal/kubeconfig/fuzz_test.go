package kubeconfig

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzAuthProvider feeds arbitrary kubeconfig files to the parts that read
// the legacy auth-provider and exec entries: no panic, no hang, and what is
// read back is consistent.
func FuzzAuthProvider(f *testing.F) {
	f.Add([]byte(`apiVersion: v1
kind: Config
current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
users:
- name: u
  user:
    auth-provider:
      name: oidc
      config: {idp-issuer-url: "https://i", client-id: c, client-secret: s, extra-scopes: "email,groups", id-token: a.b.c, refresh-token: r}
`))
	f.Add([]byte(`users: [{name: u, user: {exec: {command: kubectl, args: [oidc-login, get-token, --oidc-issuer-url=x]}}}]`))
	f.Add([]byte(`users: [{name: u, user: {auth-provider: {name: oidc, config: [1, 2]}}}]`))
	f.Add([]byte(`users: {u: 1}`))
	f.Add([]byte("\x00\xff: ["))
	dir := f.TempDir()
	path := filepath.Join(dir, "config")
	f.Fuzz(func(t *testing.T, content []byte) {
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		file, err := Open(path)
		if err != nil {
			return // refused with an error: fine
		}
		file.CurrentContext()
		for _, name := range file.UserNames() {
			u, ok := file.User(name)
			if !ok {
				t.Fatalf("UserNames lists %q but User does not find it", name)
			}
			if ap, ok := u.OIDCAuthProvider(); ok {
				ap.GetTokenArgs()
			}
			if u.Exec != nil {
				KubeloginArgs(u.Exec)
			}
		}
		if _, err := file.Bytes(); err != nil {
			t.Fatalf("a file that opened cannot be encoded again: %v", err)
		}
	})
}
