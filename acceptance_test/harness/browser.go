package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// BrowserLaunch is one run of cmd/chromium-login.
type BrowserLaunch struct {
	// PID is the browser program's process ID.
	PID int
	// URL is the URL kubelogin asked it to open.
	URL string
	// Result is "ok", "error: …", or "" while it still runs.
	Result string
}

// BrowserLaunches returns every launch recorded for the user so far.
func (u *User) BrowserLaunches() []BrowserLaunch {
	var launches []BrowserLaunch
	byPID := map[int]int{}
	for _, line := range readLines(u.BrowserLog) {
		f := strings.SplitN(line, " ", 3)
		if len(f) != 3 || f[0] != "launch" {
			continue
		}
		pid, _ := strconv.Atoi(f[1])
		byPID[pid] = len(launches)
		launches = append(launches, BrowserLaunch{PID: pid, URL: f[2]})
	}
	for _, line := range readLines(u.BrowserLog + ".done") {
		f := strings.SplitN(line, " ", 3)
		if len(f) != 3 || f[0] != "done" {
			continue
		}
		pid, _ := strconv.Atoi(f[1])
		if i, ok := byPID[pid]; ok {
			launches[i].Result = f[2]
		}
	}
	return launches
}

// WaitBrowsers waits until every launched browser program has finished, and
// returns an error naming those that failed or are still running (which it
// then kills, with their Chromium, by process group).
func (u *User) WaitBrowsers(ctx context.Context, timeout time.Duration) error {
	err := Poll(ctx, timeout, 100*time.Millisecond, func() error {
		for _, l := range u.BrowserLaunches() {
			if l.Result == "" && processAlive(l.PID) {
				return fmt.Errorf("browser program %d still runs", l.PID)
			}
		}
		return nil
	})
	var problems []string
	for _, l := range u.BrowserLaunches() {
		switch {
		case l.Result == "ok":
		case l.Result == "" && processAlive(l.PID):
			_ = syscall.Kill(-l.PID, syscall.SIGKILL)
			problems = append(problems, fmt.Sprintf("browser %d did not finish (killed): %s", l.PID, u.BrowserOutput(l.PID)))
		case l.Result == "":
			problems = append(problems, fmt.Sprintf("browser %d died without a result: %s", l.PID, u.BrowserOutput(l.PID)))
		default:
			problems = append(problems, fmt.Sprintf("browser %d: %s\n%s", l.PID, l.Result, u.BrowserOutput(l.PID)))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return err
}

// BrowserOutput is the diagnostic output of one browser run.
func (u *User) BrowserOutput(pid int) string {
	return TailFile(fmt.Sprintf("%s.%d.txt", u.BrowserLog, pid), 20)
}

// BrowserOutputs is the output of every browser run of the user.
func (u *User) BrowserOutputs() string {
	var b strings.Builder
	files, _ := filepath.Glob(u.BrowserLog + ".*.txt")
	for _, f := range files {
		fmt.Fprintf(&b, "--- %s\n%s\n", filepath.Base(f), TailFile(f, 20))
	}
	return b.String()
}

// processAlive reports whether pid runs; a zombie (an orphan nobody reaped,
// common in containers) does not count.
func processAlive(pid int) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name: "pid (comm) S …".
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

func readLines(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}
