package grant

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/kubelogin/kubelogin/internal/logger"
)

// DefaultListenAddresses are tried in order when --listen-address is not given.
var DefaultListenAddresses = []string{"127.0.0.1:8000", "127.0.0.1:18000"}

// listeners are the sockets of one loopback server: the address asked for and,
// for 127.0.0.1 or ::1, the other loopback family on the same port, because the
// redirect URI says "localhost" and browsers resolve it to either.
type listeners struct {
	ls   []net.Listener
	port int
}

func (l *listeners) Close() {
	for _, x := range l.ls {
		x.Close()
	}
}

// listen binds the first free address of addrs. wantPort, when not zero, is the
// port of a fixed --oidc-redirect-url; the address bound must have it.
func listen(addrs []string, log *logger.Logger) (*listeners, error) {
	var tried []string
	for _, addr := range addrs {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("--listen-address %q is not host:port: %w", addr, err)
		}
		if host == "" || host == "localhost" {
			host = "127.0.0.1"
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			log.Printf("warning: --listen-address %s is not a loopback address: other machines can reach the login callback", addr)
		}
		l, err := net.Listen("tcp", net.JoinHostPort(host, port))
		if err != nil {
			if errors.Is(err, syscall.EADDRINUSE) {
				log.Debugf(1, "loopback: %s is in use, trying the next address", addr)
			} else {
				log.Debugf(1, "loopback: cannot listen on %s: %v", addr, err)
			}
			tried = append(tried, addr)
			continue
		}
		p := l.Addr().(*net.TCPAddr).Port
		out := &listeners{ls: []net.Listener{l}, port: p}
		if twin := loopbackTwin(host); twin != "" {
			if l2, err := net.Listen("tcp", net.JoinHostPort(twin, strconv.Itoa(p))); err == nil {
				out.ls = append(out.ls, l2)
			} else {
				log.Debugf(1, "loopback: also listening on %s failed (%v); a browser that resolves localhost to it cannot come back", net.JoinHostPort(twin, strconv.Itoa(p)), err)
			}
		}
		log.Debugf(1, "loopback: listening on %s", listenerAddrs(out.ls))
		return out, nil
	}
	return nil, fmt.Errorf("cannot listen on %s: in use or not allowed (close what uses them, or give another --listen-address that the provider allows as redirect URI)", strings.Join(tried, ", "))
}

func loopbackTwin(host string) string {
	switch host {
	case "127.0.0.1":
		return "::1"
	case "::1":
		return "127.0.0.1"
	}
	return ""
}

func listenerAddrs(ls []net.Listener) string {
	var s []string
	for _, l := range ls {
		s = append(s, l.Addr().String())
	}
	return strings.Join(s, " and ")
}

// redirectPlan resolves --oidc-redirect-url against --listen-address: a fixed
// loopback redirect URL with a port decides the port to listen on.
func redirectPlan(redirectURL string, addrs []string, addrsGiven bool) ([]string, *url.URL, error) {
	if redirectURL == "" {
		return addrs, nil, nil
	}
	u, err := url.Parse(redirectURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, fmt.Errorf("--oidc-redirect-url %q is not an http(s) URL", redirectURL)
	}
	if u.Port() == "" || !isLoopbackHost(u.Hostname()) {
		return addrs, u, nil // e.g. a reverse proxy in front of the loopback server
	}
	if !addrsGiven {
		return []string{net.JoinHostPort("127.0.0.1", u.Port())}, u, nil
	}
	for _, a := range addrs {
		if _, p, err := net.SplitHostPort(a); err == nil && p == u.Port() {
			return []string{a}, u, nil
		}
	}
	return nil, nil, fmt.Errorf("--oidc-redirect-url %s has port %s, but no --listen-address uses that port (make them agree)", redirectURL, u.Port())
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// loadServerCert loads --local-server-cert and --local-server-key, naming
// the file at fault.
func loadServerCert(certFile, keyFile string) (tls.Certificate, error) {
	const fix = "give a PEM certificate and its private key"
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("read --local-server-cert %s (%s): %w", certFile, fix, unwrapPath(err))
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("read --local-server-key %s (%s): %w", keyFile, fix, unwrapPath(err))
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err == nil {
		return cert, nil
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "certificate input"):
		return tls.Certificate{}, fmt.Errorf("--local-server-cert %s holds no PEM certificate (%s)", certFile, fix)
	case strings.Contains(msg, "key input"):
		return tls.Certificate{}, fmt.Errorf("--local-server-key %s holds no PEM private key (%s)", keyFile, fix)
	case strings.Contains(msg, "does not match"):
		return tls.Certificate{}, fmt.Errorf("--local-server-key %s is not the key of --local-server-cert %s (%s)", keyFile, certFile, fix)
	}
	return tls.Certificate{}, fmt.Errorf("load --local-server-cert %s and --local-server-key %s (%s): %w", certFile, keyFile, fix, err)
}

// unwrapPath drops the *fs.PathError's repetition of the path.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
