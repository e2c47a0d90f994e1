// Package logger writes the plugin's messages to stderr: always-shown lines for
// the user, and -v N debug lines (1 = flow, 2 = HTTP headers, 3 = bodies).
//
// Nothing here redacts: callers never pass secrets. The HTTP debug transport in
// internal/httpclient redacts what it prints.
package logger

import (
	"fmt"
	"io"
	"sync"
)

// Logger writes to one writer, normally stderr. The zero value discards.
type Logger struct {
	mu    sync.Mutex
	w     io.Writer
	level int
}

// New returns a logger writing to w at level 0.
func New(w io.Writer) *Logger { return &Logger{w: w} }

// SetLevel sets the -v level.
func (l *Logger) SetLevel(level int) {
	l.mu.Lock()
	l.level = level
	l.mu.Unlock()
}

// V reports whether messages at level are shown.
func (l *Logger) V(level int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w != nil && level <= l.level
}

// Printf writes a message for the user, always shown.
func (l *Logger) Printf(format string, args ...any) {
	l.write(format, args)
}

// Debugf writes a message shown only at -v level or above.
func (l *Logger) Debugf(level int, format string, args ...any) {
	if l.V(level) {
		l.write(format, args)
	}
}

func (l *Logger) write(format string, args []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if len(msg) == 0 || msg[len(msg)-1] != '\n' {
		msg += "\n"
	}
	io.WriteString(l.w, msg)
}
