// Package execcred speaks the client-go exec credential protocol: it reads
// KUBERNETES_EXEC_INFO and writes the ExecCredential that kubectl expects on stdout.
package execcred

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
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
	var info struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Spec       struct {
			Interactive bool            `json:"interactive"`
			Cluster     json.RawMessage `json:"cluster"`
		} `json:"spec"`
	}
	if err := json.Unmarshal([]byte(value), &info); err != nil {
		return Input{}, fmt.Errorf("%s is not valid JSON (it is set by kubectl; unset it to run by hand): %w", EnvName, err)
	}
	aud, err := clusterAudience(info.Spec.Cluster)
	if err != nil {
		return Input{}, err
	}
	switch info.APIVersion {
	case "", V1beta1:
		return Input{APIVersion: V1beta1, Interactive: info.Spec.Interactive, ClusterAudience: aud}, nil
	case V1:
		return Input{APIVersion: V1, Interactive: info.Spec.Interactive, ClusterAudience: aud}, nil
	default:
		return Input{}, fmt.Errorf("%s asks for apiVersion %q; this plugin speaks %s and %s (set the kubeconfig's exec apiVersion to one of them)", EnvName, info.APIVersion, V1, V1beta1)
	}
}

// execCredential is the wire form of client.authentication.k8s.io
// ExecCredential, v1 and v1beta1 alike (they are the same on the wire). It is
// written by hand rather than with client-go's types because those link
// apimachinery, whose package initialisation costs about a millisecond on
// every kubectl call; a test decodes the output with client-go's own decoder.
type execCredential struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Spec       struct {
		Interactive bool `json:"interactive"`
	} `json:"spec"`
	Status struct {
		// ExpirationTimestamp is RFC 3339 in UTC with seconds, as metav1.Time.
		ExpirationTimestamp string `json:"expirationTimestamp,omitempty"`
		Token               string `json:"token"`
	} `json:"status"`
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
	var cred execCredential
	cred.Kind, cred.APIVersion = "ExecCredential", apiVersion
	cred.Status.Token = token
	if !expiry.IsZero() {
		cred.Status.ExpirationTimestamp = expiry.UTC().Format(time.RFC3339)
	}
	b, err := json.Marshal(&cred)
	if err != nil {
		return fmt.Errorf("encode ExecCredential: %w", err)
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write ExecCredential to stdout: %w", err)
	}
	return nil
}
