//go:build windows

package atomicfile

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// Windows error codes a rename meets while another process has the target
// open (Go opens files without FILE_SHARE_DELETE): a concurrent kubelogin
// reading the cache entry for a few microseconds.
const (
	errorAccessDenied     syscall.Errno = 5
	errorSharingViolation syscall.Errno = 32
)

// rename replaces newpath, retrying for up to a second while another process
// has it open. Without the retry, a refresh whose rotated refresh token
// cannot be stored makes the next process refresh with the old one, which the
// provider refuses, and log in again (int128/kubelogin's #1144).
func rename(oldpath, newpath string) error {
	deadline := time.Now().Add(time.Second)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		err := os.Rename(oldpath, newpath)
		if err == nil || !transient(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
	}
}

func transient(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno) && (errno == errorAccessDenied || errno == errorSharingViolation)
}
