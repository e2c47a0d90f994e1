package cli

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/spf13/pflag"
)

// Every flag can also be set by an environment variable, so that a shared
// kubeconfig can be adapted per machine: KUBELOGIN_ and the flag's name in
// upper snake case (--grant-type → KUBELOGIN_GRANT_TYPE). A flag given on the
// command line wins; an empty variable counts as unset. List flags take the
// flag's own syntax: comma-separated values (--oidc-extra-scope,
// --listen-address) and KEY=VALUE pairs (--oidc-request-header), except the
// repeatable path flags (--certificate-authority, --certificate-authority-data),
// which take a list separated like PATH (":" on Unix, ";" on Windows).

// envPrefix starts the name of every flag's environment variable.
const envPrefix = "KUBELOGIN_"

// flagEnvName returns the environment variable of the flag name. get-token
// asks it for each of its 55 flags on every run, so an ASCII name (all of
// ours) is mapped in one pass and one allocation: with strings.ToUpper and
// strings.ReplaceAll it was 5 % of a cached call's instructions.
func flagEnvName(name string) string {
	var b strings.Builder
	b.Grow(len(envPrefix) + len(name))
	b.WriteString(envPrefix)
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= utf8.RuneSelf:
			return envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		case c == '-':
			c = '_'
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// noEnv are flags without an environment variable.
var noEnv = map[string]bool{"help": true, "version": true}

// documentFlagEnv adds each flag's environment variable to its help text.
func documentFlagEnv(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if !noEnv[f.Name] && !strings.Contains(f.Usage, envPrefix) {
			f.Usage += fmt.Sprintf(" [$%s]", flagEnvName(f.Name))
		}
	})
}

// applyFlagEnv sets each flag not given on the command line from its
// environment variable, in the order of the flags' names whatever
// fs.SortFlags says (get-token's direct path walks its flags unsorted, which
// spares sorting 55 names on every run): the first bad variable is the one
// reported. It returns the flags it set, in that order. A nil getenv (see
// Cmd.flagGetenv) sets nothing.
func applyFlagEnv(fs *pflag.FlagSet, getenv func(string) string) ([]*pflag.Flag, error) {
	if getenv == nil {
		return nil, nil
	}
	type setting struct {
		flag        *pflag.Flag
		name, value string
	}
	var todo []setting
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || noEnv[f.Name] {
			return
		}
		name := flagEnvName(f.Name)
		if v := getenv(name); v != "" {
			todo = append(todo, setting{f, name, v})
		}
	})
	slices.SortFunc(todo, func(a, b setting) int { return strings.Compare(a.flag.Name, b.flag.Name) })
	var set []*pflag.Flag
	for _, s := range todo {
		values := []string{s.value}
		if s.flag.Value.Type() == "stringArray" {
			values = filepath.SplitList(s.value)
		}
		for _, x := range values {
			if e := fs.Set(s.flag.Name, x); e != nil {
				// The value is not shown: it may be a secret.
				return set, fmt.Errorf("environment variable %s is not a valid --%s: want %s", s.name, s.flag.Name, valueKind(s.flag.Value.Type()))
			}
		}
		set = append(set, s.flag)
	}
	return set, nil
}

// envNames are the environment variables of flags.
func envNames(flags []*pflag.Flag) []string {
	names := make([]string, len(flags))
	for i, f := range flags {
		names[i] = flagEnvName(f.Name)
	}
	return names
}

// flagGetenv is c.OS.Getenv for applyFlagEnv, or nil when no variable of
// the environment starts with KUBELOGIN_ (in any case: Windows matches names
// so), which spares making and looking up a name for each of 55 flags on
// every run.
func (c *Cmd) flagGetenv() func(string) string {
	if c.OS.Environ != nil && !slices.ContainsFunc(c.OS.Environ(), func(kv string) bool {
		return len(kv) >= len(envPrefix) && strings.EqualFold(kv[:len(envPrefix)], envPrefix)
	}) {
		return nil
	}
	return c.OS.Getenv
}

// valueKind says what a flag of a pflag value type takes.
func valueKind(typ string) string {
	switch typ {
	case "bool":
		return "true or false"
	case "int", "intSlice":
		return "a whole number"
	case "duration":
		return "a duration such as 30s or 2m"
	case "stringToString":
		return "KEY=VALUE pairs separated by commas"
	}
	return "a " + typ + " value"
}
