package cli

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// The docs tests keep docs/ honest about the binary: every flag they name
// exists on the command they name it with, and every error line that
// docs/troubleshooting.md quotes is one that some test makes the binary say.
// Both print exactly what is missing, with the file and line, so that whoever
// adds a flag or a message can fix the docs or the tests at once.

// foreignFlags are flags the docs name that belong to other programs (kubectl,
// kube-apiserver, go, …), not to kubelogin. Keep it short: a name lands here
// only when the docs show it on another program's command line.
var foreignFlags = map[string]string{
	"exec-command":                  "kubectl config set-credentials",
	"exec-arg":                      "kubectl config set-credentials",
	"exec-api-version":              "kubectl config set-credentials",
	"exec-interactive-mode":         "kubectl config set-credentials",
	"exec-provide-cluster-info":     "kubectl config set-credentials",
	"exec-env":                      "kubectl config set-credentials",
	"auth-provider":                 "kubectl config set-credentials",
	"auth-provider-arg":             "kubectl config set-credentials",
	"http2":                         "curl",
	"raw":                           "kubectl config view",
	"minify":                        "kubectl config view",
	"flatten":                       "kubectl config view",
	"oidc-username-claim":           "kube-apiserver",
	"oidc-username-prefix":          "kube-apiserver",
	"oidc-groups-claim":             "kube-apiserver",
	"oidc-groups-prefix":            "kube-apiserver",
	"oidc-ca-file":                  "kube-apiserver",
	"oidc-required-claim":           "kube-apiserver",
	"authentication-config":         "kube-apiserver",
	"oidc-signing-algs":             "kube-apiserver",
	"clusterrole":                   "kubectl create clusterrolebinding",
	"group":                         "kubectl create clusterrolebinding",
	"skip-publish":                  "goreleaser",
	"snapshot":                      "goreleaser",
	"clean":                         "goreleaser",
	"headless":                      "chromium",
	"remote-debugging-port":         "chromium",
	"no-sandbox":                    "chromium",
	"user-data-dir":                 "chromium",
	"insecure-skip-tls-verify-flag": "kubectl",
	"server":                        "kubectl",
	"embed-certs":                   "kubectl config set-cluster",
	"current":                       "kubectl config set-context",
}

// docsCorpus returns the Markdown files the docs tests read: docs/*.md and
// the README.
func docsCorpus(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no docs found (%v)", err)
	}
	files = append(files, "../../README.md")
	out := map[string][]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimPrefix(f, "../../")] = strings.Split(string(b), "\n")
	}
	return out
}

// docSpan is a piece of a doc that reads as one command line: a line of a
// code block (with its backslash continuations) or an inline code span.
type docSpan struct {
	file string
	line int
	text string
	code bool // from a code block or an inline code span, not prose
}

var inlineCode = regexp.MustCompile("`+[^`]+`+")

func docSpans(file string, lines []string) []docSpan {
	var out []docSpan
	inBlock := false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			inBlock = !inBlock
			continue
		}
		if inBlock {
			start := i
			for strings.HasSuffix(l, `\`) && i+1 < len(lines) {
				i++
				l = strings.TrimSuffix(l, `\`) + " " + lines[i]
			}
			out = append(out, docSpan{file, start + 1, l, true})
			continue
		}
		for _, m := range inlineCode.FindAllString(l, -1) {
			out = append(out, docSpan{file, i + 1, strings.Trim(m, "`"), true})
		}
		out = append(out, docSpan{file, i + 1, inlineCode.ReplaceAllString(l, " "), false})
	}
	return out
}

var (
	shellSeparator = regexp.MustCompile(`\|\||&&|[|;]`)
	longFlag       = regexp.MustCompile(`^--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)$`)
	pluginNames    = map[string]bool{"kubelogin": true, "oidc-login": true, "kubectl-oidc_login": true}
)

// docWord is a word of a command line in the docs: a flag name, or a word
// that may name a program or a command.
type docWord struct {
	flag bool
	text string
}

// commandWords splits a shell command line into flags (the names of
// --name, --name=value, --a/--b, and --exec-arg=--name) and other words (a
// flag's value only for --exec-arg and --exec-command, which name kubelogin's
// commands on a kubectl line).
func commandWords(segment string) []docWord {
	var out []docWord
	var flag func(tok string)
	flag = func(tok string) {
		name, value, hasValue := strings.Cut(tok, "=")
		for _, alt := range strings.Split(name, "/") {
			alt, _, _ = strings.Cut(alt, "(")
			if m := longFlag.FindStringSubmatch(strings.TrimRight(alt, ".,;:")); m != nil {
				out = append(out, docWord{true, m[1]})
			}
		}
		switch {
		case !hasValue:
		case strings.HasPrefix(value, "--"):
			flag(value)
		case name == "--exec-arg" || name == "--exec-command":
			out = append(out, docWord{false, path.Base(value)})
		}
	}
	for _, tok := range strings.Fields(segment) {
		tok = strings.Trim(tok, "[]{}()\"'`,.;:<>*")
		if strings.HasPrefix(tok, "--") {
			flag(tok)
		} else if tok != "" {
			out = append(out, docWord{false, path.Base(tok)})
		}
	}
	return out
}

// lookupFlag finds name on cmd, hidden and deprecated flags included.
func lookupFlag(cmd *cobra.Command, name string) bool {
	return cmd.Flags().Lookup(name) != nil || cmd.InheritedFlags().Lookup(name) != nil || cmd.PersistentFlags().Lookup(name) != nil
}

// TestDocsFlagsExist: every --flag in docs/ and the README is a flag of the
// kubelogin command it is written with (`kubelogin clean --issuer`,
// `--exec-arg=get-token --exec-arg=--oidc-issuer-url=…`), or, written alone,
// of some kubelogin command, or of another program (foreignFlags).
func TestDocsFlagsExist(t *testing.T) {
	root := (&Cmd{}).root()
	root.InitDefaultVersionFlag()
	subs := map[string]*cobra.Command{}
	var all []*cobra.Command
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.InitDefaultHelpFlag() // cobra adds --help when it runs
		all = append(all, c)
		for _, s := range c.Commands() {
			subs[s.Name()] = s
			walk(s)
		}
	}
	walk(root)
	anyCommand := func(name string) bool {
		for _, c := range all {
			if lookupFlag(c, name) {
				return true
			}
		}
		return false
	}

	var missing []string
	docs := docsCorpus(t)
	for _, file := range sortedKeys(docs) {
		for _, sp := range docSpans(file, docs[file]) {
			for _, segment := range shellSeparator.Split(sp.text, -1) {
				// The command the flags so far belong to: kubelogin's root
				// after its name, then the first command word after that.
				// A command word counts first in the segment or after
				// kubelogin's name ("exit status 1" in a message is no command).
				var current *cobra.Command
				for i, w := range commandWords(segment) {
					if !w.flag {
						if !sp.code {
							continue
						}
						if pluginNames[w.text] {
							current = root
						} else if s, ok := subs[w.text]; ok && (i == 0 || current == root) {
							current = s
						}
						continue
					}
					if _, ok := foreignFlags[w.text]; ok || strings.Contains(segment, "unknown flag: --"+w.text+" ") {
						continue // another program's, or a typo the docs show kubelogin's answer to
					}
					switch {
					case current != nil && !lookupFlag(current, w.text):
						missing = append(missing, sp.where()+": --"+w.text+" is not a flag of "+current.CommandPath()+" (in: "+strings.Join(strings.Fields(segment), " ")+")")
					case current == nil && !anyCommand(w.text):
						missing = append(missing, sp.where()+": --"+w.text+" is not a flag of any kubelogin command")
					}
				}
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("docs name flags that do not exist (rename them in the docs, add the flag, or, for another program's flag, add it to foreignFlags):\n  %s",
			strings.Join(dedupe(missing), "\n  "))
	}
}

func (s docSpan) where() string { return s.file + ":" + strconv.Itoa(s.line) }

// foreignMessages are error lines the troubleshooting guide quotes that
// another program prints (kubectl), so no kubelogin test makes them.
var foreignMessages = []string{
	"You must be logged in to the server (Unauthorized)",
}

// foreignFragments are the words of Go's standard library and of other
// libraries that kubelogin's messages end with ("…: x509: certificate signed
// by unknown authority"): the docs quote them as a user sees them, and no
// test of ours has to make them.
var foreignFragments = []string{
	"tls: failed to verify certificate: x509: certificate signed by unknown authority",
	"illegal base64 data at input byte",
	"oidc: token is expired (Token Expiry:",
	`executable file not found in $PATH`,
	"permission denied",
}

// placeholder matches the parts of a quoted message that vary from run to
// run or from user to user: URLs, paths, durations, times, numbers, key
// prefixes, an ellipsis.
var placeholder = regexp.MustCompile(strings.Join([]string{
	`https?://[^\s"()]*[^\s"().,:]`,
	`~?/[\w.\-…/]*[\w.\-…]`,
	`\d{4}-\d\d-\d\d[ T][\d:]+(?: [+-]\d{4} UTC)?`,
	`\b\d+(?:h\d+)?(?:m\d+)?(?:\.\d+)?m?s\b`,
	`[0-9a-f]{6,}…?`,
	`\b\d+\b`,
	`…`,
}, "|"))

var clause = regexp.MustCompile(`: |; |[()]`)

// TestDocsErrorLinesAreTested: every "error: …" line that
// docs/troubleshooting.md quotes is one a test makes kubelogin print. Its
// fixed words (split at the placeholders above; pieces of three words or
// more) must each appear in a test source or a golden file.
func TestDocsErrorLinesAreTested(t *testing.T) {
	corpus := testCorpus(t)
	lines := docsCorpus(t)["docs/troubleshooting.md"]
	var missing, gaps []string
	seen := map[string]bool{}
	checked := 0
	for _, sp := range docSpans("docs/troubleshooting.md", lines) {
		if !sp.code {
			continue
		}
		msg := strings.TrimSpace(sp.text)
		if !strings.HasPrefix(msg, "error: ") {
			continue
		}
		msg = strings.TrimPrefix(msg, "error: ")
		if isForeignMessage(msg) {
			continue
		}
		checked++
		for _, frag := range messageFragments(msg) {
			seen[frag] = true
			_, known := untested[frag]
			switch ok := tested(corpus, frag); {
			case !ok && known:
				gaps = append(gaps, sp.where()+": "+strconv.Quote(frag))
			case !ok:
				missing = append(missing, sp.where()+": "+strconv.Quote(frag)+"\n      of: error: "+msg)
			case known:
				missing = append(missing, sp.where()+": "+strconv.Quote(frag)+" is tested now: remove it from untested")
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d error lines found in docs/troubleshooting.md: is the parser broken?", checked)
	}
	if len(missing) > 0 {
		t.Errorf("docs/troubleshooting.md quotes error text that no test or golden file contains (add a test that makes kubelogin print it, or correct the docs to what it prints):\n  %s",
			strings.Join(dedupe(missing), "\n  "))
	}
	for _, frag := range sortedKeys(untested) {
		if !seen[frag] {
			t.Errorf("untested lists %q, which docs/troubleshooting.md no longer quotes: remove it from the list", frag)
		}
	}
	if len(gaps) > 0 {
		t.Logf("not yet held by a test (see untested):\n  %s", strings.Join(dedupe(gaps), "\n  "))
	}
}

// untested are the pieces of quoted messages that no test holds yet, each
// with the message it is part of: the test lists them (go test -v) and fails
// when one is tested, so that the list only shrinks. Do not add to it: test
// the new message instead.
var untested = map[string]string{
	"finish or cancel that login": "lock wait timeout",
	"shows which process":         "lock wait timeout",
	"set --oidc-issuer-url to exactly the provider's issuer, trailing slash included": "issuer mismatch",
	"the provider's discovery document has no device_authorization_endpoint":          "no device grant",
	"it does not offer the device-code grant":                                         "no device grant",
	"use --grant-type=authcode or authcode-keyboard":                                  "no device grant",
}

// testedWords is how many consecutive words of a piece of a message a test
// must hold (all of them when the piece is shorter): tests check a message
// by a telling part of it, and a part is enough to notice it vanish.
const testedWords = 5

// tested reports whether corpus holds testedWords consecutive words of frag.
func tested(corpus, frag string) bool {
	words := strings.Fields(frag)
	n := min(testedWords, len(words))
	for i := 0; i+n <= len(words); i++ {
		if strings.Contains(corpus, strings.Join(words[i:i+n], " ")) {
			return true
		}
	}
	return false
}

func isForeignMessage(msg string) bool {
	for _, f := range foreignMessages {
		if strings.Contains(msg, f) {
			return true
		}
	}
	return false
}

// messageFragments splits msg at its placeholders and drops the pieces that
// are too short to be words of a message, and the other libraries' words.
func messageFragments(msg string) []string {
	for _, f := range foreignFragments {
		msg = strings.ReplaceAll(msg, f, "…")
	}
	var out []string
	for _, part := range placeholder.Split(msg, -1) {
		// A message is a chain of clauses, "operation (what to do): cause".
		for _, frag := range clause.Split(part, -1) {
			frag = strings.Trim(frag, " ,#\"`")
			if len(strings.Fields(frag)) >= 3 {
				out = append(out, frag)
			}
		}
	}
	return out
}

var concatenated = regexp.MustCompile(`"\s*\+\s*"`)

// testCorpus is the text of every test source and golden file in the
// module, with Go's escaped quotes unescaped, this file excepted.
func testCorpus(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "dist", "bin":
				return filepath.SkipDir
			}
			return nil
		}
		inTestdata := strings.Contains(filepath.ToSlash(p), "/testdata/")
		if !(strings.HasSuffix(p, "_test.go") || inTestdata) || filepath.Base(p) == "docs_test.go" {
			return nil
		}
		if inTestdata && strings.Contains(filepath.ToSlash(p), "/fuzz/") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		// "part one "+\n"part two" reads as one message.
		text := concatenated.ReplaceAllString(string(data), "")
		b.WriteString(strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(text))
		b.WriteByte('\n')
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
