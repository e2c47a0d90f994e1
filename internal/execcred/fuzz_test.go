package execcred

import (
	"encoding/json"
	"testing"
)

// FuzzParseEnv feeds arbitrary KUBERNETES_EXEC_INFO values. Properties that do
// not restate the parser: invalid JSON is refused; an accepted value answers
// v1 or v1beta1; the terminal matters only for an empty value; and what was
// accepted reads back the same from the ExecCredential a client would send.
func FuzzParseEnv(f *testing.F) {
	f.Add(`{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":true}}`, false)
	f.Add(`{"apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"cluster":{"server":"https://x"}}}`, true)
	f.Add(`{"spec":{"interactive":"yes"}}`, false)
	f.Add(`{"apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"server":"https://x","config":{"audience":"cluster-a"}}}}`, false)
	f.Add(`{"spec":{"cluster":{"config":{"audience":7}}}}`, false)
	f.Add(`null`, false)
	f.Add(``, true)
	f.Fuzz(func(t *testing.T, value string, terminal bool) {
		in, err := ParseEnv(value, terminal)
		if value == "" {
			if err != nil || in != (Input{APIVersion: V1beta1, Interactive: terminal}) {
				t.Fatalf("an empty value gave %+v, %v; want v1beta1, interactive = the terminal (%v)", in, err, terminal)
			}
			return
		}
		other, otherErr := ParseEnv(value, !terminal)
		if in != other || (err == nil) != (otherErr == nil) {
			t.Fatalf("the terminal changed the answer for %q: %+v, %v vs %+v, %v", value, in, err, other, otherErr)
		}
		if err != nil {
			return
		}
		if !json.Valid([]byte(value)) {
			t.Fatalf("accepted invalid JSON %q", value)
		}
		if in.APIVersion != V1 && in.APIVersion != V1beta1 {
			t.Fatalf("accepted apiVersion %q", in.APIVersion)
		}
		again, err := ParseEnv(execInfoOf(in), !terminal)
		if err != nil || again != in {
			t.Fatalf("%+v does not read back: %+v, %v", in, again, err)
		}
	})
}

// FuzzParseEnvBuilt builds the value the way kubectl does, from fields, and
// checks the answer field by field: a parser that ignored its input, or read
// the terminal instead of spec.interactive, fails here.
func FuzzParseEnvBuilt(f *testing.F) {
	f.Add(V1, true, false, "ExecCredential")
	f.Add(V1beta1, false, true, "")
	f.Add("", true, false, "ExecCredential")
	f.Add("client.authentication.k8s.io/v1alpha1", true, true, "ExecCredential")
	f.Fuzz(func(t *testing.T, apiVersion string, interactive, terminal bool, kind string) {
		m := map[string]any{"kind": kind, "spec": map[string]any{"interactive": interactive, "cluster": map[string]any{"server": "https://x"}}}
		if apiVersion != "" {
			m["apiVersion"] = apiVersion
		}
		b, _ := json.Marshal(m)
		in, err := ParseEnv(string(b), terminal)
		switch apiVersion {
		case V1, V1beta1, "":
			want := Input{APIVersion: apiVersion, Interactive: interactive}
			if apiVersion == "" {
				want.APIVersion = V1beta1 // no apiVersion: as from a client that predates it
			}
			if err != nil || in != want {
				t.Fatalf("%s gave %+v, %v; want %+v", b, in, err, want)
			}
		default:
			if err == nil {
				t.Fatalf("%s accepted as %+v: that apiVersion is not spoken", b, in)
			}
		}
	})
}

func execInfo(apiVersion string, interactive bool) string {
	b, _ := json.Marshal(map[string]any{"apiVersion": apiVersion, "kind": "ExecCredential", "spec": map[string]any{"interactive": interactive}})
	return string(b)
}
