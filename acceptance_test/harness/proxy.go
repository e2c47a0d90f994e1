package harness

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Proxy is a TLS reverse proxy in front of Dex that counts what passes. Its
// URL is the issuer everyone uses, so every request kubelogin, Chromium and
// kube-apiserver make to the provider is seen here. It can be stopped and
// started again on the same address, to play a provider that is down.
type Proxy struct {
	// Addr is the host:port the proxy listens on.
	Addr string

	handler   http.Handler
	tls       *tls.Config
	transport *http.Transport

	mu     sync.Mutex
	server *http.Server
	counts Counts
}

// Counts are the requests seen by the proxy.
type Counts struct {
	// Paths counts requests by URL path.
	Paths map[string]int
	// Grants counts token-endpoint requests by grant_type
	// ("authorization_code", "refresh_token", "password",
	// "urn:ietf:params:oauth:grant-type:device_code").
	Grants map[string]int
	// ClientAuth counts token-endpoint requests by how the client
	// authenticated: "client_secret_basic" (an Authorization: Basic header),
	// "client_secret_post" (client_secret in the form), "client_assertion"
	// (client_assertion in the form) or "none".
	ClientAuth map[string]int
}

// Sub returns c minus an earlier snapshot.
func (c Counts) Sub(before Counts) Counts {
	return Counts{
		Paths:      subMap(c.Paths, before.Paths),
		Grants:     subMap(c.Grants, before.Grants),
		ClientAuth: subMap(c.ClientAuth, before.ClientAuth),
	}
}

func subMap(now, before map[string]int) map[string]int {
	d := map[string]int{}
	for k, v := range now {
		if n := v - before[k]; n != 0 {
			d[k] = n
		}
	}
	return d
}

// Tokens is the number of token-endpoint requests of all grants.
func (c Counts) Tokens() int {
	n := 0
	for _, v := range c.Grants {
		n += v
	}
	return n
}

// String prints the counts in a stable order.
func (c Counts) String() string {
	var b strings.Builder
	write := func(name string, m map[string]int) {
		b.WriteString(name + "{")
		for i, k := range slices.Sorted(maps.Keys(m)) {
			if i > 0 {
				b.WriteString(" ")
			}
			fmt.Fprintf(&b, "%s:%d", k, m[k])
		}
		b.WriteString("}")
	}
	write("grants", c.Grants)
	if len(c.ClientAuth) > 0 {
		write(" client-auth", c.ClientAuth)
	}
	write(" paths", c.Paths)
	return b.String()
}

// NewProxy makes a proxy that will listen on addr and forward to upstream,
// serving serverCert and trusting clientTLS for the upstream connection.
func NewProxy(addr string, upstream *url.URL, serverCert tls.Certificate, upstreamTLS *tls.Config) *Proxy {
	rp := httputil.NewSingleHostReverseProxy(upstream)
	transport := &http.Transport{TLSClientConfig: upstreamTLS}
	rp.Transport = transport
	p := &Proxy{
		Addr:      addr,
		tls:       &tls.Config{Certificates: []tls.Certificate{serverCert}},
		transport: transport,
		counts: Counts{
			Paths:      map[string]int{},
			Grants:     map[string]int{},
			ClientAuth: map[string]int{},
		},
	}
	p.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.count(r)
		rp.ServeHTTP(w, r)
	})
	return p
}

// count records a request; for the token endpoint, it reads grant_type and
// the client authentication from the form and puts the body back.
func (p *Proxy) count(r *http.Request) {
	grant, auth := "", ""
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/token") && r.Body != nil {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		v, _ := url.ParseQuery(string(body))
		grant = v.Get("grant_type")
		if grant == "" {
			grant = "(none)"
		}
		switch {
		case strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "basic "):
			auth = "client_secret_basic"
		case v.Has("client_assertion"):
			auth = "client_assertion"
		case v.Has("client_secret"):
			auth = "client_secret_post"
		default:
			auth = "none"
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts.Paths[r.URL.Path]++
	if grant != "" {
		p.counts.Grants[grant]++
		p.counts.ClientAuth[auth]++
	}
}

// Snapshot returns a copy of the counts so far.
func (p *Proxy) Snapshot() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Counts{Paths: maps.Clone(p.counts.Paths), Grants: maps.Clone(p.counts.Grants), ClientAuth: maps.Clone(p.counts.ClientAuth)}
}

// Start listens on Addr and serves until Stop.
func (p *Proxy) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.server != nil {
		return nil
	}
	l, err := net.Listen("tcp", p.Addr)
	if err != nil {
		return fmt.Errorf("proxy listen on %s: %w", p.Addr, err)
	}
	// Chromium's aborted speculative connections are noise, not errors.
	srv := &http.Server{Handler: p.handler, TLSConfig: p.tls, ErrorLog: log.New(io.Discard, "", 0)}
	p.server = srv
	go func() {
		if err := srv.ServeTLS(l, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Printf("acceptance: proxy: %v\n", err)
		}
	}()
	return nil
}

// Stop closes the listener and every connection: the provider is down.
func (p *Proxy) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.server != nil {
		_ = p.server.Close()
		p.server = nil
	}
}

// ForgetUpstream drops idle connections to Dex, after Dex restarted: a POST
// on a connection the old Dex closed would fail instead of being retried.
func (p *Proxy) ForgetUpstream() { p.transport.CloseIdleConnections() }
