//go:build floordeps

package main

// Built with -tags floordeps, the floor program also links the packages
// kubelogin's binary links (its modules and the standard library's HTTP and
// TLS stack), so that it runs their package initialisation, and does nothing
// more: the benchmark's "floor + dependencies" row. What separates it from
// kubelogin is kubelogin's own code; what separates it from the floor is
// the dependencies' start-up cost.
import (
	_ "net/http"

	_ "github.com/coreos/go-oidc/v3/oidc"
	_ "github.com/go-jose/go-jose/v4"
	_ "github.com/gofrs/flock"
	_ "github.com/pkg/browser"
	_ "github.com/spf13/cobra"
	_ "github.com/zalando/go-keyring"
	_ "golang.org/x/oauth2"
	_ "golang.org/x/term"
	_ "rsc.io/qr"
	_ "sigs.k8s.io/yaml"
)
