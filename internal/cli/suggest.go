package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// An unknown command or flag names the nearest one. cobra suggests commands
// (not when the root command runs itself, as the standalone mode does) and
// never flags.

// rootArgs is the root command's Args: none, and for an unknown command the
// nearest one.
func rootArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	err := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	var names []string
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	if near := nearest(args[0], names); near != "" {
		return fmt.Errorf("%s (did you mean %s?)", err, near)
	}
	return fmt.Errorf("%s (run \"%s --help\" for the commands)", err, cmd.CommandPath())
}

// flagError is every command's FlagErrorFunc: an unknown flag names the
// nearest flag of the command, or the commands that take it.
func flagError(cmd *cobra.Command, err error) error {
	var notExist *pflag.NotExistError
	if !errors.As(err, &notExist) || notExist.GetSpecifiedName() == "" {
		return err
	}
	typed := notExist.GetSpecifiedName()
	typed, _, _ = strings.Cut(typed, "=")
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && !slices.Contains(unusedFlags[cmd.Name()], f.Name) {
			names = append(names, f.Name)
		}
	})
	if near := nearest(typed, names); near != "" {
		return fmt.Errorf("%w (did you mean --%s?)", err, near)
	}
	var takers []string
	for _, c := range cmd.Root().Commands() {
		if c != cmd && c.Flags().Lookup(typed) != nil {
			takers = append(takers, c.Name())
		}
	}
	if len(takers) > 0 {
		list := takers[0]
		if n := len(takers); n > 1 {
			list = strings.Join(takers[:n-1], ", ") + " and " + takers[n-1]
		}
		return fmt.Errorf("%w (a flag of %s, not of %s)", err, list, cmd.CommandPath())
	}
	return err
}

// nearest returns the name closest to typed, "" when none is close: at most
// a quarter of typed's letters (at least one) differ from the name or from
// its beginning (--oidc-isuer → oidc-issuer-url: one letter from
// "oidc-issuer").
func nearest(typed string, names []string) string {
	if len(typed) < 2 {
		return ""
	}
	limit := max(1, len(typed)/4)
	best, bestDist, bestFull := "", limit+1, 0
	for _, name := range slices.Sorted(slices.Values(names)) {
		full := levenshtein(typed, name)
		d := full
		for k := len(typed) - limit; k <= len(name) && k <= len(typed)+limit; k++ {
			if k > 0 {
				d = min(d, levenshtein(typed, name[:k]))
			}
		}
		if d < bestDist || d == bestDist && full < bestFull {
			best, bestDist, bestFull = name, d, full
		}
	}
	return best
}

// levenshtein is the edit distance between a and b: insertions, deletions,
// substitutions and swaps of two neighbouring bytes ("stauts" is one edit
// from "status"), each one edit.
func levenshtein(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
