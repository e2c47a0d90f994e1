package cli

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kubelogin/kubelogin/internal/kubeconfig"
	"github.com/kubelogin/kubelogin/internal/usecase"
)

// setupOptions are get-token's flags, and where to write the kubeconfig.
type setupOptions struct {
	getToken        getTokenOptions
	kubeconfig      kubeconfigOptions
	WriteKubeconfig bool
	Cluster         string
	ExecForm        string
	// ClusterAudiences are --cluster-audience's CLUSTER=AUDIENCE values.
	ClusterAudiences []string
}

func (o *setupOptions) addFlags(f *pflag.FlagSet) {
	o.getToken.addFlags(f)
	f.BoolVar(&o.WriteKubeconfig, "write-kubeconfig", false, "write the user (and with --context or --cluster, a context) into the kubeconfig, after showing the change; the previous file is kept as a backup")
	o.kubeconfig.addFlags(f, "name of the kubeconfig user to set up")
	f.Lookup("user").DefValue = "oidc"
	f.Lookup("context").Usage = "with --write-kubeconfig: point this context at the user (created with --cluster if missing)"
	f.StringVar(&o.Cluster, "cluster", "", "with --write-kubeconfig: the cluster of the context (alone: a context named USER@CLUSTER)")
	addClusterAudienceFlag(f, &o.ClusterAudiences)
	addExecFormFlag(f, &o.ExecForm)
}

// addClusterAudienceFlag adds --cluster-audience, for setup and convert-kubeconfig.
func addClusterAudienceFlag(f *pflag.FlagSet, values *[]string) {
	f.StringArrayVar(values, "cluster-audience", nil, "`CLUSTER=AUDIENCE`: the kubeconfig cluster's API server accepts tokens for AUDIENCE; sets it in the cluster's exec extension and provideClusterInfo on the user, so that one user serves every cluster with a token each (repeat for each cluster)")
}

// parseClusterAudiences parses --cluster-audience values.
func parseClusterAudiences(values []string) ([]kubeconfig.ClusterAudience, error) {
	var out []kubeconfig.ClusterAudience
	seen := map[string]bool{}
	for _, v := range values {
		cluster, aud, ok := strings.Cut(v, "=")
		cluster, aud = strings.TrimSpace(cluster), strings.TrimSpace(aud)
		if !ok || cluster == "" || aud == "" {
			return nil, fmt.Errorf("--cluster-audience=%s: give CLUSTER=AUDIENCE (the kubeconfig cluster's name and the audience its API server accepts)", v)
		}
		if seen[cluster] {
			return nil, fmt.Errorf("--cluster-audience names cluster %q twice: give one audience per cluster", cluster)
		}
		seen[cluster] = true
		out = append(out, kubeconfig.ClusterAudience{Cluster: cluster, Audience: aud})
	}
	return out, nil
}

// addExecFormFlag adds --exec-form, for setup and convert-kubeconfig.
func addExecFormFlag(f *pflag.FlagSet, form *string) {
	f.StringVar(form, "exec-form", kubeconfig.ExecFormAuto, `how kubectl runs kubelogin: kubectl-plugin ("kubectl oidc-login get-token", needs kubectl-oidc_login on PATH), direct (this kubelogin's path, then "get-token"), or auto (kubectl-plugin when kubectl-oidc_login is on PATH, else direct)`)
}

// execNote says in one line why the exec form is the one it is, for command
// (setup or convert-kubeconfig); "" when there is nothing to say.
func execNote(form string, ec kubeconfig.ExecCommand, command string) string {
	switch {
	case !ec.PluginMissing:
		return ""
	case ec.Command == "kubectl":
		return fmt.Sprintf("%s is not on PATH here: install it (or link it to kubelogin) wherever kubectl runs this kubeconfig, or run %s with --exec-form=direct", kubeconfig.PluginName, command)
	case form == kubeconfig.ExecFormAuto || form == "":
		return fmt.Sprintf(`%s is not on PATH, so "kubectl oidc-login" would not find kubelogin: kubectl runs %s directly (run %s with --exec-form=kubectl-plugin to write the kubectl form anyway)`, kubeconfig.PluginName, ec.Command, command)
	}
	return "" // the direct form, asked for
}

// secretFlags are never printed by setup; password is never written either.
var secretFlags = map[string]bool{"oidc-client-secret": true, "password": true, "token-exchange-subject-token": true, "token-exchange-actor-token": true}

// notReproduced are get-token flags that setup does not put in the kubeconfig.
var notReproduced = map[string]bool{"force-refresh": true}

// execArgs returns the get-token flags given on the command line (given),
// in definition order, as arguments that reproduce them: for the kubeconfig
// (the client secret included, never the password) and for display (no
// secret, no request header: their values are often API keys).
func execArgs(flags *pflag.FlagSet, given map[string]bool) (exec, shown []string, hidden []usecase.HiddenFlag) {
	var defs getTokenOptions
	names := pflag.NewFlagSet("get-token", pflag.ContinueOnError)
	names.SortFlags = false
	defs.addFlags(names)
	names.VisitAll(func(def *pflag.Flag) {
		f := flags.Lookup(def.Name)
		if f == nil || !given[f.Name] || notReproduced[f.Name] {
			return
		}
		args := flagArgs(flags, f)
		if secretFlags[f.Name] {
			h := usecase.HiddenFlag{Flag: "--" + f.Name, EnvVar: flagEnvName(f.Name), Written: f.Name != "password"}
			hidden = append(hidden, h)
			if h.Written {
				exec = append(exec, args...)
			}
			return
		}
		exec = append(exec, args...)
		if f.Name == "oidc-request-header" { // header values are often API keys
			for _, a := range args {
				name, _, _ := strings.Cut(strings.TrimPrefix(a, "--oidc-request-header="), "=")
				hidden = append(hidden, usecase.HiddenFlag{Flag: "--oidc-request-header=" + name, EnvVar: flagEnvName(f.Name), Written: true})
			}
			return
		}
		shown = append(shown, args...)
	})
	return exec, shown, hidden
}

// flagArgs returns "--name=value" arguments that give f its current value.
func flagArgs(flags *pflag.FlagSet, f *pflag.Flag) []string {
	prefix := "--" + f.Name + "="
	switch v := f.Value.(type) {
	case pflag.SliceValue:
		var out []string
		for _, s := range v.GetSlice() {
			out = append(out, prefix+s)
		}
		return out
	}
	switch f.Value.Type() {
	case "bool":
		if b, _ := strconv.ParseBool(f.Value.String()); b {
			return []string{"--" + f.Name}
		}
	case "stringToString":
		m, _ := flags.GetStringToString(f.Name)
		var out []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			out = append(out, prefix+k+"="+m[k])
		}
		return out
	}
	return []string{prefix + f.Value.String()}
}

func (c *Cmd) setupCmd() *cobra.Command {
	var o setupOptions
	given := map[string]bool{}
	cmd := &cobra.Command{
		Use:   "setup --oidc-issuer-url=URL --oidc-client-id=ID [flags]",
		Short: "Log in once and show how to set up the cluster and the kubeconfig",
		Long: `setup logs in with the flags given (the same as get-token's), without the
token cache, and prints the ID token's claims, a cluster role binding for the
user, the API server's flags, and the "kubectl config set-credentials" command
that makes kubectl run get-token with the same flags. Secrets are never
printed: the command names the environment variable that can give them.

With --write-kubeconfig, setup writes the user itself (and with --context or
--cluster, a context) into the kubeconfig, after showing the change as a diff,
and keeps the previous file as a backup. Running it again changes nothing.

With --cluster-audience=CLUSTER=AUDIENCE (once per cluster), one user serves
many clusters, each with a token for its own audience: the user gets
provideClusterInfo: true, each cluster its audience in its exec extension
(client.authentication.k8s.io/exec) and a context USER@CLUSTER. kubectl
cannot set cluster extensions: without --write-kubeconfig, setup prints the
YAML to add.`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			cmd.Flags().Visit(func(f *pflag.Flag) { given[f.Name] = true })
			_, err := applyFlagEnv(cmd.Flags(), c.flagGetenv())
			return err
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := o.getToken.input(cmd.Flags(), c.OS, c.Log.Printf)
			if err != nil {
				return err
			}
			command, err := kubeconfig.ResolveExecCommand(o.ExecForm, c.OS.Getenv, c.OS.Executable)
			if err != nil {
				return err
			}
			audiences, err := parseClusterAudiences(o.ClusterAudiences)
			if err != nil {
				return err
			}
			exec, shown, hidden := execArgs(cmd.Flags(), given)
			user := o.kubeconfig.User
			if user == "" {
				user = "oidc"
			}
			sin := usecase.SetupInput{
				GetToken:  in,
				ExecArgs:  exec,
				ShownArgs: shown,
				Hidden:    hidden,
				Kubeconfig: usecase.SetupKubeconfig{
					Write:   o.WriteKubeconfig,
					Files:   kubeconfig.Files(o.kubeconfig.Kubeconfig, c.OS.Getenv, c.OS.UserHomeDir),
					User:    user,
					Context: o.kubeconfig.Context,
					Cluster: o.Cluster,
					Command: command.Command,

					ClusterAudiences: audiences,
				},
			}
			res, err := c.Setup.Run(cmd.Context(), sin)
			if res != nil {
				if werr := writeSetup(c.OS.Stdout, sin, execNote(o.ExecForm, command, "setup"), res); werr != nil && err == nil {
					err = werr
				}
			}
			return err
		},
	}
	cmd.Flags().SortFlags = false
	o.addFlags(cmd.Flags())
	return cmd
}
