// Command oidc-demo-provider serves the in-process fake OpenID provider
// (package oidcfake) for "make demo", and doubles as the demo's scripted
// browser.
//
// Provider mode:
//
//	oidc-demo-provider [--addr 127.0.0.1:0] [--client-id kubelogin-demo]
//
// starts a provider over plain HTTP on loopback, prints one line
// "issuer=<URL>" on stdout and serves until SIGINT or SIGTERM. The public
// client has no secret; the password grant accepts admin@example.com /
// password.
//
// Browser mode, for kubelogin's --browser-command:
//
//	oidc-demo-provider http://127.0.0.1:41234/authorize?...
//
// when the first argument is an http:// or https:// URL, GETs it following
// every redirect (provider, then kubelogin's loopback callback), as a user
// approving the login would, prints a one-line result on stderr and exits 0
// on success, 1 on failure.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command with args (without the program name) and returns the
// exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (strings.HasPrefix(args[0], "http://") || strings.HasPrefix(args[0], "https://")) {
		return browse(ctx, args[0], stderr)
	}
	fs := flag.NewFlagSet("oidc-demo-provider", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	clientID := fs.String("client-id", "kubelogin-demo", "client ID of the public client")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "oidc-demo-provider: unexpected argument %q (a URL to browse must come first)\n", fs.Arg(0))
		return 2
	}
	p, err := oidcfake.Start(oidcfake.Config{Addr: *addr, ClientID: *clientID})
	if err != nil {
		fmt.Fprintf(stderr, "oidc-demo-provider: %v\n", err)
		return 1
	}
	defer p.Close()
	// One unbuffered write: the demo script reads this line from a pipe.
	if _, err := fmt.Fprintf(stdout, "issuer=%s\n", p.Issuer()); err != nil {
		fmt.Fprintf(stderr, "oidc-demo-provider: write issuer: %v\n", err)
		return 1
	}
	<-ctx.Done()
	return 0
}

// browse plays the browser: it follows url to its final page.
func browse(ctx context.Context, url string, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	body, err := oidcfake.BrowseWith(ctx, &http.Client{Timeout: 30 * time.Second}, url)
	if err != nil {
		fmt.Fprintf(stderr, "oidc-demo-provider: browser: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "oidc-demo-provider: browser: logged in (final page: %d bytes)\n", len(body))
	return 0
}
