package execcred

import (
	"encoding/json"
	"fmt"

	"github.com/kubelogin/kubelogin/internal/jsonobj"
)

// ClusterExtension is the name of the cluster extension whose config kubectl
// passes to the plugin in spec.cluster.config (provideClusterInfo).
const ClusterExtension = "client.authentication.k8s.io/exec"

// clusterAudience reads config.audience from spec.cluster. Only the audience
// is taken from a cluster entry: it names the token the cluster needs, and
// a cluster can only ask for tokens meant for itself. The issuer, the client
// and everything else stay the user entry's: a cluster entry (often written
// by whoever runs the cluster, or merged from a download) that could point
// the login at another issuer or client could phish the user's login, or
// obtain tokens for another cluster. Other keys are ignored.
func clusterAudience(cluster json.RawMessage) (string, error) {
	c, err := jsonobj.Members(cluster)
	if err != nil {
		return "", nil // not an object: kubectl sends none such; nothing to read
	}
	config, err := jsonobj.Members(c["config"])
	if err != nil {
		return "", nil
	}
	raw, ok := config["audience"]
	if !ok {
		return "", nil
	}
	var aud string
	if err := json.Unmarshal(raw, &aud); err != nil || aud == "" {
		return "", fmt.Errorf("the cluster's extension %s sets audience to %s: it must be a non-empty string (the audience its API server expects)", ClusterExtension, shortJSON(raw))
	}
	return aud, nil
}

func shortJSON(b json.RawMessage) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}
