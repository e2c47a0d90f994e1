package tokencache

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/gofrs/flock"
)

// Lock takes the per-key lock that Source holds across read → refresh or
// login → write, for commands that change an entry outside Source (logout),
// so that they do not race a get-token run. It waits at most wait.
func (d Disk) Lock(ctx context.Context, key string, wait time.Duration) (unlock func(), err error) {
	if err := d.ensureDir(); err != nil {
		return nil, err
	}
	path := d.path(key, ".lock")
	fl := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o600))
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	ok, err := fl.TryLockContext(wctx, 50*time.Millisecond)
	if !ok || err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("interrupted while waiting for another kubelogin process: %w", ctx.Err())
		}
		return nil, fmt.Errorf("another kubelogin process holds the lock %s (if none is running, remove the file)", path)
	}
	return func() { fl.Unlock() }, nil
}
