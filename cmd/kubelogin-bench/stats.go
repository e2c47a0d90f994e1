package main

import (
	"bytes"
	"fmt"
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
}

var execInfo = `KUBERNETES_EXEC_INFO={"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}`

// measure runs the program once and checks it printed an ExecCredential.
func measure(prog string, args ...string) (sample, error) {
	cmd := exec.Command(prog, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), execInfo)
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%v: %s", err, errb.String())
	}
	if !bytes.Contains(out.Bytes(), []byte(`"kind":"ExecCredential"`)) {
		return sample{}, fmt.Errorf("no ExecCredential on stdout: %q", out.String())
	}
	return sample{wall: d}, nil
}

// peakRSS runs the program under GNU time and returns its peak RSS in KiB.
// The child's own rusage cannot serve: Go starts children with a vfork-like
// clone, so their maxrss starts at the parent's (the harness's) RSS.
func peakRSS(prog string, args ...string) (int64, error) {
	f, err := os.CreateTemp("", "rss-")
	if err != nil {
		return 0, err
	}
	f.Close()
	defer os.Remove(f.Name())
	cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%M", "-o", f.Name(), prog}, args...)...)
	cmd.Env = append(os.Environ(), execInfo)
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

func printRow(name string, s []sample, rssKiB []int64) {
	w := wall(s)
	fmt.Printf("| %s | %s | %s | %s | %s | %s | %.1f MiB |\n", name, ms(median(w)), ms(percentile(w, 10)), ms(percentile(w, 90)),
		ms(slices.Min(w)), ms(slices.Max(w)), float64(median(rssKiB))/1024)
}

func numCPU() int { return runtime.NumCPU() }

func goVersion() string { return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH }
