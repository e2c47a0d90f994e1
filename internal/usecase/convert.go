package usecase

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/kubelogin/kubelogin/internal/grant"
	"github.com/kubelogin/kubelogin/internal/kubeconfig"
	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/system"
)

// ConvertInput is what convert-kubeconfig was told.
type ConvertInput struct {
	// Files are the kubeconfig files in play (kubeconfig.Files).
	Files []string
	// Context limits the conversion to the user of this context.
	Context string
	DryRun  bool
	// Command runs kubelogin in converted users: "kubectl" (as the krew
	// plugin: kubectl oidc-login get-token) or a path to kubelogin.
	Command string
}

// Convert migrates kubeconfig users to kubelogin's exec plugin: users with
// the legacy "auth-provider: oidc" (which kubectl no longer runs), and users
// that already exec kubelogin with obsolete flags or without a usable
// interactiveMode.
type Convert struct {
	OS  system.OS
	Log *logger.Logger
}

// NewConvert returns the use-case.
func NewConvert(sys system.OS, log *logger.Logger) *Convert {
	return &Convert{OS: sys, Log: log}
}

// Run converts, shows the change as a diff on stdout, and writes each
// changed file with a backup (unless DryRun).
func (u *Convert) Run(in ConvertInput) error {
	w := u.OS.Stdout
	set, err := kubeconfig.LoadSet(in.Files)
	if err != nil {
		return err
	}
	if len(set.Files) == 0 {
		return fmt.Errorf("no kubeconfig at %s", strings.Join(in.Files, ", "))
	}
	files := set.Files
	only := ""
	if in.Context != "" {
		c, ok := set.Context(in.Context)
		if !ok {
			return fmt.Errorf("context %q is not in the kubeconfig", in.Context)
		}
		f, ok := set.UserFile(c.User)
		if !ok {
			return fmt.Errorf("user %q of context %q is not in the kubeconfig", c.User, in.Context)
		}
		files, only = []*kubeconfig.File{f}, c.User
	}
	written := 0
	for _, f := range files {
		for _, name := range f.UserNames() {
			if only != "" && name != only {
				continue
			}
			for _, note := range convertUser(f, name, in.Command) {
				fmt.Fprintf(w, "%s: user %s: %s\n", f.Path, name, note)
			}
		}
		changed, err := f.Changed()
		if err != nil {
			return err
		}
		if !changed {
			continue
		}
		written++
		diff, err := f.Diff()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%s\n", diff)
		if in.DryRun {
			fmt.Fprintf(w, "Dry run: %s was not written.\n", f.Path)
			continue
		}
		backup, err := f.Write(u.OS.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "Wrote %s (the previous file is %s).\n", f.Path, backup)
	}
	if written == 0 {
		fmt.Fprintf(w, "Nothing to convert.\n")
	}
	return nil
}

// convertUser converts one user in f and says what it did.
func convertUser(f *kubeconfig.File, name, command string) []string {
	usr, _ := f.User(name)
	if ap, ok := usr.OIDCAuthProvider(); ok {
		if ap.IssuerURL == "" || ap.ClientID == "" {
			return []string{"auth-provider oidc without idp-issuer-url or client-id: left as it is"}
		}
		f.SetExec(name, kubeconfig.Exec(command, ap.GetTokenArgs()))
		return []string{"auth-provider oidc → exec " + command + " (issuer, client, secret, CA and scopes carried over; its tokens are dropped, so the next kubectl command logs in)"}
	}
	prefix, flags, ok := kubeconfig.KubeloginArgs(usr.Exec)
	if !ok {
		if usr.Exec != nil {
			return []string{fmt.Sprintf("exec %s is not kubelogin: left as it is", usr.Exec.Command)}
		}
		return nil
	}
	ex := usr.Exec
	patch := map[string]any{}
	newFlags, notes := migrateFlags(flags)
	if !slices.Equal(newFlags, flags) {
		patch["args"] = append(slices.Clone(prefix), newFlags...)
	}
	apiVersion := ex.APIVersion
	if apiVersion == "client.authentication.k8s.io/v1alpha1" {
		apiVersion = "client.authentication.k8s.io/v1"
		patch["apiVersion"] = apiVersion
		notes = append(notes, "apiVersion v1alpha1 (no longer read by kubectl) → v1")
	}
	switch {
	case ex.InteractiveMode == "" && apiVersion == "client.authentication.k8s.io/v1":
		patch["interactiveMode"] = kubeconfig.InteractiveIfAvailable
		notes = append(notes, "interactiveMode IfAvailable (kubectl refuses apiVersion v1 without one)")
	case ex.InteractiveMode == kubeconfig.InteractiveNever && needsTerminal(newFlags):
		patch["interactiveMode"] = kubeconfig.InteractiveIfAvailable
		notes = append(notes, "interactiveMode Never → IfAvailable (its grant prompts on the terminal)")
	}
	if len(patch) == 0 {
		return []string{"already runs kubelogin: nothing to change"}
	}
	f.PatchExec(name, patch)
	return notes
}

// migrateFlags replaces obsolete get-token flags by their successors.
func migrateFlags(flags []string) ([]string, []string) {
	var out, ports, notes []string
	hasListen := false
	for i := 0; i < len(flags); i++ {
		a := flags[i]
		name, value, hasValue := strings.Cut(a, "=")
		if name == "--listen-address" {
			hasListen = true
		}
		if name != "--listen-port" {
			out = append(out, a)
			continue
		}
		if !hasValue && i+1 < len(flags) {
			i++
			value = flags[i]
		}
		ports = append(ports, strings.Split(value, ",")...)
	}
	if len(ports) > 0 {
		if hasListen {
			notes = append(notes, "obsolete --listen-port removed (--listen-address is set)")
		} else {
			for _, p := range ports {
				out = append(out, "--listen-address="+net.JoinHostPort("127.0.0.1", strings.TrimSpace(p)))
			}
			notes = append(notes, "obsolete --listen-port → --listen-address")
		}
	}
	return out, notes
}

// needsTerminal reports whether get-token with these flags prompts on the
// terminal: the password grant without a password, or the keyboard grant.
func needsTerminal(flags []string) bool {
	grantType, username, password := "", false, false
	for _, a := range flags {
		name, value, _ := strings.Cut(a, "=")
		switch name {
		case "--grant-type":
			grantType = value
		case "--username":
			username = true
		case "--password":
			password = true
		}
	}
	switch grantType {
	case grant.TypeAuthCodeKeyboard:
		return true
	case grant.TypePassword:
		return !password
	case "", grant.TypeAuto:
		return username && !password
	}
	return false
}
