package execcred

import (
	"encoding/json"
	"testing"
)

// execInfoOf is the KUBERNETES_EXEC_INFO kubectl would send for in.
func execInfoOf(in Input) string {
	spec := map[string]any{"interactive": in.Interactive}
	if in.ClusterAudience != "" {
		spec["cluster"] = map[string]any{"server": "https://x", "config": map[string]any{"audience": in.ClusterAudience}}
	}
	b, _ := json.Marshal(map[string]any{"apiVersion": in.APIVersion, "kind": "ExecCredential", "spec": spec})
	return string(b)
}

func TestParseEnvClusterAudience(t *testing.T) {
	const v1 = `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false,`
	for _, tc := range []struct {
		name, value, want, err string
	}{
		{"no provideClusterInfo", v1 + `"x":1}}`, "", ""},
		{"cluster without config", v1 + `"cluster":{"server":"https://a.example.com"}}}`, "", ""},
		{"audience", v1 + `"cluster":{"server":"https://a.example.com","config":{"audience":"cluster-a"}}}}`, "cluster-a", ""},
		{"issuer and client are not taken", v1 + `"cluster":{"config":{"issuer":"https://evil.example.com","client-id":"x"}}}}`, "", ""},
		{"config not an object", v1 + `"cluster":{"config":"cluster-a"}}}`, "", ""},
		{"audience not a string", v1 + `"cluster":{"config":{"audience":["a","b"]}}}}`, "",
			`the cluster's extension client.authentication.k8s.io/exec sets audience to ["a","b"]: it must be a non-empty string (the audience its API server expects)`},
		{"empty audience", v1 + `"cluster":{"config":{"audience":""}}}}`, "",
			`the cluster's extension client.authentication.k8s.io/exec sets audience to "": it must be a non-empty string (the audience its API server expects)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := ParseEnv(tc.value, false)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || in.ClusterAudience != tc.want {
				t.Fatalf("ParseEnv = %+v, %v; want audience %q", in, err, tc.want)
			}
		})
	}
}
