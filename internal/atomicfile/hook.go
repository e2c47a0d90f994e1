//go:build !killtest

package atomicfile

// beforeRename is where a binary built with -tags killtest pauses (see
// hook_killtest.go); in every other build it does nothing.
func beforeRename(string, string) {}
