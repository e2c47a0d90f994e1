package oidc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"golang.org/x/oauth2"
)

// TokenError is an error answer of a provider endpoint: an OAuth 2.0 error
// (RFC 6749 5.2) when Code is set, else a bare HTTP status. Its message never
// includes the response body, which may echo secrets; error_description,
// meant for people, is shown on one line.
type TokenError struct {
	Status      int
	Code        string
	Description string
	// ContentType is the answer's media type when it carried no OAuth error
	// ("" when the body was empty).
	ContentType string
}

func (e *TokenError) Error() string {
	msg := "the provider answered " + e.brief()
	switch {
	case e.Status == http.StatusTooManyRequests:
		msg += " (the provider is rate limiting: try again in a minute)"
	case e.Status >= 500:
		msg += " (the provider is failing: try again later)"
	case e.Code == "":
		msg += ", not an OAuth error (is a proxy in between?)"
	}
	return msg
}

// brief is the status and the error, e.g. `401 invalid_client: unknown
// client` or `400 with text/html`.
func (e *TokenError) brief() string {
	msg := fmt.Sprint(e.Status)
	switch {
	case e.Code != "":
		msg += " " + e.Code
		if e.Description != "" {
			msg += ": " + shorten(e.Description)
		}
	case e.ContentType != "":
		msg += " with " + e.ContentType
	default:
		msg += " with an empty body"
	}
	return msg
}

// LoginRequired reports whether err is the provider's invalid_grant answer:
// the refresh token (or code, or password) is no longer good, and only a new
// login can help. Any other failure is reported to the user instead: a new
// login would meet the same cause.
func LoginRequired(err error) bool {
	var te *TokenError
	return errors.As(err, &te) && te.Code == "invalid_grant"
}

// oauthAnswer reports whether err is an OAuth error answer, which proves the
// endpoint is where the metadata says.
func oauthAnswer(err error) bool {
	var te *TokenError
	return errors.As(err, &te) && te.Code != ""
}

// ErrNoIDToken is returned when a token response has no id_token.
var ErrNoIDToken = errors.New("the provider's token response has no id_token")

// explained is an error with a message that says what it means and what to
// do; it unwraps to the error it explains.
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// explainRefresh says what a failed refresh means for the user. invalid_grant
// is left as it is: the caller logs in again.
func explainRefresh(err error) error {
	var te *TokenError
	if !errors.As(err, &te) || te.Code == "invalid_grant" {
		return err
	}
	var msg string
	switch {
	case te.Status >= 500:
		msg = fmt.Sprintf("the provider failed (%s): try again later, or ask its administrators", te.brief())
	case te.Code == "invalid_client":
		msg = fmt.Sprintf("the provider rejected the client credentials (%s): check --oidc-client-secret", te.brief())
	case te.Code == "unauthorized_client":
		msg = fmt.Sprintf("the provider does not let this client refresh tokens (%s): check --oidc-client-id, and allow the refresh_token grant for it at the provider", te.brief())
	case te.Code == "invalid_scope":
		msg = fmt.Sprintf("the provider refused the scopes (%s): check --oidc-extra-scope", te.brief())
	case te.Code == "":
		msg = fmt.Sprintf("the provider answered %s, not an OAuth error: is a proxy in between? check HTTPS_PROXY and NO_PROXY", te.brief())
	default:
		return err
	}
	return &explained{msg: msg, err: err}
}

// fromRetrieveError converts x/oauth2's error answer. Its Error() quotes the
// body of a non-OAuth answer: the body stays out of ours.
func fromRetrieveError(re *oauth2.RetrieveError) *TokenError {
	te := &TokenError{Code: re.ErrorCode, Description: re.ErrorDescription}
	if re.Response != nil {
		te.Status = re.Response.StatusCode
		if te.Code == "" && len(strings.TrimSpace(string(re.Body))) > 0 {
			te.ContentType = mediaType(re.Response.Header)
		}
	}
	return te
}

// NetError is a request to the provider that got no HTTP answer: a timeout,
// a refused connection, an unknown host, a TLS failure. Its message names the
// URL once and says what to do.
type NetError struct {
	URL string
	// Timeout is the request timeout, for the message (0 when unknown).
	Timeout time.Duration
	Err     error
}

func (e *NetError) Unwrap() error { return e.Err }

func (e *NetError) Error() string {
	err := e.Err
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // it names the URL again
	}
	var (
		ne      net.Error
		dns     *net.DNSError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		record  tls.RecordHeaderError
		verify  *tls.CertificateVerificationError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return "interrupted while waiting for " + e.URL
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		within := "in time"
		if e.Timeout > 0 {
			within = "within " + e.Timeout.String()
		}
		return fmt.Sprintf("no answer from %s %s: is the provider up? (if it is only slow, raise --oidc-request-timeout)", e.URL, within)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("%s refused the connection: is the provider up? check the host and port of --oidc-issuer-url", e.URL)
	case errors.As(err, &dns):
		return fmt.Sprintf("cannot resolve the host of %s (%s): check --oidc-issuer-url, your DNS or VPN", e.URL, shorten(dns.Error()))
	case errors.As(err, &unknown):
		return fmt.Sprintf("%s presents a certificate signed by an authority this machine does not trust: give the CA with --certificate-authority or --certificate-authority-data", e.URL)
	case errors.As(err, &host):
		return fmt.Sprintf("the certificate of %s is not valid for its host (%s): check --oidc-issuer-url", e.URL, shorten(host.Error()))
	case errors.As(err, &invalid):
		return fmt.Sprintf("the certificate of %s is not valid (%s): check this machine's clock, or the CA given with --certificate-authority", e.URL, shorten(invalid.Error()))
	case errors.As(err, &verify):
		return fmt.Sprintf("the certificate of %s does not verify (%s): check --certificate-authority or --certificate-authority-data", e.URL, shorten(verify.Err.Error()))
	case errors.As(err, &record) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"): // net/http's words, not a type
		return fmt.Sprintf("%s does not answer TLS: check the scheme (https or http) and port of --oidc-issuer-url", e.URL)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
		return fmt.Sprintf("%s closed the connection without answering: is a proxy or firewall in between? try again", e.URL)
	}
	return fmt.Sprintf("no answer from %s (%s): check --oidc-issuer-url and your network", e.URL, shorten(err.Error()))
}

// netError describes a request to u that failed without an HTTP answer. An
// ended ctx is the caller's doing (Ctrl-C, a login timeout) and is returned
// as it is.
func (c *Client) netError(ctx context.Context, u string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("no answer from %s: %w", u, ctx.Err())
	}
	return &NetError{URL: u, Timeout: c.cfg.HTTPClient.Timeout, Err: err}
}

// shorten keeps a message from a provider or a library on one short line.
func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

func mediaType(h http.Header) string {
	ct, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if ct == "" {
		return "an unknown content type"
	}
	return ct
}
