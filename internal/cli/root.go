// Package cli is the command line: cobra commands, one options struct per
// command with its flags, turned into use-case input. It holds no logic of
// its own beyond checking and translating flags.
package cli

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/system"
	"github.com/kubelogin/kubelogin/internal/usecase"
)

// Set by the linker (see the Makefile and .goreleaser.yaml).
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

// Cmd is the whole command line: the OS boundary and one use-case per
// command (internal/di fills every field).
type Cmd struct {
	OS         system.OS
	Log        *logger.Logger
	GetToken   *usecase.GetToken
	Setup      *usecase.Setup
	Clean      *usecase.Clean
	Logout     *usecase.Logout
	Status     *usecase.Status
	Standalone *usecase.Standalone
	Convert    *usecase.Convert

	// runGetToken, when set, runs instead of GetToken.Run (tests compare
	// the input that each way of reading a get-token command line gives).
	runGetToken func(context.Context, usecase.GetTokenInput) error `wire:"-"`
}

func (c *Cmd) getToken(ctx context.Context, in usecase.GetTokenInput) error {
	if c.runGetToken != nil {
		return c.runGetToken(ctx, in)
	}
	return c.GetToken.Run(ctx, in)
}

// Run executes args (without the program name) and returns the exit code.
func (c *Cmd) Run(ctx context.Context, args []string) int {
	if in, ok := c.getTokenDirect(args); ok {
		return c.exit(ctx, c.getToken(ctx, in))
	}
	root := c.commandLine(args)
	root.SetArgs(args)
	return c.exit(ctx, root.ExecuteContext(ctx))
}

// exit prints err, if any, and returns the exit code.
func (c *Cmd) exit(ctx context.Context, err error) int {
	if err != nil {
		switch {
		case errors.Is(err, context.Canceled) && ctx.Err() != nil:
			fmt.Fprintf(c.OS.Stderr, "error: interrupted; nothing was saved (%s)\n", err)
		default:
			fmt.Fprintf(c.OS.Stderr, "error: %s\n", err)
		}
		return 1
	}
	return 0
}

// commandLine returns the command tree that args need. kubectl runs
// "get-token" before API calls, IDEs and dashboards constantly, and its cached
// answer takes a few milliseconds, of which building every command, flag and
// completion would be a tenth: for get-token the tree holds only that command.
// Flags, help and errors are the same, as that command is built by the same
// code (TestGetTokenCommandLineAsTheWholeTree); every other argv gets the
// whole tree.
func (c *Cmd) commandLine(args []string) *cobra.Command {
	if len(args) == 0 || args[0] != "get-token" {
		return c.root()
	}
	root := c.bareRoot()
	root.AddCommand(c.getTokenCmd())
	// The completion commands are reachable only when args name them.
	root.CompletionOptions.DisableDefaultCmd = true
	return root
}

// root returns the whole command tree.
func (c *Cmd) root() *cobra.Command {
	root := c.bareRoot()
	c.addStandalone(root)
	root.AddCommand(c.getTokenCmd(), c.setupCmd(), c.cleanCmd(), c.logoutCmd(), c.statusCmd(), c.convertCmd(), c.versionCmd())
	completeValues(root)
	return root
}

// bareRoot returns the root command without subcommands and without the
// standalone mode.
func (c *Cmd) bareRoot() *cobra.Command {
	var verbosity int
	root := &cobra.Command{
		Use:   "kubelogin",
		Short: "Log in to a Kubernetes cluster with OpenID Connect",
		Long: `kubelogin is a kubectl credential plugin for OpenID Connect.

kubectl runs "kubelogin get-token" before API calls. It answers from its token
cache, refreshes an expired token silently, and logs you in through the browser
only when it has to. It is a drop-in replacement for int128/kubelogin
("kubectl oidc-login"): the same kubeconfigs work unchanged.

Run "kubelogin setup" to set it up. Run with no command, kubelogin logs in for
a kubeconfig user with the legacy "auth-provider: oidc" and writes the tokens
into the kubeconfig (the standalone mode; see --kubeconfig, --context, --user).`,
		Version:       fmt.Sprintf("%s (commit %s, built %s, %s, %s/%s)", version, commit, date, runtime.Version(), runtime.GOOS, runtime.GOARCH),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          rootArgs,
		PersistentPreRun: func(*cobra.Command, []string) {
			c.Log.SetLevel(verbosity)
		},
	}
	root.SetOut(c.OS.Stdout) // help and version; get-token writes only its ExecCredential there
	root.SetErr(c.OS.Stderr)
	addVerbosity(root.PersistentFlags(), &verbosity)
	root.SetUsageFunc(groupedUsage)
	root.SetFlagErrorFunc(flagError)
	return root
}

// addVerbosity adds -v, the log level, a flag of every command.
func addVerbosity(f *pflag.FlagSet, v *int) {
	f.IntVarP(v, "v", "v", 0, "log level: 1 = flow, 2 = HTTP headers, 3 = HTTP bodies (secrets are always redacted)")
}

func (c *Cmd) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(c.OS.Stdout, "kubelogin version %s\ncommit: %s\nbuilt: %s\ngo: %s\nplatform: %s/%s\n",
				version, commit, date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		},
	}
}
