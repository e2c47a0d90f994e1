package oidcfake

import (
	"fmt"
	"net"
	"net/http"
	"sync"
)

// answerRefreshFault answers a refresh_token grant per Faults.RefreshError,
// RefreshStatus, RefreshContentType and RefreshBody, and reports whether it
// did.
func (p *Provider) answerRefreshFault(w http.ResponseWriter, f Faults) bool {
	status := f.RefreshStatus
	switch {
	case f.RefreshError != "":
		if status == 0 {
			status = http.StatusBadRequest
		}
		writeError(w, status, f.RefreshError, "injected fault")
	case status != 0:
		if f.RefreshContentType != "" {
			w.Header().Set("Content-Type", f.RefreshContentType)
		}
		w.WriteHeader(status)
		fmt.Fprint(w, f.RefreshBody)
	default:
		return false
	}
	return true
}

// refusingListener is the provider's listener. While Faults.Refuse is set it
// is closed, so that connections are refused as by a provider that is down,
// and it listens again on the same address when Refuse is cleared: the
// provider keeps its state (refresh tokens, keys) across the outage.
type refusingListener struct {
	addr net.Addr

	mu     sync.Mutex
	ln     net.Listener  // nil while refusing
	resume chan struct{} // closed when listening again or closed
	closed bool
}

func newRefusingListener(ln net.Listener) *refusingListener {
	return &refusingListener{addr: ln.Addr(), ln: ln}
}

func (l *refusingListener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		ln, resume, closed := l.ln, l.resume, l.closed
		l.mu.Unlock()
		switch {
		case closed:
			return nil, net.ErrClosed
		case ln == nil:
			<-resume
			continue
		}
		c, err := ln.Accept()
		if err == nil {
			return c, nil
		}
		l.mu.Lock()
		refused := l.ln != ln && !l.closed // closed by refuse(true), not by Close
		l.mu.Unlock()
		if !refused {
			return nil, err
		}
	}
}

// refuse closes the listening socket (on) or listens again (off).
func (l *refusingListener) refuse(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
	case on && l.ln != nil:
		l.ln.Close()
		l.ln, l.resume = nil, make(chan struct{})
	case !on && l.ln == nil:
		ln, err := net.Listen("tcp", l.addr.String())
		if err != nil {
			return // the port was taken meanwhile: connections stay refused, and the test says so
		}
		l.ln = ln
		close(l.resume)
	}
}

func (l *refusingListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if l.ln == nil {
		close(l.resume)
		return nil
	}
	return l.ln.Close()
}

func (l *refusingListener) Addr() net.Addr { return l.addr }
