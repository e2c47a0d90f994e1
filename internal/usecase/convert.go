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
	// Direct also moves users that run "kubectl oidc-login" to Command (a
	// path to kubelogin): the direct form was chosen, or kubectl-oidc_login
	// is not on PATH, so kubectl cannot run them.
	Direct bool
	// DirectReason ends the note of such a move: " (kubectl-oidc_login is
	// not on PATH)", or "" when the direct form was asked for.
	DirectReason string
	// ClusterAudiences (--cluster-audience) set each cluster's audience in
	// its exec extension and provideClusterInfo on the kubelogin users of
	// its contexts.
	ClusterAudiences []kubeconfig.ClusterAudience
}

// ConvertResult is what convert-kubeconfig did, file by file.
type ConvertResult struct {
	Files  []ConvertedFile
	DryRun bool
	// Command is the exec command converted users got (ConvertInput.Command).
	Command string
	// UsedCommand tells whether some user was given Command.
	UsedCommand bool
}

// ConvertedFile is one kubeconfig file's conversion.
type ConvertedFile struct {
	Path  string
	Notes []UserNote
	// Diff is the change, secrets redacted; "" when nothing changed.
	Diff string
	// Written tells whether the file was written; Backup is the previous file.
	Written bool
	Backup  string
}

// UserNote says what was done to one user (or, with Cluster, to one cluster).
type UserNote struct {
	User, Note string
	Cluster    string
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

// Run converts and writes each changed file with a backup (unless DryRun).
// On an error, the result says what was done before it.
func (u *Convert) Run(in ConvertInput) (*ConvertResult, error) {
	set, err := kubeconfig.LoadSet(in.Files)
	if err != nil {
		return nil, err
	}
	if len(set.Files) == 0 {
		return nil, fmt.Errorf("no kubeconfig at %s", strings.Join(in.Files, ", "))
	}
	files := set.Files
	only := ""
	if in.Context != "" {
		c, ok := set.Context(in.Context)
		if !ok {
			return nil, fmt.Errorf("context %q is not in the kubeconfig", in.Context)
		}
		f, ok := set.UserFile(c.User)
		if !ok {
			return nil, fmt.Errorf("user %q of context %q is not in the kubeconfig", c.User, in.Context)
		}
		files, only = []*kubeconfig.File{f}, c.User
	}
	files, provide, clusterNotes, err := applyClusterAudiences(set, files, in.ClusterAudiences)
	if err != nil {
		return nil, err
	}
	res := &ConvertResult{DryRun: in.DryRun, Command: in.Command}
	for _, f := range files {
		res.Files = append(res.Files, ConvertedFile{Path: f.Path, Notes: clusterNotes[f.Path]})
		cf := &res.Files[len(res.Files)-1]
		for _, name := range f.UserNames() {
			if only != "" && name != only {
				continue
			}
			notes, used := convertUser(f, name, in, provide[name])
			res.UsedCommand = res.UsedCommand || used
			for _, note := range notes {
				cf.Notes = append(cf.Notes, UserNote{User: name, Note: note})
			}
		}
		changed, err := f.Changed()
		if err != nil {
			return res, err
		}
		if !changed {
			continue
		}
		if cf.Diff, err = f.Diff(); err != nil {
			return res, err
		}
		if in.DryRun {
			continue
		}
		if cf.Backup, err = f.Write(u.OS.Now()); err != nil {
			return res, err
		}
		cf.Written = true
	}
	return res, nil
}

// applyClusterAudiences sets each cluster's audience in the file that
// defines it (added to files when it is not there) and returns, by user, the
// clusters of the user's contexts (such users need provideClusterInfo), and
// a note per cluster by file.
func applyClusterAudiences(set *kubeconfig.Set, files []*kubeconfig.File, audiences []kubeconfig.ClusterAudience) ([]*kubeconfig.File, map[string][]string, map[string][]UserNote, error) {
	provide := map[string][]string{}
	notes := map[string][]UserNote{}
	for _, ca := range audiences {
		f, ok := set.ClusterFile(ca.Cluster)
		if !ok {
			return nil, nil, nil, fmt.Errorf("cluster %q of --cluster-audience is not in the kubeconfig: add it first (kubectl config set-cluster %s --server=URL)", ca.Cluster, ca.Cluster)
		}
		note := "audience " + ca.Audience + " in its exec extension (" + kubeconfig.ExecExtension + ")"
		if f.ClusterAudienceOf(ca.Cluster) == ca.Audience {
			note = "audience " + ca.Audience + " already in its exec extension"
		}
		f.SetClusterAudience(ca.Cluster, ca.Audience)
		notes[f.Path] = append(notes[f.Path], UserNote{Cluster: ca.Cluster, Note: note})
		if !slices.Contains(files, f) {
			files = append(files, f)
		}
		for _, cf := range set.Files {
			for _, name := range cf.ContextsOf(ca.Cluster) {
				c, _ := cf.Context(name)
				if !slices.Contains(provide[c.User], ca.Cluster) {
					provide[c.User] = append(provide[c.User], ca.Cluster)
				}
			}
		}
	}
	return files, provide, notes, nil
}

// convertUser converts one user in f, says what it did, and whether it
// gave the user in.Command. clusters are the --cluster-audience clusters of
// the user's contexts: the user then needs provideClusterInfo.
func convertUser(f *kubeconfig.File, name string, in ConvertInput, clusters []string) ([]string, bool) {
	provideNote := "provideClusterInfo true (kubectl passes it the audience of cluster " + strings.Join(clusters, ", ") + ")"
	command := in.Command
	usr, _ := f.User(name)
	if ap, ok := usr.OIDCAuthProvider(); ok {
		if ap.IssuerURL == "" || ap.ClientID == "" {
			return []string{"auth-provider oidc without idp-issuer-url or client-id: left as it is"}, false
		}
		ex := kubeconfig.Exec(command, ap.GetTokenArgs())
		ex.ProvideClusterInfo = len(clusters) > 0
		f.SetExec(name, ex)
		notes := []string{"auth-provider oidc → exec " + command + " (issuer, client, secret, CA and scopes carried over; its tokens are dropped, so the next kubectl command logs in)"}
		if ex.ProvideClusterInfo {
			notes = append(notes, provideNote)
		}
		return notes, true
	}
	prefix, flags, ok := kubeconfig.KubeloginArgs(usr.Exec)
	if !ok {
		if usr.Exec != nil {
			return []string{fmt.Sprintf("exec %s is not kubelogin: left as it is", usr.Exec.Command)}, false
		}
		return nil, false
	}
	ex := usr.Exec
	patch := map[string]any{}
	newFlags, notes := migrateFlags(flags)
	used := false
	if in.Direct && kubeconfig.IsKubectlPlugin(ex) {
		patch["command"] = command
		prefix = []string{"get-token"}
		notes = append(notes, "exec kubectl oidc-login → exec "+command+in.DirectReason)
		used = true
	}
	if !slices.Equal(newFlags, flags) || used {
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
	if len(clusters) > 0 && !ex.ProvideClusterInfo {
		patch["provideClusterInfo"] = true
		notes = append(notes, provideNote)
	}
	if len(patch) == 0 {
		return []string{"already runs kubelogin: nothing to change"}, false
	}
	f.PatchExec(name, patch)
	return notes, used
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
	for i := 0; i < len(flags); i++ {
		name, value, hasValue := strings.Cut(flags[i], "=")
		switch name {
		case "--grant-type":
			if !hasValue && i+1 < len(flags) { // --grant-type VALUE
				i++
				value = flags[i]
			}
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
