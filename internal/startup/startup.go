// Package startup is initialised before any other package of the plugin and
// sets the process up for what nearly every run is: a short, single-goroutine
// answer from the token cache.
//
// One P (GOMAXPROCS=1). With one P per core, the runtime's first goroutines
// and every goroutine made runnable later wake a second thread to run them,
// which spins looking for work, and each P keeps its own spans of memory: on
// a 2-core machine that was about 50 more page faults and a fifth more CPU
// time per cached call (perf stat, GOMAXPROCS=1 from the environment). The
// plugin's other work is waiting on the network, a browser or a person,
// which one P does as well. A GOMAXPROCS set in the environment is restored
// by the main command (HonourGOMAXPROCS): that is somebody's choice.
//
// No memory profiling (MemProfileRate=0): a sample walks the allocating
// goroutine's stack through .gopclntab, at a random point of some runs, and
// nothing here reads the profile.
//
// The main goroutine's stack, grown once. A goroutine starts with an 8 KiB
// stack. A cached get-token outgrew it three times: in internal/godebug's
// init, in the YAML library's init (it compiles regular expressions) and in
// the first JSON decode. Each time the runtime copies the stack, and for
// every frame on it looks up the function's tables in the binary's
// .gopclntab, which lie far apart: 14 of the 31 64 KiB windows of .gopclntab
// that a cached call mapped were mapped for those copies (perf, page faults
// by address), about 0.9 MiB of its peak RSS. Growing the stack here, while
// it holds a few frames, costs one small copy.
//
// The main command imports this package. Packages are initialised in the
// lexical order of their import paths among those whose imports are
// initialised, so a package importing only runtime, named github.com/...,
// runs before internal/godebug, go.yaml.in/yaml and the rest:
// integration_test checks the order in the built binary.
package startup

import "runtime"

// previousProcs is GOMAXPROCS as the runtime set it, before this package.
var previousProcs int

func init() {
	previousProcs = runtime.GOMAXPROCS(1)
	runtime.MemProfileRate = 0 // before the first allocations, as its doc asks
	grow()
}

// HonourGOMAXPROCS gives back the runtime's GOMAXPROCS when the environment
// sets one: this package cannot read the environment without importing the
// packages it must be initialised before.
func HonourGOMAXPROCS(getenv func(string) string) {
	if getenv("GOMAXPROCS") != "" {
		runtime.GOMAXPROCS(previousProcs)
	}
}

// frameSize makes the runtime grow the 8 KiB stack to 32 KiB in one step: it
// doubles the size until the frame fits. A cached get-token peaks under
// 32 KiB (one growth in all, seen with a uprobe on runtime.morestack); larger
// frames buy nothing and cost zeroing.
const frameSize = 16 << 10

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
