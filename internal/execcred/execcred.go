// Package execcred speaks the client-go exec credential protocol: it reads
// KUBERNETES_EXEC_INFO and writes the ExecCredential that kubectl expects on stdout.
package execcred

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/kubelogin/kubelogin/internal/jsonobj"
)

// The API versions kubectl may ask for.
const (
	V1      = "client.authentication.k8s.io/v1"
	V1beta1 = "client.authentication.k8s.io/v1beta1"
)

// EnvName is the environment variable through which kubectl passes the request.
const EnvName = "KUBERNETES_EXEC_INFO"

// Input is what kubectl told the plugin about the call.
type Input struct {
	// APIVersion is the ExecCredential version to answer with.
	APIVersion string
	// Interactive reports whether stdin belongs to the plugin (kubectl's
	// interactiveMode together with a terminal). When false the plugin must
	// never read stdin.
	Interactive bool
	// ClusterAudience is the audience the cluster's API server expects, from
	// the config of its extension client.authentication.k8s.io/exec, which
	// kubectl sends when the exec config sets provideClusterInfo (see
	// clusterAudience); "" when there is none.
	ClusterAudience string
}

// ParseEnv parses the value of KUBERNETES_EXEC_INFO. An empty value means the
// plugin was started by hand or by an old client: v1beta1, interactive when
// stdinIsTerminal.
func ParseEnv(value string, stdinIsTerminal bool) (Input, error) {
	if value == "" {
		return Input{APIVersion: V1beta1, Interactive: stdinIsTerminal}, nil
	}
	// Member by member: see jsonobj. kind is read only to refuse a value
	// that is not a string, as decoding into a struct did.
	var apiVersion, kind string
	var interactive bool
	top, err := jsonobj.Members([]byte(value))
	var spec map[string]json.RawMessage
	if err == nil {
		spec, err = jsonobj.Members(top["spec"])
	}
	if err == nil {
		err = jsonobj.Decode(top, jsonobj.Field{Name: "apiVersion", Dst: &apiVersion}, jsonobj.Field{Name: "kind", Dst: &kind})
	}
	if err == nil {
		err = jsonobj.Decode(spec, jsonobj.Field{Name: "interactive", Dst: &interactive})
	}
	if err != nil {
		return Input{}, fmt.Errorf("%s is not valid JSON (it is set by kubectl; unset it to run by hand): %w", EnvName, err)
	}
	aud, err := clusterAudience(spec["cluster"])
	if err != nil {
		return Input{}, err
	}
	switch apiVersion {
	case "", V1beta1:
		return Input{APIVersion: V1beta1, Interactive: interactive, ClusterAudience: aud}, nil
	case V1:
		return Input{APIVersion: V1, Interactive: interactive, ClusterAudience: aud}, nil
	default:
		return Input{}, fmt.Errorf("%s asks for apiVersion %q; this plugin speaks %s and %s (set the kubeconfig's exec apiVersion to one of them)", EnvName, apiVersion, V1, V1beta1)
	}
}

// Write writes the ExecCredential for token, valid until expiry, in apiVersion.
func Write(w io.Writer, apiVersion, token string, expiry time.Time) error {
	switch apiVersion {
	case V1, V1beta1:
	case "":
		apiVersion = V1beta1
	default:
		return fmt.Errorf("unknown ExecCredential apiVersion %q", apiVersion)
	}
	// The wire form of client.authentication.k8s.io ExecCredential, v1 and
	// v1beta1 alike. Not client-go's type: that links apimachinery, whose
	// initialisation cost about a millisecond on every call. Nor a struct:
	// encoding/json spends more on a struct type's first encoding than on
	// the rest of this. Tests compare the bytes with those of the struct this
	// replaced and decode them with client-go's decoder.
	b := make([]byte, 0, 160+len(token))
	b = append(b, `{"kind":"ExecCredential","apiVersion":`...)
	b = appendString(b, apiVersion)
	b = append(b, `,"spec":{"interactive":false},"status":{`...)
	if !expiry.IsZero() {
		b = append(b, `"expirationTimestamp":`...)
		b = appendString(b, expiry.UTC().Format(time.RFC3339))
		b = append(b, ',')
	}
	b = append(b, `"token":`...)
	b = appendString(b, token)
	b = append(b, "}}\n"...)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write ExecCredential to stdout: %w", err)
	}
	return nil
}

// appendString appends s as a JSON string, escaped as encoding/json escapes it.
func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}
