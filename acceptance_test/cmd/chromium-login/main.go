// Command chromium-login is the browser the acceptance suite gives kubelogin
// with --browser-command. kubelogin runs it with one argument, the URL to
// open; it then logs in to Dex or Keycloak the way a person would, in a real
// headless Chromium:
//
//   - an authorization URL: Dex's login form (admin@example.com / password),
//     then "Grant Access", or Keycloak's login form (alice / alice-password),
//     until the browser lands on the loopback callback named by the URL's
//     redirect_uri;
//   - a device verification URL: Dex's user-code form (confirmed as filled in
//     by verification_uri_complete), the login form, "Grant Access", until
//     Dex shows "Login Successful"; on Keycloak its login form, its consent
//     page ("Yes"), until it shows "Device Login Successful".
//
// Every launch appends one line to the file named by
// KUBELOGIN_ACCEPTANCE_BROWSER_LOG, so a test can count launches, and a line
// "done <pid> ok|error: …" to the same file with the suffix ".done" when it
// finishes. Its own diagnostics go to "<log>.<pid>.txt". kubelogin does not
// wait for its browser, so the program detaches from the parent's output
// streams and does not depend on the parent being alive.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/chromedp/chromedp"
)

// envLog names the file that records every launch.
const envLog = "KUBELOGIN_ACCEPTANCE_BROWSER_LOG"

// Credentials of Dex's static user, and of the user of the suite's
// Keycloak realm (harness/keycloak/realm.json).
const (
	username   = "admin@example.com"
	password   = "password"
	kcUsername = "alice"
	kcPassword = "alice-password"
)

// overallTimeout bounds one login, so that a stuck page never leaves a browser behind.
const overallTimeout = 90 * time.Second

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s URL\n", filepath.Base(os.Args[0]))
		os.Exit(2)
	}
	target := os.Args[1]
	logPath := os.Getenv(envLog)
	if logPath == "" {
		fmt.Fprintf(os.Stderr, "chromium-login: %s is not set\n", envLog)
		os.Exit(2)
	}
	if err := appendLine(logPath, fmt.Sprintf("launch %d %s", os.Getpid(), target)); err != nil {
		fmt.Fprintf(os.Stderr, "chromium-login: %v\n", err)
		os.Exit(1)
	}
	detach(fmt.Sprintf("%s.%d.txt", logPath, os.Getpid()))

	start := time.Now()
	err := login(target)
	result := "ok"
	if err != nil {
		result = "error: " + strings.ReplaceAll(err.Error(), "\n", " ")
	}
	fmt.Printf("chromium-login: %s after %s\n", result, time.Since(start).Round(time.Millisecond))
	if err := appendLine(logPath+".done", fmt.Sprintf("done %d %s", os.Getpid(), result)); err != nil {
		fmt.Printf("chromium-login: %v\n", err)
	}
	if err != nil {
		os.Exit(1)
	}
}

// detach points stdout and stderr at a file of its own and leaves the
// parent's session, so that neither kubelogin's pipes nor its exit matter.
func detach(path string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err == nil {
		_ = syscall.Dup2(int(f.Fd()), 1)
		_ = syscall.Dup2(int(f.Fd()), 2)
		_ = f.Close()
	}
	_, _ = syscall.Setsid()
	// A closed parent terminal must not stop the login halfway.
	signal.Ignore(syscall.SIGHUP)
}

// appendLine appends one line to a file with a single write, so that
// concurrent launches never interleave.
func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open browser log: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(line + "\n"); err != nil {
		return fmt.Errorf("write browser log: %w", err)
	}
	return nil
}

// login opens target in a fresh headless Chromium and walks Dex's pages.
func login(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("parse URL %q: %w", target, err)
	}
	home, err := os.MkdirTemp("", "chromium-login-")
	if err != nil {
		return fmt.Errorf("make browser home: %w", err)
	}
	defer os.RemoveAll(home)

	chromium, err := exec.LookPath("chromium")
	if err != nil {
		return fmt.Errorf("find chromium on PATH (apt-get install chromium): %w", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.IgnoreCertErrors,
		chromedp.UserDataDir(filepath.Join(home, "profile")),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Env("HOME="+home, "XDG_CONFIG_HOME="+home+"/.config", "XDG_CACHE_HOME="+home+"/.cache"),
	}
	ctx, cancel := context.WithTimeout(context.Background(), overallTimeout)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	// Start the browser on the long-lived context, then navigate.
	if err := chromedp.Do(browserCtx, chromedp.Navigate(target)); err != nil {
		return fmt.Errorf("open %s: %w", target, err)
	}
	done := doneCondition(u)
	return walk(browserCtx, done)
}

// doneCondition says when the login has finished: at the redirect_uri of an
// authorization request, or on Dex's or Keycloak's device success page.
func doneCondition(u *url.URL) func(p page) bool {
	if redirect := u.Query().Get("redirect_uri"); redirect != "" {
		return func(p page) bool { return strings.HasPrefix(p.Location, redirect) }
	}
	return func(p page) bool {
		return (strings.Contains(p.Location, "/device/callback") && strings.HasPrefix(p.Heading, "Login Successful")) ||
			(p.Kind == "kcdone")
	}
}

// page is what the program reads from the current document.
type page struct {
	Location string `json:"location"`
	Ready    string `json:"ready"`
	Heading  string `json:"heading"`
	// Kind is one of login, approve, usercode (Dex), kclogin, kcusercode,
	// kcconsent, kcdone (Keycloak), error or other.
	Kind string `json:"kind"`
	// Detail is the text of a Dex or Keycloak error box, if any.
	Detail string `json:"detail"`
}

// inspect classifies Dex's and Keycloak's pages by their forms. Dex's error
// page is a panel with a heading and a paragraph and no form; Keycloak's has
// #kc-error-message; Chromium's own error page (for example, nothing listens
// on the callback port) has a chrome-error:// location.
const inspect = `(() => {
  const q = (s) => document.querySelector(s);
  const kcTitle = q('#kc-page-title');
  const h = q('h2.theme-heading') || kcTitle;
  const err = q('#login-error, .dex-error-box, #input-error, #input-error-username, .kc-feedback-text, #kc-error-message');
  const heading = h ? h.textContent.trim() : '';
  let kind = 'other';
  if (q('#kc-error-message')) kind = 'error';
  else if (q('#username') && q('#password') && q('#kc-login')) kind = 'kclogin';
  else if (q('#device-user-code') && q('#kc-login')) kind = 'kcusercode';
  else if (q('input[name=accept]') || q('#kc-oauth')) kind = 'kcconsent';
  else if (kcTitle && heading.includes('Device Login Successful')) kind = 'kcdone';
  else if (kcTitle) kind = 'other';
  else if (q('#login') && q('#password')) kind = 'login';
  else if (q('button.theme-btn--success')) kind = 'approve';
  else if (q('#user_code')) kind = 'usercode';
  else if (document.location.protocol === 'chrome-error:') kind = 'error';
  else if (h && !q('form') && !heading.startsWith('Login Successful')) kind = 'error';
  return {
    location: document.location.toString(),
    ready: document.readyState,
    heading: heading,
    kind: kind,
    detail: err ? err.textContent.trim() : (kind === 'error' ? document.body.innerText.trim().slice(0, 300) : ''),
  };
})()`

// retryAfter is how long a page may stay after the program acted on it
// before it acts again (a click can miss while the page still lays out).
const retryAfter = 5 * time.Second

// Scripts for a second attempt: DOM clicks need no layout.
const (
	jsLogin = `(() => {
  document.querySelector('#login').value = '` + username + `';
  document.querySelector('#password').value = '` + password + `';
  document.querySelector('#submit-login').click();
  return true;
})()`
	jsApprove  = `(() => { document.querySelector('button.theme-btn--success').click(); return true; })()`
	jsUserCode = `(() => { document.querySelector('#submit-login').click(); return true; })()`
	jsKCLogin  = `(() => {
  document.querySelector('#username').value = '` + kcUsername + `';
  document.querySelector('#password').value = '` + kcPassword + `';
  document.querySelector('#kc-login').click();
  return true;
})()`
	jsKCSubmit  = `(() => { document.querySelector('#kc-login').click(); return true; })()`
	jsKCConsent = `(() => { (document.querySelector('input[name=accept]') || document.querySelector('#kc-login')).click(); return true; })()`
)

// walk acts on each page until done says the login is over. It acts once a
// document has completely loaded, and once per document unless the page is
// still there retryAfter later, so a slow navigation never gets a form
// submitted twice.
func walk(ctx context.Context, done func(page) bool) error {
	var last page
	acted, actedAt := "", time.Time{}
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("login did not finish (last page %s %q, %s): %w", last.Kind, last.Heading, last.Location, err)
		}
		p, err := chromedp.Run(ctx, chromedp.Evaluate[page](inspect))
		if err != nil {
			// The document is being replaced; look again.
			time.Sleep(50 * time.Millisecond)
			continue
		}
		last = p
		if done(p) && p.Ready != "loading" {
			fmt.Printf("chromium-login: landed on %s\n", p.Location)
			return nil
		}
		key := p.Location + "|" + p.Kind
		if p.Ready != "complete" || (key == acted && time.Since(actedAt) < retryAfter) {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		retry := key == acted
		fmt.Printf("chromium-login: %s page at %s (retry %v)\n", p.Kind, p.Location, retry)
		switch p.Kind {
		case "login":
			if p.Detail != "" {
				return fmt.Errorf("dex refused the login: %s", p.Detail)
			}
			if retry {
				_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](jsLogin))
				break
			}
			err = chromedp.Do(ctx,
				chromedp.WaitVisible(chromedp.ID("login")),
				chromedp.SendKeys(chromedp.ID("login"), username),
				chromedp.SendKeys(chromedp.ID("password"), password),
				chromedp.Click(chromedp.ID("submit-login")))
		case "approve":
			if retry {
				_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](jsApprove))
				break
			}
			err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS("button.theme-btn--success")))
		case "usercode":
			if p.Detail != "" {
				return fmt.Errorf("dex refused the user code: %s", p.Detail)
			}
			code, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#user_code').value`))
			if code == "" {
				return errors.New("the device page has no user code: kubelogin opened verification_uri, not verification_uri_complete")
			}
			if retry {
				_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](jsUserCode))
				break
			}
			err = chromedp.Do(ctx, chromedp.Click(chromedp.ID("submit-login")))
		case "kclogin":
			if p.Detail != "" {
				return fmt.Errorf("keycloak refused the login: %s", p.Detail)
			}
			if retry {
				_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](jsKCLogin))
				break
			}
			err = chromedp.Do(ctx,
				chromedp.WaitVisible(chromedp.ID("username")),
				chromedp.SendKeys(chromedp.ID("username"), kcUsername),
				chromedp.SendKeys(chromedp.ID("password"), kcPassword),
				chromedp.Click(chromedp.ID("kc-login")))
		case "kcusercode":
			if p.Detail != "" {
				return fmt.Errorf("keycloak refused the user code: %s", p.Detail)
			}
			code, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#device-user-code').value`))
			if code == "" {
				return errors.New("keycloak's device page has no user code: kubelogin opened verification_uri, not verification_uri_complete")
			}
			_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](jsKCSubmit))
		case "kcconsent":
			_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](jsKCConsent))
		case "error":
			return fmt.Errorf("the browser shows an error page at %s: %q %s", p.Location, p.Heading, p.Detail)
		default:
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if err != nil {
			return fmt.Errorf("act on the %s page at %s: %w", p.Kind, p.Location, err)
		}
		acted, actedAt = key, time.Now()
	}
}
