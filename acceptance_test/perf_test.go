package acceptance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/acceptance_test/harness"
)

// TestPerfReport prints, for kubelogin and int128/kubelogin on this machine
// against the suite's Dex, the wall time of a first browser login (auth code
// + PKCE through Dex's pages in Chromium), of a refresh (--force-refresh),
// and of a device-code login from the approval (the browser's request to
// Dex's device callback, seen by the counting proxy) to the token. Figures for docs/performance.md; nothing
// is asserted beyond each run succeeding. Skipped unless KUBELOGIN_PERF_REPORT
// is set (to a number of runs per figure, or 1):
//
//	make build && hack/int128-kubelogin.sh
//	cd acceptance_test && KUBELOGIN_PERF_REPORT=3 KUBELOGIN_BIN=$PWD/../bin/kubelogin go test -count=1 -v -run TestPerfReport .
//
// INT128_KUBELOGIN names the incumbent's binary; by default the one
// hack/int128-kubelogin.sh leaves in the tools cache, else it is left out.
func TestPerfReport(t *testing.T) {
	runs, err := strconv.Atoi(os.Getenv("KUBELOGIN_PERF_REPORT"))
	if err != nil || runs < 1 {
		t.Skip("set KUBELOGIN_PERF_REPORT=N to measure logins and refreshes (N runs each)")
	}
	ctx := context.Background()
	plugins := [][2]string{{"kubelogin", stack.Kubelogin}}
	int128 := os.Getenv("INT128_KUBELOGIN")
	if int128 == "" {
		int128 = filepath.Join(testCache(), "bin", "int128-kubelogin-v1.36.3")
	}
	if _, err := os.Stat(int128); err == nil {
		plugins = append(plugins, [2]string{"int128/kubelogin v1.36.3", int128})
	} else {
		logf("TestPerfReport: no int128/kubelogin at %s (run hack/int128-kubelogin.sh): left out", int128)
	}
	var rows []string
	for i, p := range plugins {
		getToken := append([]string{"get-token"}, loginFlags(t, false)...)
		if i > 0 {
			getToken = append(getToken, "--browser-command="+int128Browser(t))
		}
		var login, refresh, device, deviceTotal []time.Duration
		for range runs {
			// A fresh user (HOME, so an empty cache) per run: a first login.
			u := newUser(t, "1.33", harness.Exec{Flags: loginFlags(t, false)})
			r := u.Run(ctx, p[1], getToken...)
			mustSucceed(t, r)
			login = append(login, r.Duration)
			r = u.Run(ctx, p[1], append(getToken, "--force-refresh")...)
			mustSucceed(t, r)
			refresh = append(refresh, r.Duration)

			d := newUser(t, "1.33", harness.Exec{Flags: loginFlags(t, false)})
			approved := watchApproval()
			r = d.Run(ctx, p[1], append(getToken, "--grant-type=device-code")...)
			end := time.Now()
			mustSucceed(t, r)
			at, ok := approved()
			if !ok {
				fatalf(t, "%s: device login: Dex saw no request to %s", p[0], deviceCallback)
			}
			device = append(device, end.Sub(at))
			deviceTotal = append(deviceTotal, r.Duration)
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s | %s |", p[0], medianOf(login), medianOf(refresh), medianOf(device), medianOf(deviceTotal)))
		logf("TestPerfReport: %s", rows[len(rows)-1])
	}
	report(t, "perf", fmt.Sprintf("Dex %s, %d runs each, medians (min–max)\n", stack.Issuer, runs)+
		"| plugin | first browser login (auth code + PKCE, Chromium) | refresh (--force-refresh) | device code: approval → token | device code: whole login |\n"+
		"|---|---|---|---|---|\n"+strings.Join(rows, "\n"))
}

// deviceCallback is where Dex's approval page sends the browser: the device
// request is approved when Dex answers it.
const deviceCallback = "/dex/device/callback"

// watchApproval watches the proxy in front of Dex for the next request to
// deviceCallback. The returned func stops watching and tells when it came.
func watchApproval() func() (time.Time, bool) {
	before := stack.Proxy.Snapshot().Paths[deviceCallback]
	stop, seen := make(chan struct{}), make(chan time.Time, 1)
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if stack.Proxy.Snapshot().Paths[deviceCallback] > before {
					seen <- time.Now()
					return
				}
			}
		}
	}()
	return func() (time.Time, bool) {
		close(stop)
		select {
		case at := <-seen:
			return at, true
		default:
			return time.Time{}, false
		}
	}
}

// medianOf formats the median of d, with its range when there are several.
func medianOf(d []time.Duration) string {
	s := slices.Clone(d)
	slices.Sort(s)
	m := s[(len(s)-1)/2].Round(time.Millisecond).String()
	if len(s) > 1 {
		m += fmt.Sprintf(" (%s–%s)", s[0].Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond))
	}
	return m
}

// int128Browser writes the browser program int128/kubelogin is given: it
// opens its own callback server's root, which redirects to the authorization
// URL, while cmd/chromium-login ends a login at the redirect_uri it finds in
// the URL it is given; so follow that redirect first.
func int128Browser(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "int128-browser")
	script := "#!/bin/sh\nu=$1\ncase $u in http://localhost:*|http://127.0.0.1:*) u=$(curl -s -o /dev/null -w '%{redirect_url}' \"$1\");; esac\n" +
		"exec " + stack.Browser + " \"${u:-$1}\"\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		fatalf(t, "%v", err)
	}
	return path
}
