package grant

import (
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"sync"

	"github.com/kubelogin/kubelogin/internal/logger"
)

// callbackServer answers the browser's redirect back from the provider. It
// answers only its path, only to loopback Host names (against DNS rebinding),
// and only the first callback with the right state.
type callbackServer struct {
	path       string
	state      string
	extraHost  string // the redirect URL's host:port, allowed as Host
	afterLogin string
	// issuer is the provider's issuer: the callback's iss, when present,
	// must equal it (RFC 9207), and requireIss refuses a callback without
	// iss (discovery advertised authorization_response_iss_parameter_supported).
	issuer     string
	requireIss bool
	codes      chan callbackResult
	log        *logger.Logger

	mu   sync.Mutex
	done bool
}

type callbackResult struct {
	code  string
	err   error
	reply chan error
}

// ProviderError is an error the provider sent back to the redirect URI.
type ProviderError struct {
	Code, Description string
}

// finalError ends a paste prompt instead of asking again (a mix-up).
type finalError struct{ error }

// final tells a pasted answer that ends the login (the provider's error, a
// response from another issuer) from a typo worth asking again for.
func final(err error) bool {
	var pe *ProviderError
	var fe finalError
	return errors.As(err, &pe) || errors.As(err, &fe)
}

func (e *ProviderError) Error() string {
	if e.Description != "" {
		return fmt.Sprintf("the provider refused the login: %s: %s", e.Code, e.Description)
	}
	return fmt.Sprintf("the provider refused the login: %s", e.Code)
}

func (s *callbackServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.hostAllowed(r.Host) {
		s.log.Debugf(1, "loopback: refused a request for Host %q", r.Host)
		http.Error(w, "refused: not a loopback host", http.StatusForbidden)
		return
	}
	if r.URL.Path != s.path {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	if q.Get("state") != s.state {
		// Not ours (another tab, or a web page guessing): keep waiting.
		s.log.Debugf(1, "loopback: ignored a callback with a wrong state")
		renderPage(w, http.StatusBadRequest, "Login failed", "This login link is stale or was not started by this kubelogin. Start the login again from your terminal.")
		return
	}
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		renderPage(w, http.StatusOK, "Already done", "This login has already completed. You can close this tab.")
		return
	}
	s.done = true
	s.mu.Unlock()

	res := callbackResult{code: q.Get("code"), reply: make(chan error, 1)}
	if err := s.checkIssuer(q); err != nil {
		res.code, res.err = "", err // never exchanged
	} else if e := q.Get("error"); e != "" {
		res.err = &ProviderError{Code: e, Description: q.Get("error_description")}
	} else if res.code == "" {
		res.err = errors.New("the provider came back without an authorization code")
	}
	select {
	case s.codes <- res:
	case <-r.Context().Done():
		return
	}
	if err := <-res.reply; err != nil {
		renderPage(w, http.StatusOK, "Login failed", err.Error()+"\n\nSee the terminal for details.")
		return
	}
	if s.afterLogin != "" {
		http.Redirect(w, r, s.afterLogin, http.StatusFound)
		return
	}
	renderPage(w, http.StatusOK, "Logged in", "You are logged in. You can close this tab and return to your terminal.")
}

// checkIssuer is the mix-up defence of RFC 9207: an authorization response
// (success or error) must come from the issuer this login started at.
func (s *callbackServer) checkIssuer(q url.Values) error {
	if err := checkIss(q, s.issuer); err != nil {
		return err
	}
	switch {
	case !q.Has("iss") && s.requireIss:
		return fmt.Errorf("the authorization response carries no iss although %s advertises authorization_response_iss_parameter_supported, "+
			"so it may come from another issuer (a possible mix-up attack): check that --oidc-issuer-url is the provider you logged in to "+
			"and that nothing between the browser and kubelogin rewrites the redirect, then log in again", s.issuer)
	}
	return nil
}

// checkIss compares the response's iss, when it has one, with the issuer. A
// bare code pasted by hand carries none; a pasted address may.
func checkIss(q url.Values, issuer string) error {
	if iss := q.Get("iss"); q.Has("iss") && iss != issuer {
		return fmt.Errorf("the authorization response came from another issuer (iss %q, expected %q), a possible mix-up attack: "+
			"check that --oidc-issuer-url is the provider you logged in to and that no other login ran in this browser, then log in again", iss, issuer)
	}
	return nil
}

func (s *callbackServer) hostAllowed(host string) bool {
	if s.extraHost != "" && host == s.extraHost {
		return true
	}
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	return isLoopbackHost(h)
}

// pageHTML is the callback page; %s are the escaped title and message. A
// format string rather than html/template: that package's initialisation would
// run on every kubectl call for a page shown once per login.
const pageHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kubelogin: %[1]s</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f6f7f9;color:#1f2328;display:flex;min-height:100vh;margin:0;align-items:center;justify-content:center}
main{background:#fff;border:1px solid #d0d7de;border-radius:12px;padding:2rem 2.5rem;max-width:32rem;box-shadow:0 1px 3px rgba(0,0,0,.06)}
h1{font-size:1.3rem;margin:0 0 .75rem}p{margin:0;line-height:1.5;white-space:pre-wrap}
</style></head>
<body><main><h1>%[1]s</h1><p>%[2]s</p></main></body></html>
`

func renderPage(w http.ResponseWriter, status int, title, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	fmt.Fprintf(w, pageHTML, html.EscapeString(title), html.EscapeString(message))
}
