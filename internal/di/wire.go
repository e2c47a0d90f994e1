//go:build wireinject

package di

import (
	"github.com/google/wire"

	"github.com/kubelogin/kubelogin/internal/cli"
	"github.com/kubelogin/kubelogin/internal/system"
	"github.com/kubelogin/kubelogin/internal/usecase"
)

var set = wire.NewSet(
	newLogger,
	usecase.NewGetToken,
	usecase.NewSetup,
	usecase.NewClean,
	usecase.NewLogout,
	usecase.NewStatus,
	usecase.NewStandalone,
	usecase.NewConvert,
	wire.Struct(new(cli.Cmd), "*"),
)

// NewCmd returns the command line wired to the real operating system.
func NewCmd() *cli.Cmd {
	wire.Build(system.Real, set)
	return nil
}

// NewCmdForTest returns the command line wired to the given OS boundary, so
// that tests run the fully wired program with their own streams, clock and browser.
func NewCmdForTest(sys system.OS) *cli.Cmd {
	wire.Build(set)
	return nil
}
