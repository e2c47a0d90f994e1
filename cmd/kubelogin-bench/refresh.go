package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// refreshPaths measures refreshes (--force-refresh) against the in-process
// provider with a per-request latency, and counts the requests it receives:
// kubelogin with its provider metadata cached and not, and int128/kubelogin.
func (b *bench) refreshPaths() error {
	p, err := oidcfake.Start(oidcfake.Config{Latency: b.o.latency})
	if err != nil {
		return err
	}
	defer p.Close()
	ours := program{name: "kubelogin", path: b.plugin, args: pluginArgs(p, filepath.Join(b.dir, "cache-refresh"), b.browser), execCredential: true}
	if _, err := b.loginOnce(ours, ourEntries); err != nil {
		return err
	}
	cacheDir := filepath.Join(b.dir, "cache-refresh")
	dropMetadata := func() error {
		meta, _ := filepath.Glob(filepath.Join(cacheDir, "provider-*.json"))
		for _, m := range meta {
			if err := os.Remove(m); err != nil {
				return err
			}
		}
		return nil
	}
	scenarios := []program{
		{name: "kubelogin, provider metadata cached (warm)", path: b.plugin, args: append(slices.Clip(ours.args), "--force-refresh"), execCredential: true},
		{name: "kubelogin, provider metadata not cached (cold)", path: b.plugin, args: append(slices.Clip(ours.args), "--force-refresh"), execCredential: true, before: dropMetadata},
	}
	if b.int128 != "" {
		theirs := program{name: "int128/kubelogin", path: b.int128, args: pluginArgs(p, filepath.Join(b.dir, "cache-refresh-int128"), b.browser), execCredential: true}
		if _, err := b.loginOnce(theirs, int128Entries); err != nil {
			return err
		}
		theirs.name, theirs.args = "int128/kubelogin", append(slices.Clip(theirs.args), "--force-refresh")
		scenarios = append(scenarios, theirs)
	}
	fmt.Printf("## Refresh, provider latency %s per request, %d runs each\n\n", b.o.latency, b.o.refreshes)
	fmt.Println("| scenario | requests per refresh (discovery + token + JWKS) | median wall time |")
	fmt.Println("|---|---|---|")
	for _, sc := range scenarios {
		var samples []sample
		p.ResetCounts()
		for range b.o.refreshes {
			s, err := measure(sc)
			if err != nil {
				return fmt.Errorf("%s: refresh: %w", sc.name, err)
			}
			samples = append(samples, s)
		}
		reqs := p.Count("discovery") + p.Count("token") + p.Count("jwks")
		fmt.Printf("| %s | %.1f | %s |\n", sc.name, float64(reqs)/float64(b.o.refreshes), ms(median(wall(samples))))
	}
	fmt.Println()
	return nil
}
