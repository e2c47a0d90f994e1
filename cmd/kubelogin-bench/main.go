// Command kubelogin-bench measures kubelogin (make bench). It builds the plugin
// and the floor program with the release flags (CGO_ENABLED=0, -trimpath,
// -s -w), and int128/kubelogin (hack/int128-kubelogin.sh, cached), then
// reports, within one run on one machine:
//
//   - the cached get-token path of kubelogin, the floor program, the floor
//     program linked with kubelogin's dependencies (their start-up cost) and
//     int128/kubelogin, run in one alternation (each round in a random order) so that
//     machine noise hits all of them: medians, spread, ratios, peak RSS;
//   - the cached path with 1, 100 and 1,000 logins in the cache directory,
//     and status and clean at 1,000;
//   - refreshes against the in-process provider with a per-request latency,
//     counting the requests the provider receives (warm and cold metadata);
//   - the stripped binary sizes.
//
// -with NAME=PATH adds another build of kubelogin to the alternation, to
// measure a change before and after in the same run.
//
// When its first argument is a URL it acts as the scripted browser instead.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

func main() {
	if len(os.Args) == 2 && strings.HasPrefix(os.Args[1], "http") {
		_, err := oidcfake.BrowseWith(context.Background(), &http.Client{Timeout: 30 * time.Second}, os.Args[1])
		if err != nil {
			os.Exit(1)
		}
		return
	}
	var o options
	flag.IntVar(&o.pairs, "pairs", 200, "measured rounds of the cached-path alternation (after warm-up)")
	flag.IntVar(&o.warmup, "warmup", 20, "unmeasured rounds first")
	flag.IntVar(&o.growthRounds, "growth-rounds", 60, "measured rounds of the cache-growth alternation")
	flag.DurationVar(&o.latency, "latency", 50*time.Millisecond, "latency the provider adds to every request")
	flag.IntVar(&o.refreshes, "refreshes", 15, "runs per refresh scenario")
	flag.StringVar(&o.int128, "int128", "auto", `int128/kubelogin binary ("auto": build it with hack/int128-kubelogin.sh; "": leave it out)`)
	flag.StringVar(&o.plugin, "plugin", "", "kubelogin binary to measure (default: build ./cmd/kubelogin)")
	flag.Var(&o.with, "with", "NAME=PATH: another kubelogin build in the cached-path alternation (repeatable)")
	flag.BoolVar(&o.stage, "stage", true, "measure copies of the binaries written with write(2), as installed; false: the files as the linker wrote them")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "kubelogin-bench:", err)
		os.Exit(1)
	}
}

type options struct {
	pairs, warmup, growthRounds, refreshes int
	latency                                time.Duration
	int128, plugin                         string
	with                                   namedPaths
	stage                                  bool
}

// namedPaths is a repeatable NAME=PATH flag.
type namedPaths []program

func (n *namedPaths) String() string { return "" }

func (n *namedPaths) Set(s string) error {
	name, path, ok := strings.Cut(s, "=")
	if !ok || name == "" || path == "" {
		return fmt.Errorf("want NAME=PATH, not %q", s)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	*n = append(*n, program{name: name, path: abs})
	return nil
}

func run(o options) error {
	dir, err := os.MkdirTemp("", "kubelogin-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	plugin, floor, floorDeps := o.plugin, filepath.Join(dir, "floor"), filepath.Join(dir, "floor-deps")
	builds := [][3]string{{floor, "./cmd/kubelogin-bench/floor"}, {floorDeps, "./cmd/kubelogin-bench/floor", "floordeps"}}
	if plugin == "" {
		plugin = filepath.Join(dir, "kubelogin")
		builds = append(builds, [3]string{plugin, "./cmd/kubelogin"})
	}
	for _, b := range builds {
		if err := releaseBuild(b[0], b[1], b[2]); err != nil {
			return err
		}
	}
	int128 := o.int128
	if int128 == "auto" {
		if int128, err = buildInt128(); err != nil {
			return err
		}
	}
	unstaged := map[string]string{} // staged copy → the file it copies
	if o.stage {
		// Every measured binary is copied with write(2), as an install or an
		// unpacked download writes it. How a binary's pages came into the page
		// cache changes what starting it costs, by more than the changes -with
		// compares: the linker writes its output through a shared mapping, in
		// 4 KiB pages, which a start then maps one fault-around window at a
		// time; a file written with write(2) sits in large folios, mapped in
		// far fewer faults (and all counted in the RSS).
		paths := []*string{&plugin, &floor, &floorDeps, &int128}
		for i := range o.with {
			paths = append(paths, &o.with[i].path)
		}
		for i, p := range paths {
			if *p == "" {
				continue
			}
			linkers := *p
			if *p, err = stage(*p, filepath.Join(dir, "staged", fmt.Sprintf("%d-%s", i, filepath.Base(*p)))); err != nil {
				return err
			}
			unstaged[*p] = linkers
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	fmt.Printf("# kubelogin benchmark\n\n%s, %s, %d CPUs, %s\n\n", time.Now().UTC().Format(time.RFC3339), host, numCPU(), goVersion())
	how := "copies written with write(2), as installed"
	if !o.stage {
		how = "the files as the linker wrote them"
	}
	fmt.Printf("Binaries measured: %s.\n\n", how)
	flags := "CGO_ENABLED=0, -trimpath, -s -w"
	if tags := ownTags(); len(tags) > 0 {
		flags += ", -tags=" + strings.Join(tags, ",")
	}
	fmt.Printf("Stripped binaries (%s): kubelogin %s", flags, sizeMiB(plugin))
	if int128 != "" {
		fmt.Printf(", int128/kubelogin %s", sizeMiB(int128))
	}
	fmt.Printf(", floor %s, floor + dependencies %s\n\n", sizeMiB(floor), sizeMiB(floorDeps))
	b := bench{dir: dir, plugin: plugin, floor: floor, floorDeps: floorDeps, int128: int128, browser: self, o: o, unstaged: unstaged}
	if err := b.cachedPath(); err != nil {
		return err
	}
	if err := b.cacheGrowth(); err != nil {
		return err
	}
	return b.refreshPaths()
}

// bench holds what every scenario needs.
type bench struct {
	dir, plugin, floor, floorDeps, int128, browser string
	o                                              options
	// unstaged maps each staged copy to the file it copies (-stage).
	unstaged map[string]string
}

// releaseBuild builds pkg into out with the release flags, the build tags
// the benchmark itself was built with (go run -tags X ./cmd/kubelogin-bench
// measures builds with X) and the extra tags.
func releaseBuild(out, pkg, extra string) error {
	tags := ownTags()
	if extra != "" {
		tags = append(tags, extra)
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-tags="+strings.Join(tags, ","), "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s: %w", pkg, err)
	}
	return nil
}

// ownTags are the build tags of this program.
func ownTags() []string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-tags" && s.Value != "" {
				return strings.Split(s.Value, ",")
			}
		}
	}
	return nil
}

// buildInt128 builds int128/kubelogin (or finds it in the tools cache) and
// returns its path.
func buildInt128() (string, error) {
	cmd := exec.Command("sh", "hack/int128-kubelogin.sh")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("build int128/kubelogin (hack/int128-kubelogin.sh; or run with -int128= to leave it out): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// stage copies the executable src to dst with write(2).
func stage(src, dst string) (string, error) {
	b, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", err
	}
	return dst, os.WriteFile(dst, b, 0o755)
}

func sizeMiB(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%.1f MiB", float64(fi.Size())/(1<<20))
}

// pluginArgs are the get-token flags of every benchmark run; int128/kubelogin
// takes the same ones.
func pluginArgs(p *oidcfake.Provider, cacheDir, browser string, extra ...string) []string {
	return append([]string{"get-token", "--oidc-issuer-url=" + p.Issuer(), "--oidc-client-id=kubelogin",
		"--token-cache-dir=" + cacheDir, "--listen-address=127.0.0.1:0", "--browser-command=" + browser}, extra...)
}
