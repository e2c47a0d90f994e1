package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/system"
)

// TestGetTokenCommandLineAsTheWholeTree: for get-token, Run builds only that
// command (commandLine); its help, flag errors and checks must be those of
// the whole tree.
func TestGetTokenCommandLineAsTheWholeTree(t *testing.T) {
	env := map[string]string{"KUBELOGIN_GRANT_TYPE": "nope"}
	for _, args := range [][]string{
		{"get-token", "--help"},
		{"get-token", "-h", "-v1"},
		{"get-token", "--bogus"},
		{"get-token", "--version"},
		{"get-token", "extra"},
		{"get-token", "--grant-type=nope", "--oidc-issuer-url=https://i", "--oidc-client-id=c"},
		{"get-token", "--oidc-issuer-url=https://i"},
		{"get-token", "--oidc-issuer-url=https://i", "--oidc-client-id=c", "--use-env"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			run := func(whole bool) (int, string) {
				var out strings.Builder
				c := &Cmd{OS: system.OS{Stdout: &out, Stderr: &out, Getenv: func(k string) string {
					if args[len(args)-1] == "--use-env" {
						return env[k]
					}
					return ""
				}}, Log: logger.New(&out)}
				a := args
				if a[len(a)-1] == "--use-env" {
					a = a[:len(a)-1]
				}
				if !whole {
					return c.Run(context.Background(), a), out.String()
				}
				root := c.root()
				root.SetArgs(a)
				if err := root.ExecuteContext(context.Background()); err != nil {
					out.WriteString("error: " + err.Error() + "\n")
					return 1, out.String()
				}
				return 0, out.String()
			}
			code, out := run(false)
			wantCode, wantOut := run(true)
			if code != wantCode {
				t.Errorf("exit %d, the whole tree exits %d", code, wantCode)
			}
			if diff := cmp.Diff(wantOut, out); diff != "" {
				t.Errorf("output differs from the whole tree's (-whole +get-token only):\n%s", diff)
			}
			if len(out) == 0 {
				t.Error("no output: the case tests nothing")
			}
		})
	}
}

// TestCommandLineBuildsOnlyGetToken: the get-token command line has no other
// command; any other argv gets them all.
func TestCommandLineBuildsOnlyGetToken(t *testing.T) {
	names := func(args ...string) []string {
		var out []string
		for _, s := range (&Cmd{Log: logger.New(nil)}).commandLine(args).Commands() {
			out = append(out, s.Name())
		}
		return out
	}
	if diff := cmp.Diff([]string{"get-token"}, names("get-token", "--oidc-issuer-url=https://i")); diff != "" {
		t.Error(diff)
	}
	for _, args := range [][]string{nil, {"setup"}, {"help", "get-token"}, {"__complete", "get-token", "--grant-type", ""}, {"--kubeconfig=k"}} {
		if got := names(args...); len(got) < 7 {
			t.Errorf("%q: commands %v, want the whole tree", args, got)
		}
	}
}
