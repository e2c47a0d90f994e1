package integration_test

import (
	"image"
	"image/color"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/kubelogin/kubelogin/internal/testing/oidcfake"
)

// The terminal flows, through a real pseudo-terminal as kubectl gives one to
// the plugin (interactiveMode IfAvailable at a person's shell).

func TestTerminalPasswordPrompt(t *testing.T) {
	e := newEnv(t, oidcfake.Config{Users: map[string]string{"alice": "wonderland"}})
	p := e.startPTY(runOpts{execInfo: strPtr(interactiveV1)}, e.args("--grant-type=password", "--token-cache-storage=none")...)
	p.waitFor(`Username: $`)
	p.typeLine("alice")
	p.waitFor(`Password for alice: $`)
	p.typeLine("nope")
	p.waitFor(`The provider refused the username or password \(invalid_grant: invalid username or password\); try again\.\r?\nPassword for alice: $`)
	p.typeLine("wonderland")
	r := p.wait()
	mustCredential(t, r)
	if !strings.Contains(r.stderr, "Username: alice") {
		t.Errorf("the username was not echoed:\n%q", r.stderr)
	}
	for _, pw := range []string{"wonderland", "nope"} {
		if strings.Contains(r.stderr, pw) {
			t.Errorf("the password %q was echoed:\n%q", pw, r.stderr)
		}
	}
	if got := e.provider.TokenRequests("password"); got != 2 {
		t.Errorf("password requests = %d, want 2", got)
	}
}

func TestTerminalNonInteractiveNeverReads(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	// A terminal is there, but kubectl says it is not ours (interactiveMode Never).
	p := e.startPTY(runOpts{}, e.args("--grant-type=authcode-keyboard")...)
	r := p.wait()
	mustFail(t, r, "error: --grant-type=authcode-keyboard reads the code from the terminal, but kubelogin may not read stdin here "+
		"(kubectl's interactiveMode is Never, or stdin is not a terminal): use --grant-type=device-code")
	if n := e.provider.Count("discovery") + e.provider.Count("authorize"); n != 0 {
		t.Errorf("%d requests before refusing", n)
	}
	p = e.startPTY(runOpts{}, e.args("--grant-type=password", "--username=admin@example.com")...)
	mustFail(t, p.wait(), "error: --grant-type=password needs a password, and kubelogin may not prompt here")
}

var visitURL = regexp.MustCompile(`Please visit the following URL in your browser(?: and log in)?:\s+(http\S+)`)

func TestTerminalKeyboardCode(t *testing.T) {
	e := newEnv(t, oidcfake.Config{RequirePKCE: true})
	p := e.startPTY(runOpts{execInfo: strPtr(interactiveV1)}, e.args("--grant-type=authcode-keyboard")...)
	authURL := p.waitFor(visitURL.String())[1]
	p.waitFor(`Enter the code \(or paste the address the browser ended on\): $`)
	// The user logs in on another machine; the provider shows the code.
	page, err := e.provider.Browse(t.Context(), authURL)
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile(`<code id="code">([^<]+)</code>`).FindStringSubmatch(page)
	if code == nil {
		t.Fatalf("no code on the page: %s", page)
	}
	p.typeLine(code[1])
	mustCredential(t, p.wait())
	auth := e.provider.LastAuthRequest()
	if auth.Get("redirect_uri") != "urn:ietf:wg:oauth:2.0:oob" || auth.Get("code_challenge") == "" || auth.Get("nonce") == "" {
		t.Errorf("authorization request %v: want the out-of-band redirect URI, PKCE and a nonce", auth)
	}
	if e.launches() != 0 {
		t.Error("the keyboard grant opened a browser")
	}
}

func TestTerminalKeyboardPastedURL(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	// A redirect URI nothing listens on: the browser fails to load it, and
	// the user pastes its address.
	p := e.startPTY(runOpts{execInfo: strPtr(interactiveV1)},
		e.args("--grant-type=authcode-keyboard", "--oidc-redirect-url-authcode-keyboard=http://localhost:9/callback")...)
	authURL := p.waitFor(visitURL.String())[1]
	p.waitFor(`: $`)
	landed := browseNoFollow(t, authURL)
	if !strings.HasPrefix(landed, "http://localhost:9/callback?") {
		t.Fatalf("the provider sent the browser to %s", landed)
	}
	forged, _ := url.Parse(landed)
	q := forged.Query()
	q.Set("state", "from-another-login")
	forged.RawQuery = q.Encode()
	p.typeLine(forged.String())
	p.waitFor(`that address belongs to another login \(its state does not match\): paste the one this login led to; try again\.\r?\nEnter the code`)
	p.typeLine(landed)
	r := p.wait()
	mustCredential(t, r)
	if !strings.Contains(r.stderr, "warning: --oidc-redirect-url-authcode-keyboard is obsolete") {
		t.Errorf("no warning about the obsolete flag:\n%s", r.stderr)
	}
}

func TestTerminalHeadlessAuthCodeTakesAPastedURL(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	// No --browser-command and no display: nothing can be opened here.
	args := removeFlag(e.args(), "--browser-command")
	p := e.startPTY(runOpts{env: headless.env, unset: headless.unset, execInfo: strPtr(interactiveV1)}, args...)
	authURL := p.waitFor(visitURL.String())[1]
	p.waitFor(`Paste the address \(or the code\) here: $`)
	landed := browseNoFollow(t, authURL) // the browser on the laptop cannot reach this machine's loopback
	p.typeLine(landed)
	r := p.wait()
	mustCredential(t, r)
	if e.launches() != 0 {
		t.Error("a browser was started without a display")
	}
	if !strings.Contains(r.stderr, "If that browser runs on another machine, it will fail to load http://localhost:") {
		t.Errorf("the user is not told what to paste:\n%s", r.stderr)
	}
}

func TestTerminalHeadlessAuthCodeLoopbackWins(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	args := removeFlag(e.args(), "--browser-command")
	p := e.startPTY(runOpts{env: headless.env, unset: headless.unset, execInfo: strPtr(interactiveV1)}, args...)
	authURL := p.waitFor(visitURL.String())[1]
	p.waitFor(`Paste the address \(or the code\) here: $`)
	// A browser that can reach the loopback (e.g. through SSH port forwarding).
	if _, err := e.provider.Browse(t.Context(), authURL); err != nil {
		t.Fatal(err)
	}
	r := p.wait()
	mustCredential(t, r)
	if !strings.HasSuffix(r.stderr, "here: \r\n") {
		t.Errorf("the prompt's line was not ended:\n%q", r.stderr)
	}
}

func TestHeadlessNonInteractiveDoesNotPrompt(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	args := append(removeFlag(e.args(), "--browser-command"), "--authentication-timeout-sec=1")
	r := e.runWith(runOpts{env: headless.env, unset: headless.unset}, args...)
	// Nobody can read the URL either: the run ends at once (TestNobodyToLogIn).
	mustFail(t, r, "error: no login can complete here: no browser can be opened (no display) and neither stdin nor stderr is a terminal")
	if strings.Contains(r.stderr, "Paste") {
		t.Errorf("a non-interactive run offered to read stdin:\n%s", r.stderr)
	}
}

func TestTerminalDeviceCodeQR(t *testing.T) {
	e := newEnv(t, oidcfake.Config{})
	started := time.Now()
	p := e.startPTY(runOpts{execInfo: strPtr(interactiveV1)}, e.args("--grant-type=device-code", "--skip-open-browser")...)
	m := p.waitFor(`To log in, visit (http\S+/device\?user_code=\S+)\r?\n`)
	p.waitFor(`Waiting for the login`)
	screen := p.screen.String()
	decoded := decodeQR(t, screen)
	if decoded != m[1] {
		t.Errorf("the QR code says %q, want %q", decoded, m[1])
	}
	if _, err := e.provider.Browse(t.Context(), decoded); err != nil { // the phone
		t.Fatal(err)
	}
	mustCredential(t, p.wait())
	t.Logf("device flow through the QR code: %s", time.Since(started).Round(time.Millisecond))
	if e.launches() != 0 {
		t.Error("--skip-open-browser opened a browser")
	}
}

// decodeQR finds the half-block QR code on the screen and decodes it.
func decodeQR(t *testing.T, screen string) string {
	t.Helper()
	ansi := regexp.MustCompile(`\x1b\[[0-9;]*m`)
	var rows [][]rune
	for _, line := range strings.Split(screen, "\n") {
		line = strings.TrimRight(line, "\r")
		if !strings.Contains(line, "\x1b[30;107m") {
			if rows != nil {
				break
			}
			continue
		}
		rows = append(rows, []rune(ansi.ReplaceAllString(line, "")))
	}
	if len(rows) < 10 {
		t.Fatalf("no QR code on the terminal:\n%s", screen)
	}
	const scale, margin = 4, 4
	w, h := len(rows[0]), 2*len(rows)
	img := image.NewGray(image.Rect(0, 0, (w+2*margin)*scale, (h+2*margin)*scale))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y, row := range rows {
		if len(row) != w {
			t.Fatalf("QR row %d has %d cells, want %d", y, len(row), w)
		}
		for x, c := range row {
			for half, dark := range []bool{strings.ContainsRune("█▀", c), strings.ContainsRune("█▄", c)} {
				if !dark {
					continue
				}
				for dy := range scale {
					for dx := range scale {
						img.SetGray((x+margin)*scale+dx, (2*y+half+margin)*scale+dy, color.Gray{})
					}
				}
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("the QR code does not decode: %v\n%s", err, screen)
	}
	return res.GetText()
}
