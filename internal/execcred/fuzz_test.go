package execcred

import "testing"

func FuzzParseEnv(f *testing.F) {
	f.Add(`{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":true}}`, false)
	f.Add(`{"apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"cluster":{"server":"https://x"}}}`, true)
	f.Add(`{"spec":{"interactive":"yes"}}`, false)
	f.Add(`null`, false)
	f.Fuzz(func(t *testing.T, value string, terminal bool) {
		in, err := ParseEnv(value, terminal)
		if err != nil {
			return
		}
		if in.APIVersion != V1 && in.APIVersion != V1beta1 {
			t.Fatalf("accepted apiVersion %q", in.APIVersion)
		}
	})
}
