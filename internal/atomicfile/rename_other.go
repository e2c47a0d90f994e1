//go:build !windows

package atomicfile

import "os"

// rename replaces newpath; on Unix a reader holding the old file open keeps
// reading the old content.
func rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
