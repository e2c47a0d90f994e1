package tokencache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// Lock takes the per-key lock file, <key>.lock, that Source holds across
// read → refresh or login → write; commands that change an entry outside
// Source (logout) take it too, so that they never race a get-token run.
//
// The lock is a separate file from the entry because the entry is replaced by
// rename, and a lock on a replaced file locks nothing. It is an OS lock
// (flock): it goes away with its holder, even one killed with SIGKILL, so a
// held lock always means a live process.
//
// When the lock is busy, onWait (if not nil) is called once and Lock waits at
// most wait; ctx (Ctrl-C) ends the wait.
func (d Disk) Lock(ctx context.Context, key string, wait time.Duration, onWait func(path string)) (unlock func(), err error) {
	if err := d.ensureDir(); err != nil {
		return nil, err
	}
	path := d.path(key, ".lock")
	fl := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, lockError(path, err)
	}
	if !ok {
		if onWait != nil {
			onWait(path)
		}
		wctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		ok, err = fl.TryLockContext(wctx, 50*time.Millisecond)
		if !ok || err != nil {
			switch {
			case ctx.Err() != nil:
				return nil, fmt.Errorf("interrupted while waiting for another kubelogin process: %w", ctx.Err())
			case wctx.Err() != nil:
				return nil, fmt.Errorf("another kubelogin process is still logging in after %s (finish or cancel that login; `lsof %s` shows which process)", wait, path)
			default:
				return nil, lockError(path, err)
			}
		}
	}
	return func() { fl.Unlock() }, nil
}

// lockError names the lock file once and what to check.
func lockError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("lock token cache %s: %w (check the owner and permissions of %s, or set --token-cache-dir)", path, err, filepath.Dir(path))
}
