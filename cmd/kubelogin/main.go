// The runtime would start a goroutine to follow the CPU quota, on every run;
// GOMAXPROCS is set once, at the start (internal/startup), and a run lasts
// milliseconds.
//
//go:debug updatemaxprocs=0

// Command kubelogin is a kubectl credential plugin for OpenID Connect. Installed
// as kubectl-oidc_login it also runs as "kubectl oidc-login".
package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/kubelogin/kubelogin/internal/di"
	"github.com/kubelogin/kubelogin/internal/startup"
)

func main() {
	startup.HonourGOMAXPROCS(os.Getenv)
	ctx := &interruptContext{Context: context.Background()}
	code := di.NewCmd().Run(ctx, os.Args[1:])
	ctx.stop()
	os.Exit(code)
}

// interruptContext is cancelled by SIGINT or SIGTERM, but installs the signal
// handler only when something first waits on it (a lock, a login, a request).
// The cached path never does: it ends in a few milliseconds, and the handler's
// goroutine and thread would be a measurable part of them. Killed there by
// Ctrl-C, the process loses nothing: cache writes are atomic.
type interruptContext struct {
	context.Context
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
}

func (c *interruptContext) init() {
	c.once.Do(func() {
		c.ctx, c.cancel = signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	})
}

// Done implements context.Context.
func (c *interruptContext) Done() <-chan struct{} {
	c.init()
	return c.ctx.Done()
}

// Err implements context.Context.
func (c *interruptContext) Err() error {
	c.init()
	return c.ctx.Err()
}

// stop releases the signal handler, if one was installed; afterwards the
// context is done.
func (c *interruptContext) stop() {
	c.once.Do(func() { c.ctx, c.cancel = context.WithCancel(context.Background()) })
	c.cancel()
}
