package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// rssRuns is how many runs under GNU time give each peak RSS median.
const rssRuns = 21

// cachedPath runs kubelogin's cached get-token, the floor program,
// int128/kubelogin's cached get-token, the floor program with kubelogin's
// dependencies and the -with builds in one alternation, after one login each.
func (b *bench) cachedPath() error {
	p, err := oidcfake.Start(oidcfake.Config{TokenExchange: &oidcfake.TokenExchangeConfig{Audiences: []string{clusterAudience}}})
	if err != nil {
		return err
	}
	defer p.Close()
	ours := program{name: "kubelogin get-token", path: b.plugin, args: pluginArgs(p, filepath.Join(b.dir, "cache-hit"), b.browser), execCredential: true}
	entry, err := b.loginOnce(ours, ourEntries)
	if err != nil {
		return err
	}
	progs := []program{ours, {name: "floor program", path: b.floor, args: []string{entry}, execCredential: true}}
	if b.int128 != "" {
		theirs := program{name: "int128/kubelogin get-token", path: b.int128, args: pluginArgs(p, filepath.Join(b.dir, "cache-int128"), b.browser), execCredential: true}
		if _, err := b.loginOnce(theirs, int128Entries); err != nil {
			return err
		}
		progs = append(progs, theirs)
	}
	progs = append(progs, program{name: "floor program + kubelogin's dependencies (init only)", path: b.floorDeps, args: []string{entry}, execCredential: true})
	// A user entry shared by many clusters (provideClusterInfo): the cached
	// token of the cluster's audience, from the same login.
	cluster := program{name: "kubelogin get-token, audience from provideClusterInfo", path: b.plugin, args: ours.args, execCredential: true, execInfo: clusterExecInfo}
	if _, err := measure(cluster); err != nil { // the exchange for the audience happens here
		return fmt.Errorf("%s: %w", cluster.name, err)
	}
	progs = append(progs, cluster)
	for _, w := range b.o.with {
		w.name, w.args, w.execCredential = "with "+w.name, ours.args, true
		if _, err := measure(w); err != nil { // a build with another cache key logs in here
			return fmt.Errorf("%s: %w", w.name, err)
		}
		progs = append(progs, w)
	}
	p.ResetCounts()
	samples, err := alternate(progs, b.o.pairs, b.o.warmup)
	if err != nil {
		return err
	}
	if n := p.Count("discovery") + p.Count("token") + p.Count("jwks"); n != 0 {
		return fmt.Errorf("the cached runs made %d requests to the provider: not a cache hit", n)
	}
	rss, err := peakRSSAll(progs)
	if err != nil {
		return err
	}
	// The same programs from the files the staged copies copy (the linker's
	// output, in 4 KiB pages of the page cache): RSS then counts the 64 KiB
	// windows a start touches, where large folios count nearly all the file.
	var rss4k [][]int64
	if len(b.unstaged) > 0 {
		linkers := slices.Clone(progs)
		for i := range linkers {
			linkers[i].path = b.unstaged[linkers[i].path]
		}
		if rss4k, err = peakRSSAll(linkers); err != nil {
			return err
		}
	}
	fmt.Printf("## Cached get-token (valid token, no network): %d alternating rounds after %d warm-up rounds\n\n", b.o.pairs, b.o.warmup)
	printTable(progs, samples, rss, rss4k)
	ratio := func(i, j int) float64 { return float64(median(wall(samples[i]))) / float64(median(wall(samples[j]))) }
	cpuRatio := func(i, j int) float64 { return float64(median(cpu(samples[i]))) / float64(median(cpu(samples[j]))) }
	deps := len(progs) - len(b.o.with) - 2
	fmt.Printf("\nRatios of medians, wall (CPU): kubelogin/floor **%.2f×** (%.2f×; target ≤ 1.5×)", ratio(0, 1), cpuRatio(0, 1))
	if b.int128 != "" {
		fmt.Printf("; kubelogin/int128 **%.2f×** (%.2f×; target ≤ 0.55)", ratio(0, 2), cpuRatio(0, 2))
	}
	fmt.Printf("; floor + dependencies/floor %.2f× (%.2f×)", ratio(deps, 1), cpuRatio(deps, 1))
	fmt.Printf("; kubelogin peak RSS **%.1f MiB** (target ≤ 7 MiB)", float64(median(rss[0]))/1024)
	if rss4k != nil {
		fmt.Printf(", from the linker's file **%.1f MiB**", float64(median(rss4k[0]))/1024)
	}
	fmt.Println()
	fmt.Printf("With the audience from provideClusterInfo: /kubelogin %.2f× (CPU %.2f×); /floor %.2f×\n", ratio(deps+1, 0), cpuRatio(deps+1, 0), ratio(deps+1, 1))
	for i := len(progs) - len(b.o.with); i < len(progs); i++ {
		fmt.Printf("Ratios %s: /kubelogin %.2f× (CPU %.2f×); /floor %.2f× (CPU %.2f×)\n", progs[i].name, ratio(i, 0), cpuRatio(i, 0), ratio(i, 1), cpuRatio(i, 1))
	}
	fmt.Println()
	return nil
}

// clusterAudience is the audience of the provideClusterInfo case, and
// clusterExecInfo the KUBERNETES_EXEC_INFO kubectl sets for such a cluster
// (its exec extension names the audience).
const (
	clusterAudience = "cluster-a"
	clusterExecInfo = `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false,` +
		`"cluster":{"server":"https://cluster-a.example:6443","config":{"audience":"` + clusterAudience + `"}}}}`
)

var (
	ourEntries    = regexp.MustCompile(`^[0-9a-f]{64}\.json$`)
	int128Entries = regexp.MustCompile(`^[0-9a-f]{64}$`) // int128/kubelogin: sha256 of its gob-encoded key, no extension
)

// loginOnce logs in with prog (through the scripted browser) and returns the
// one cache entry it left, whose name matches entries.
func (b *bench) loginOnce(prog program, entries *regexp.Regexp) (string, error) {
	if _, err := measure(prog); err != nil {
		return "", fmt.Errorf("%s: first login: %w", prog.name, err)
	}
	dir := strings.TrimPrefix(prog.args[3], "--token-cache-dir=")
	des, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var found []string
	for _, de := range des {
		if entries.MatchString(de.Name()) {
			found = append(found, filepath.Join(dir, de.Name()))
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("%s: want one cache entry after the login, got %v", prog.name, found)
	}
	return found[0], nil
}

// cacheGrowth measures the cached path with 1, 100 and 1,000 logins in the
// cache directory (many clusters × accounts), and status and clean at 1,000.
func (b *bench) cacheGrowth() error {
	p, err := oidcfake.Start(oidcfake.Config{})
	if err != nil {
		return err
	}
	defer p.Close()
	first := filepath.Join(b.dir, "growth-login")
	login := program{path: b.plugin, args: pluginArgs(p, first, b.browser), execCredential: true}
	entry, err := b.loginOnce(login, ourEntries)
	if err != nil {
		return err
	}
	var progs []program
	for _, n := range []int{1, 100, 1000} {
		dir := filepath.Join(b.dir, fmt.Sprintf("growth-%d", n))
		if err := fillCache(dir, first, entry, n); err != nil {
			return err
		}
		name := fmt.Sprintf("get-token, %d logins in the cache", n)
		if n == 1 {
			name = "get-token, 1 login in the cache"
		}
		progs = append(progs, program{name: name, path: b.plugin,
			args: pluginArgs(p, dir, b.browser), execCredential: true})
	}
	full := filepath.Join(b.dir, "growth-1000")
	scratch := filepath.Join(b.dir, "growth-clean")
	p.ResetCounts()
	samples, err := alternate(progs, b.o.growthRounds, 3)
	if err != nil {
		return err
	}
	// status and clean touch every file: measured apart, so that their disk
	// work does not land on the get-token runs.
	for _, pr := range []program{
		{name: "status, 1000 logins", path: b.plugin, args: []string{"status", "--token-cache-dir=" + full}},
		{name: "clean, 1000 logins (on a fresh copy each run)", path: b.plugin, args: []string{"clean", "--token-cache-dir=" + scratch},
			before: func() error { return copyDir(full, scratch) }},
	} {
		s, err := alternate([]program{pr}, b.o.growthRounds/4+1, 1)
		if err != nil {
			return err
		}
		progs, samples = append(progs, pr), append(samples, s[0])
	}
	if n := p.Count("discovery") + p.Count("token") + p.Count("jwks"); n != 0 {
		return fmt.Errorf("the cache-growth runs made %d requests to the provider", n)
	}
	if left, _ := os.ReadDir(scratch); len(left) != 0 {
		return fmt.Errorf("clean left %d files in the cache directory", len(left))
	}
	fmt.Printf("## Cache growth: get-token in %d alternating rounds; then status and clean, %d runs each\n\n", b.o.growthRounds, b.o.growthRounds/4+1)
	fmt.Println("| program | median | p10 | p90 | median CPU (user + sys) |")
	fmt.Println("|---|---|---|---|---|")
	for i, pr := range progs {
		w := wall(samples[i])
		fmt.Printf("| %s | %s | %s | %s | %s |\n", pr.name, ms(median(w)), ms(percentile(w, 10)), ms(percentile(w, 90)), ms(median(cpu(samples[i]))))
	}
	fmt.Printf("\nget-token with 1,000 logins / with 1: **%.2f×** wall, %.2f× CPU (flat: the cached path reads one file)\n\n",
		float64(median(wall(samples[2])))/float64(median(wall(samples[0]))), float64(median(cpu(samples[2])))/float64(median(cpu(samples[0]))))
	return nil
}

// fillCache makes dir a cache directory with the files of src (one login)
// and n-1 more logins: copies of its entry under other keys, each with its
// lock file, as kubelogin leaves them.
func fillCache(dir, src, entry string, n int) error {
	if err := copyDir(src, dir); err != nil {
		return err
	}
	body, err := os.ReadFile(entry)
	if err != nil {
		return err
	}
	for range n - 1 {
		k := make([]byte, 32)
		rand.Read(k)
		key := filepath.Join(dir, hex.EncodeToString(k))
		if err := os.WriteFile(key+".json", body, 0o600); err != nil {
			return err
		}
		if err := os.WriteFile(key+".lock", nil, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// copyDir replaces dst with a copy of the regular files of src.
func copyDir(src, dst string) error {
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	des, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, de := range des {
		if !de.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, de.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, de.Name()), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}
