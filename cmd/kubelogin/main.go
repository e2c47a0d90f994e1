// Command kubelogin is a kubectl credential plugin for OpenID Connect. Installed
// as kubectl-oidc_login it also runs as "kubectl oidc-login".
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/kubelogin/kubelogin/internal/di"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := di.NewCmd().Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
