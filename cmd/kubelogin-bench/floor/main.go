// Command floor is the benchmark's baseline: the least a Go process can do to
// answer kubectl from a token cache. It reads the cache entry named by its
// argument, decodes the ID token's payload, checks exp and prints an
// ExecCredential. kubelogin's cached path is measured against it.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

func main() {
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		os.Exit(1)
	}
	var e struct {
		IDToken string `json:"id_token"`
	}
	if json.Unmarshal(b, &e) != nil {
		os.Exit(1)
	}
	parts := strings.Split(e.IDToken, ".")
	if len(parts) != 3 {
		os.Exit(1)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		os.Exit(1)
	}
	var c struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(payload, &c) != nil || time.Unix(c.Exp, 0).Before(time.Now()) {
		os.Exit(1)
	}
	fmt.Printf(`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false},"status":{"expirationTimestamp":%q,"token":%q}}`+"\n",
		time.Unix(c.Exp, 0).UTC().Format(time.RFC3339), e.IDToken)
}
