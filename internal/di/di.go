// Package di builds the object graph with google/wire. It is the only package
// that knows wire; run "make generate" after changing an injector (wire.go) and
// commit the generated wire_gen.go.
package di

import (
	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/system"
)

func newLogger(sys system.OS) *logger.Logger { return logger.New(sys.Stderr) }
