package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sample is one process run.
type sample struct {
	wall time.Duration
	// cpu is user + system time: less sensitive than wall time to other
	// processes on a shared machine.
	cpu time.Duration
}

// program is one command line the benchmark runs.
type program struct {
	name string
	path string
	args []string
	// execCredential: the run must print an ExecCredential; otherwise any
	// successful run counts.
	execCredential bool
	// before, if set, runs before each run, outside the measured time.
	before func() error
	// execInfo, if set, is KUBERNETES_EXEC_INFO instead of execInfo.
	execInfo string
}

var execInfo = `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}`

// env is the program's environment: this one's, and KUBERNETES_EXEC_INFO
// as kubectl sets it.
func (p program) env() []string {
	info := execInfo
	if p.execInfo != "" {
		info = p.execInfo
	}
	return append(os.Environ(), "KUBERNETES_EXEC_INFO="+info)
}

// measure runs the program once and checks its output.
func measure(p program) (sample, error) {
	if p.before != nil {
		if err := p.before(); err != nil {
			return sample{}, err
		}
	}
	cmd := exec.Command(p.path, p.args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = p.env()
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%v: %s", err, errb.String())
	}
	if p.execCredential && !bytes.Contains(out.Bytes(), []byte(`"kind":"ExecCredential"`)) {
		return sample{}, fmt.Errorf("no ExecCredential on stdout: %q", out.String())
	}
	return sample{wall: d, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}, nil
}

// alternate runs the programs in turn, rounds times after warmup unmeasured
// rounds, each round in a new random order (seeded: the same in every run of
// the benchmark), so that neither machine noise nor the order favours one of
// them: in a fixed rotation each program would always follow the same one.
// It returns the samples of each program.
func alternate(progs []program, rounds, warmup int) ([][]sample, error) {
	out := make([][]sample, len(progs))
	rng := rand.New(rand.NewPCG(1, 2))
	for r := range warmup + rounds {
		for _, i := range rng.Perm(len(progs)) {
			s, err := measure(progs[i])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", progs[i].name, err)
			}
			if r >= warmup {
				out[i] = append(out[i], s)
			}
		}
	}
	return out, nil
}

// peakRSSAll returns rssRuns peak RSS figures (KiB) of each program, in
// alternation.
func peakRSSAll(progs []program) ([][]int64, error) {
	out := make([][]int64, len(progs))
	for range rssRuns {
		for i, p := range progs {
			r, err := peakRSS(p)
			if err != nil {
				return nil, fmt.Errorf("%s under GNU time: %w", p.name, err)
			}
			out[i] = append(out[i], r)
		}
	}
	return out, nil
}

// peakRSS runs the program under GNU time and returns its peak RSS in KiB.
// The child's own rusage cannot serve: Go starts children with a vfork-like
// clone, so their maxrss starts at the parent's (the harness's) RSS.
func peakRSS(p program) (int64, error) {
	f, err := os.CreateTemp("", "rss-")
	if err != nil {
		return 0, err
	}
	f.Close()
	defer os.Remove(f.Name())
	cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%M", "-o", f.Name(), p.path}, p.args...)...)
	cmd.Env = p.env()
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("%v: %s", err, out)
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

func wall(s []sample) []int64 {
	out := make([]int64, len(s))
	for i, x := range s {
		out[i] = int64(x.wall)
	}
	return out
}

func cpu(s []sample) []int64 {
	out := make([]int64, len(s))
	for i, x := range s {
		out[i] = int64(x.cpu)
	}
	return out
}

func median(v []int64) int64 { return percentile(v, 50) }

func percentile(v []int64, p int) int64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func ms(ns int64) string { return fmt.Sprintf("%.2f ms", float64(ns)/1e6) }

func printTable(progs []program, samples [][]sample, rss, rss4k [][]int64) {
	fmt.Printf("| program | median | p10 | p90 | min | max | median CPU (user + sys) | median peak RSS (%d runs, GNU time) |", rssRuns)
	if rss4k != nil {
		fmt.Print(" same, from the linker's file |")
	}
	fmt.Print("\n|---|---|---|---|---|---|---|---|")
	if rss4k != nil {
		fmt.Print("---|")
	}
	fmt.Println()
	for i, p := range progs {
		w := wall(samples[i])
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %.1f MiB |", p.name, ms(median(w)), ms(percentile(w, 10)), ms(percentile(w, 90)),
			ms(slices.Min(w)), ms(slices.Max(w)), ms(median(cpu(samples[i]))), float64(median(rss[i]))/1024)
		if rss4k != nil {
			fmt.Printf(" %.1f MiB |", float64(median(rss4k[i]))/1024)
		}
		fmt.Println()
	}
}

func numCPU() int { return runtime.NumCPU() }

func goVersion() string { return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH }
