// Package stackstart grows the main goroutine's stack once, before any other
// package's initialisation deepens it, to the size a cached get-token needs.
//
// A goroutine starts with an 8 KiB stack. Without this package, a cached
// get-token outgrows it three times: in internal/godebug's init, in the YAML
// library's init (it compiles regular expressions) and in the first JSON
// decode. Each time the runtime copies the stack, and for every frame on it
// looks up the function's tables in the binary's .gopclntab, which lie far
// apart: 14 of the 31 64 KiB windows of .gopclntab that a cached call mapped
// were mapped for those copies (perf, page faults by address), about 0.9 MiB
// of its peak RSS. Growing the stack here, while it holds a few frames, costs
// one small copy.
//
// The main command imports this package for its side effect. Packages are
// initialised in the lexical order of their import paths among those whose
// imports are initialised, so a package importing nothing, named
// github.com/..., runs before internal/godebug, go.yaml.in/yaml and the
// rest: integration_test checks the order in the built binary.
package stackstart

// frameSize makes the runtime grow the 8 KiB stack to 32 KiB in one step: it
// doubles the size until the frame fits. A cached get-token peaks under
// 32 KiB (one growth in all, seen with a uprobe on runtime.morestack); larger
// frames buy nothing and cost zeroing.
const frameSize = 16 << 10

func init() { grow() }

// grow has a frame of frameSize bytes. The frame is passed on so that the
// compiler keeps it; nothing else is done with it.
//
//go:noinline
func grow() {
	var frame [frameSize]byte
	keep(frame[:])
}

//go:noinline
func keep(b []byte) { b[len(b)-1] = 1 }
