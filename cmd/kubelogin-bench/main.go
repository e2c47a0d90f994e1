// Command kubelogin-bench measures kubelogin (make bench). It builds the plugin
// and the floor program, then reports, within one run on one machine:
//
//   - the cached get-token path against the floor program, run alternately
//     (A B A B …) so that machine noise hits both: medians, spread, ratio, peak RSS;
//   - refreshes against the in-process provider with a per-request latency,
//     counting the requests the provider receives (warm and cold metadata);
//   - the stripped binary size.
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
	pairs := flag.Int("pairs", 200, "measured A/B pairs for the cached path (after warm-up)")
	warmup := flag.Int("warmup", 20, "unmeasured A/B pairs first")
	latency := flag.Duration("latency", 50*time.Millisecond, "latency the provider adds to every request")
	refreshes := flag.Int("refreshes", 15, "runs per refresh scenario")
	flag.Parse()
	if err := run(*pairs, *warmup, *latency, *refreshes); err != nil {
		fmt.Fprintln(os.Stderr, "kubelogin-bench:", err)
		os.Exit(1)
	}
}

func run(pairs, warmup int, latency time.Duration, refreshes int) error {
	dir, err := os.MkdirTemp("", "kubelogin-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	plugin, floor := filepath.Join(dir, "kubelogin"), filepath.Join(dir, "floor")
	for _, b := range [][2]string{{plugin, "./cmd/kubelogin"}, {floor, "./cmd/kubelogin-bench/floor"}} {
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", b[0], b[1])
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build %s: %w", b[1], err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	fmt.Printf("# kubelogin benchmark\n\n%s, %s, %d CPUs, %s\n\n", time.Now().UTC().Format(time.RFC3339), host, numCPU(), goVersion())
	if fi, err := os.Stat(plugin); err == nil {
		fmt.Printf("Stripped binary (CGO_ENABLED=0, -s -w): %.1f MiB\n\n", float64(fi.Size())/(1<<20))
	}
	if err := cachedPath(dir, plugin, floor, self, pairs, warmup); err != nil {
		return err
	}
	return refreshPaths(dir, plugin, self, latency, refreshes)
}

// pluginArgs are the get-token flags of every benchmark run.
func pluginArgs(p *oidcfake.Provider, cacheDir, browser string, extra ...string) []string {
	return append([]string{"get-token", "--oidc-issuer-url=" + p.Issuer(), "--oidc-client-id=kubelogin",
		"--token-cache-dir=" + cacheDir, "--listen-address=127.0.0.1:0", "--browser-command=" + browser}, extra...)
}

func cachedPath(dir, plugin, floor, browser string, pairs, warmup int) error {
	p, err := oidcfake.Start(oidcfake.Config{})
	if err != nil {
		return err
	}
	defer p.Close()
	cacheDir := filepath.Join(dir, "cache-hit")
	args := pluginArgs(p, cacheDir, browser)
	if _, err := measure(plugin, args...); err != nil {
		return fmt.Errorf("first login: %w", err)
	}
	entries, _ := filepath.Glob(filepath.Join(cacheDir, "[0-9a-f]*.json"))
	if len(entries) != 1 {
		return fmt.Errorf("want one cache entry, got %v", entries)
	}
	p.ResetCounts()
	var a, b []sample
	for i := range warmup + pairs {
		sa, err := measure(plugin, args...)
		if err != nil {
			return fmt.Errorf("kubelogin: %w", err)
		}
		sb, err := measure(floor, entries[0])
		if err != nil {
			return fmt.Errorf("floor: %w", err)
		}
		if i >= warmup {
			a, b = append(a, sa), append(b, sb)
		}
	}
	if n := p.Count("discovery") + p.Count("token") + p.Count("jwks"); n != 0 {
		return fmt.Errorf("the cached path made %d requests to the provider", n)
	}
	var rssA, rssB []int64
	for range 21 {
		ra, err := peakRSS(plugin, args...)
		if err != nil {
			return fmt.Errorf("kubelogin under GNU time: %w", err)
		}
		rb, err := peakRSS(floor, entries[0])
		if err != nil {
			return fmt.Errorf("floor under GNU time: %w", err)
		}
		rssA, rssB = append(rssA, ra), append(rssB, rb)
	}
	fmt.Printf("## Cached get-token (valid token, no network): %d alternating pairs after %d warm-up pairs\n\n", pairs, warmup)
	fmt.Println("| program | median | p10 | p90 | min | max | median peak RSS (21 runs, GNU time) |")
	fmt.Println("|---|---|---|---|---|---|---|")
	printRow("kubelogin get-token", a, rssA)
	printRow("floor program", b, rssB)
	ratio := float64(median(wall(a))) / float64(median(wall(b)))
	fmt.Printf("\nRatio of medians kubelogin/floor: **%.2f×** (target ≤ 2.0×); kubelogin peak RSS %.1f MiB (target ≤ 8 MiB)\n\n", ratio, float64(median(rssA))/1024)
	return nil
}

func refreshPaths(dir, plugin, browser string, latency time.Duration, n int) error {
	p, err := oidcfake.Start(oidcfake.Config{Latency: latency})
	if err != nil {
		return err
	}
	defer p.Close()
	cacheDir := filepath.Join(dir, "cache-refresh")
	args := pluginArgs(p, cacheDir, browser, "--force-refresh")
	if _, err := measure(plugin, pluginArgs(p, cacheDir, browser)...); err != nil {
		return fmt.Errorf("first login: %w", err)
	}
	fmt.Printf("## Refresh, provider latency %s per request, %d runs each\n\n", latency, n)
	fmt.Println("| scenario | requests per refresh (discovery + token + JWKS) | median wall time |")
	fmt.Println("|---|---|---|")
	for _, sc := range []struct {
		name string
		cold bool
	}{{"metadata cached (warm)", false}, {"metadata not cached (cold)", true}} {
		var samples []sample
		p.ResetCounts()
		for range n {
			if sc.cold {
				meta, _ := filepath.Glob(filepath.Join(cacheDir, "provider-*.json"))
				for _, m := range meta {
					os.Remove(m)
				}
			}
			s, err := measure(plugin, args...)
			if err != nil {
				return fmt.Errorf("refresh: %w", err)
			}
			samples = append(samples, s)
		}
		reqs := p.Count("discovery") + p.Count("token") + p.Count("jwks")
		fmt.Printf("| %s | %.1f | %s |\n", sc.name, float64(reqs)/float64(n), ms(median(wall(samples))))
	}
	fmt.Println()
	return nil
}
