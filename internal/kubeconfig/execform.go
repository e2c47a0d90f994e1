package kubeconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// The forms of the exec section that runs kubelogin (--exec-form).
const (
	// ExecFormAuto is the kubectl-plugin form when kubectl-oidc_login is
	// on PATH, else the direct form.
	ExecFormAuto = "auto"
	// ExecFormKubectlPlugin is "command: kubectl, args: [oidc-login,
	// get-token, …]", as int128/kubelogin's setup writes it: it needs
	// kubectl-oidc_login on PATH wherever kubectl runs.
	ExecFormKubectlPlugin = "kubectl-plugin"
	// ExecFormDirect is "command: /path/to/kubelogin, args: [get-token, …]":
	// kubectl runs kubelogin itself, which a kuberc credentialPluginPolicy
	// allowlist can name.
	ExecFormDirect = "direct"
)

// ExecForms are the values of --exec-form.
var ExecForms = []string{ExecFormAuto, ExecFormKubectlPlugin, ExecFormDirect}

// PluginName is the program kubectl looks up on PATH for "kubectl oidc-login".
const PluginName = "kubectl-oidc_login"

// ExecCommand is the command an exec section runs kubelogin with.
type ExecCommand struct {
	// Command is "kubectl" (the kubectl-plugin form) or kubelogin's
	// absolute path (the direct form).
	Command string
	// PluginMissing tells that kubectl-oidc_login is not on PATH: the
	// reason auto chose the direct form, or a warning for the kubectl form.
	PluginMissing bool
}

// ResolveExecCommand chooses the exec command for form (ExecForms; "" is
// auto). getenv gives the PATH kubectl would search; executable is the
// running kubelogin (os.Executable). A kubeconfig that runs "kubectl
// oidc-login" where kubectl cannot find kubectl-oidc_login makes kubectl fail,
// and some kubectl wrappers (the Google Cloud SDK's dispatcher) then run the
// exec plugin again and again: auto never writes that form then.
func ResolveExecCommand(form string, getenv func(string) string, executable func() (string, error)) (ExecCommand, error) {
	_, onPath := LookPath(PluginName, getenv)
	switch form {
	case ExecFormKubectlPlugin:
		return ExecCommand{Command: "kubectl", PluginMissing: !onPath}, nil
	case ExecFormAuto, "":
		if onPath {
			return ExecCommand{Command: "kubectl"}, nil
		}
		self, err := selfPath(getenv, executable)
		if err != nil {
			return ExecCommand{}, err
		}
		return ExecCommand{Command: self, PluginMissing: true}, nil
	case ExecFormDirect:
		self, err := selfPath(getenv, executable)
		if err != nil {
			return ExecCommand{}, err
		}
		return ExecCommand{Command: self, PluginMissing: !onPath}, nil
	}
	return ExecCommand{}, fmt.Errorf("--exec-form=%s is not one of %s", form, strings.Join(ExecForms, ", "))
}

// selfPath is the absolute path of the running kubelogin with symlinks
// resolved, or the kubelogin on PATH when that is the same file: a package
// manager's link (/opt/homebrew/bin/kubelogin) survives upgrades, the
// versioned file it points at does not.
func selfPath(getenv func(string) string, executable func() (string, error)) (string, error) {
	exe, err := executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err == nil {
		exe, err = filepath.Abs(exe)
	}
	if err != nil {
		return "", fmt.Errorf("find the path of this kubelogin for the kubeconfig (give --exec-form=kubectl-plugin instead): %w", err)
	}
	if onPath, ok := LookPath(baseName(exe), getenv); ok && filepath.IsAbs(onPath) {
		a, errA := os.Stat(onPath)
		b, errB := os.Stat(exe)
		if errA == nil && errB == nil && os.SameFile(a, b) {
			return onPath, nil
		}
	}
	return exe, nil
}

// LookPath finds the executable name in the directories of getenv("PATH"),
// as kubectl's plugin lookup does (with PATHEXT's extensions on Windows).
func LookPath(name string, getenv func(string) string) (string, bool) {
	exts := []string{""}
	if runtime.GOOS == "windows" {
		exts = []string{".exe", ".com", ".bat", ".cmd"}
		if pe := getenv("PATHEXT"); pe != "" {
			exts = strings.Split(strings.ToLower(pe), ";")
		}
	}
	for _, dir := range filepath.SplitList(getenv("PATH")) {
		if dir == "" {
			continue
		}
		for _, ext := range exts {
			p := filepath.Join(dir, name+ext)
			fi, err := os.Stat(p)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			if runtime.GOOS != "windows" && fi.Mode().Perm()&0o111 == 0 {
				continue
			}
			return p, true
		}
	}
	return "", false
}
