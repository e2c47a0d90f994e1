package startup

import (
	"runtime"
	"testing"
	"unsafe"
)

func TestNoMemoryProfile(t *testing.T) {
	if runtime.MemProfileRate != 0 {
		t.Errorf("MemProfileRate after init = %d, want 0", runtime.MemProfileRate)
	}
}

func TestOneProcUnlessTheEnvironmentSaysOtherwise(t *testing.T) {
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Fatalf("GOMAXPROCS after init = %d, want 1", n)
	}
	defer runtime.GOMAXPROCS(1)
	defer func(p int) { previousProcs = p }(previousProcs)
	previousProcs = 3
	HonourGOMAXPROCS(func(string) string { return "" })
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Errorf("without GOMAXPROCS in the environment: %d procs, want 1", n)
	}
	HonourGOMAXPROCS(func(k string) string { return map[string]string{"GOMAXPROCS": "3"}[k] })
	if n := runtime.GOMAXPROCS(0); n != 3 {
		t.Errorf("with GOMAXPROCS=3 in the environment: %d procs, want the runtime's 3", n)
	}
}

// A stack copy moves every local variable, so a local's address before and
// after a deep call tells whether the runtime copied the stack meanwhile.
func TestGrowMakesRoomForDeepCalls(t *testing.T) {
	const depth = 24 << 10 // bytes of stack the deep call uses
	copied := func(first func()) bool {
		done := make(chan bool)
		go func() { // a new goroutine has a new, small stack
			first()
			var local byte
			before := uintptr(unsafe.Pointer(&local))
			deep(depth)
			done <- uintptr(unsafe.Pointer(&local)) != before
		}()
		return <-done
	}
	if !copied(func() {}) {
		t.Fatalf("a call %d bytes deep did not copy a new goroutine's stack: this test cannot tell anything", depth)
	}
	if copied(grow) {
		t.Errorf("a call %d bytes deep copied the stack after grow: its frame no longer makes the room it claims", depth)
	}
}

// deep uses about n bytes of stack.
//
//go:noinline
func deep(n int) byte {
	var b [512]byte
	b[n%len(b)] = byte(n)
	if n <= len(b) {
		return b[0]
	}
	return b[(n+1)%len(b)] + deep(n-len(b)-64)
}
