// Command winetest proves the Windows binary under Wine, against the
// in-process provider (package oidcfake) on loopback:
//
//  1. a login (password grant) writes the token cache, and the next run is
//     answered from it without a request to the provider;
//
//  2. five concurrent runs on the expired token make one refresh, and all
//     five print the refreshed token (the lock works between Windows
//     processes: int128/kubelogin shipped a Windows lock bug, its #1144);
//
//  3. clean removes the cached login.
//
// Usage:
//
//	go run ./hack/winetest -exe dist/kubelogin_windows_amd64_v1/kubelogin.exe [-wine /usr/lib/wine/wine64]
//
// It prints one line per check and how long each took, and exits 1 when a
// check fails. hack/wine-test.sh installs Wine and runs it.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

func main() {
	exe := flag.String("exe", "", "the windows/amd64 kubelogin.exe")
	wine := flag.String("wine", "/usr/lib/wine/wine64", "the wine64 program")
	dll := flag.String("system32", "", "a DLL to put into the prefix's system32 (the bcryptprimitives.dll stub, see hack/wine-test.sh)")
	flag.Parse()
	if *exe == "" {
		fmt.Fprintln(os.Stderr, "winetest: give -exe")
		os.Exit(2)
	}
	if err := run(*exe, *wine, *dll); err != nil {
		fmt.Fprintln(os.Stderr, "winetest: FAIL:", err)
		os.Exit(1)
	}
	fmt.Println("winetest: PASS")
}

// The token the login gets expires this long after it: long enough for the
// cache-hit run to see it valid (kubelogin renews one minute early), short
// enough that the test then waits only half a minute for it to expire.
const firstTokenTTL = 95 * time.Second

func run(exe, wine, dll string) error {
	exe, err := filepath.Abs(exe)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "winetest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	cacheDir := filepath.Join(work, "cache")

	// The provider's clock runs behind until the first token is issued, so
	// that token expires firstTokenTTL after the login while the provider's
	// usual one-hour lifetime stays.
	var offset atomic.Int64
	offset.Store(int64(firstTokenTTL - time.Hour))
	p, err := oidcfake.Start(oidcfake.Config{Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }})
	if err != nil {
		return err
	}
	defer p.Close()

	w := wineRunner{wine: wine, exe: exe, prefix: filepath.Join(work, "prefix")}
	start := time.Now()
	boot := w.cmd()
	boot.Args = []string{wine, "wineboot", "--init"}
	if out, err := boot.CombinedOutput(); err != nil {
		return fmt.Errorf("wineboot --init: %v\n%s", err, out)
	}
	fmt.Printf("winetest: a fresh wine prefix (%s)\n", since(start))
	if dll != "" {
		b, err := os.ReadFile(dll)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(w.prefix, "drive_c", "windows", "system32", filepath.Base(dll)), b, 0o644); err != nil {
			return err
		}
	}
	start = time.Now()
	if out, err := w.cmd("version").CombinedOutput(); err != nil || !strings.Contains(string(out), "windows/amd64") {
		return fmt.Errorf("kubelogin.exe version under wine: %v\n%s", err, out)
	} else {
		fmt.Printf("winetest: wine runs kubelogin.exe (%s, %s)\n", strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "; "), since(start))
	}

	args := []string{"get-token",
		"--oidc-issuer-url=" + p.Issuer(), "--oidc-client-id=kubelogin",
		"--grant-type=password", "--username=admin@example.com",
		"--token-cache-dir=" + windowsPath(cacheDir)}
	env := []string{"KUBELOGIN_PASSWORD=password"}

	// 1. Login, then a cache hit.
	t0 := time.Now()
	first, err := w.credential(env, args...)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	issued := time.Now() // the token was issued before this
	fmt.Printf("winetest: login with the password grant wrote the cache (%s)\n", since(t0))
	offset.Store(0)
	t := time.Now()
	before := p.Count("token")
	second, err := w.credential(env, args...)
	if err != nil {
		return fmt.Errorf("cached run: %w", err)
	}
	if n := p.Count("token") - before; n != 0 || second != first {
		return fmt.Errorf("cached run: %d token requests, same token %t; want 0 and the cached token", n, second == first)
	}
	fmt.Printf("winetest: the next run was answered from the cache, no token request (%s)\n", since(t))

	// 2. Five concurrent runs on the expired token: one refresh.
	if wait := time.Until(issued.Add(firstTokenTTL - time.Minute + 2*time.Second)); wait > 0 {
		fmt.Printf("winetest: waiting %s for the cached token to expire\n", wait.Round(time.Second))
		time.Sleep(wait)
	}
	p.ResetCounts()
	t = time.Now()
	const n = 5
	tokens := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tokens[i], errs[i] = w.credential(env, args...)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("concurrent runs: %w", err)
	}
	refreshes := p.TokenRequests("refresh_token")
	logins := p.TokenRequests("password")
	distinct := map[string]bool{}
	for _, tok := range tokens {
		distinct[tok] = true
	}
	if len(distinct) != 1 || distinct[first] || refreshes != 1 || logins != 0 {
		return fmt.Errorf("%d concurrent runs on an expired token made %d refreshes and %d logins and printed %d different tokens (the expired one: %t); want 1 refresh, no login, one new token",
			n, refreshes, logins, len(distinct), distinct[first])
	}
	fmt.Printf("winetest: %d concurrent runs on the expired token made 1 refresh and printed the same new token (%s)\n", n, since(t))

	// 3. clean.
	t = time.Now()
	out, err := w.cmd("clean", "--token-cache-dir="+windowsPath(cacheDir)).CombinedOutput()
	if err != nil {
		return fmt.Errorf("clean: %v\n%s", err, out)
	}
	if left, _ := os.ReadDir(cacheDir); len(left) != 0 {
		var names []string
		for _, de := range left {
			names = append(names, de.Name())
		}
		return fmt.Errorf("clean left %v in the cache directory; it said:\n%s", names, out)
	}
	fmt.Printf("winetest: clean removed the login (%s): %s\n", since(t), firstLine(out))
	return nil
}

// wineRunner runs kubelogin.exe under wine with a prefix of its own.
type wineRunner struct{ wine, exe, prefix string }

func (w wineRunner) cmd(args ...string) *exec.Cmd {
	cmd := exec.Command(w.wine, append([]string{w.exe}, args...)...)
	cmd.Env = append(os.Environ(),
		"WINEPREFIX="+w.prefix,
		"WINEDEBUG=-all",
		"WINEDLLOVERRIDES=mscoree,mshtml=", // no Mono or Gecko installer at the first start
		"DISPLAY=",
	)
	return cmd
}

// credential runs get-token as kubectl does and returns the ID token of the
// ExecCredential it prints.
func (w wineRunner) credential(env []string, args ...string) (string, error) {
	cmd := w.cmd(args...)
	cmd.Env = append(cmd.Env, env...)
	cmd.Env = append(cmd.Env, `KUBERNETES_EXEC_INFO={"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}`)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var cred struct {
		Status struct {
			Token string `json:"token"`
		} `json:"status"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &cred); err != nil || cred.Status.Token == "" {
		return "", fmt.Errorf("no ExecCredential on stdout (%v); stderr: %s", err, strings.TrimSpace(stderr.String()))
	}
	return cred.Status.Token, nil
}

// windowsPath is how a Windows program under wine names a Linux path: Z: is
// the Unix root.
func windowsPath(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }

func since(t time.Time) time.Duration { return time.Since(t).Round(10 * time.Millisecond) }

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}
