// Package httpclient builds the HTTP client that talks to the provider: extra CA
// certificates on top of the system roots, TLS switches, proxy from the
// environment, extra request headers, timeouts on every phase, and a debug log
// that redacts credentials.
package httpclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/kubelogin/kubelogin/internal/logger"
)

// Options configure the client; they come from the get-token flags.
type Options struct {
	// CAFiles and CAData (base64 PEM) are trusted in addition to the system roots.
	CAFiles []string
	CAData  []string
	// InsecureSkipTLSVerify disables certificate verification. It exists for
	// test setups only: anyone on the network path can then read the tokens.
	InsecureSkipTLSVerify bool
	RenegotiateOnce       bool
	RenegotiateFreely     bool
	// Headers are added to every request to the provider.
	Headers map[string]string
	// Timeout bounds one whole request (connect, TLS, headers and body).
	Timeout time.Duration
	// Now is the clock that dates a Retry-After, Sleep the wait before the
	// retry (it returns early with ctx's error); nil means the system's.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultTimeout bounds a whole request to the provider.
const DefaultTimeout = 30 * time.Second

// LoadCACerts reads and decodes the CA flags. It returns the PEM contents, which
// also feed the cache key.
func (o Options) LoadCACerts() ([][]byte, error) {
	var out [][]byte
	for _, f := range o.CAFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read --certificate-authority %s: %w", f, err)
		}
		out = append(out, b)
	}
	for i, d := range o.CAData {
		b, err := base64.StdEncoding.DecodeString(d)
		if err != nil {
			return nil, fmt.Errorf("--certificate-authority-data #%d is not valid base64 (give the base64 of a PEM file, as in a kubeconfig): %w", i+1, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// New returns the client. caPEMs are the results of LoadCACerts.
func New(o Options, caPEMs [][]byte, log *logger.Logger) (*http.Client, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(caPEMs) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		for i, pem := range caPEMs {
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("CA certificate #%d from --certificate-authority(-data) holds no PEM certificate", i+1)
			}
		}
		tlsConfig.RootCAs = pool
	}
	if o.InsecureSkipTLSVerify {
		tlsConfig.InsecureSkipVerify = true
	}
	switch {
	case o.RenegotiateFreely:
		tlsConfig.Renegotiation = tls.RenegotiateFreelyAsClient
	case o.RenegotiateOnce:
		tlsConfig.Renegotiation = tls.RenegotiateOnceAsClient
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	var rt http.RoundTripper = base
	if log != nil && log.V(1) {
		rt = &debugTransport{base: rt, log: log} // innermost: it logs what goes on the wire
	}
	if len(o.Headers) > 0 {
		rt = &headerTransport{base: rt, headers: o.Headers}
	}
	retry := &retryTransport{base: rt, now: o.Now, sleep: o.Sleep}
	if retry.now == nil {
		retry.now = time.Now
	}
	if retry.sleep == nil {
		retry.sleep = sleep
	}
	rt = retry
	return &http.Client{Transport: rt, Timeout: timeout}, nil
}

type headerTransport struct {
	base    http.RoundTripper
	headers map[string]string
}

func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, v := range t.headers {
		req.Header.Set(k, v)
	}
	return t.base.RoundTrip(req)
}
