package tokencache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/token"
)

// Next obtains a new token set. stale is the cached set that is no longer
// usable (nil when there is none); a refreshing Next uses its refresh token.
type Next interface {
	Token(ctx context.Context, stale *token.Set) (*token.Set, error)
}

// Usable decides whether a cached set can still be returned at now.
type Usable func(s *token.Set, now time.Time) bool

// Source returns the cached token while it is usable and otherwise asks Next,
// holding a per-key file lock across read → Next → write, so that concurrent
// plugin runs share one refresh or one login.
type Source struct {
	// Store keeps the entries; Locks is the directory of the lock and failure
	// files (the cache directory, whatever the storage).
	Store    Store
	Locks    Disk
	Key      string
	Issuer   string
	ClientID string
	// NoStore disables reading and writing (--token-cache-storage=none);
	// the lock is still taken when the directory can be created.
	NoStore bool
	// ForceRefresh skips the cached token (but keeps its refresh token).
	ForceRefresh bool
	Usable       Usable
	Now          func() time.Time
	Next         Next
	Log          *logger.Logger
	// LockWait bounds the wait for another process's login.
	LockWait time.Duration
	// Unreachable tells whether an error of Next means the provider could not
	// be reached, with a short reason; the issuer is then not asked again for
	// UnreachableWindow, by this process's successors, whatever the key.
	Unreachable func(error) (reason string, ok bool)
}

// Token returns a usable token set.
func (s *Source) Token(ctx context.Context) (*token.Set, error) {
	started := s.Now()
	// Fast path: entries are replaced atomically, so reading without the lock
	// sees a whole entry. Most runs end here with no lock and no network.
	if cached, _ := s.load(false); cached != nil && !s.ForceRefresh && s.Usable(cached, s.Now()) {
		s.Log.Debugf(1, "using the cached token (key %s)", s.Key)
		return cached, nil
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()

	cached, savedAt := s.load(true)
	// With --force-refresh, a token that another process stored while this one
	// waited is fresh enough: refreshing again would only cost a round trip.
	if cached != nil && s.Usable(cached, s.Now()) && (!s.ForceRefresh || savedAt.After(started)) {
		s.Log.Debugf(1, "another process has just stored a token; using it")
		return cached, nil
	}
	// A process that failed while this one waited: fail fast with its error
	// rather than open one more browser tab or wait once more for a hung provider.
	if f, ok := s.Locks.loadFailure(s.Key); ok && !s.NoStore && f.At.After(started) {
		return nil, fmt.Errorf("another kubelogin process failed to log in %s ago: %s (run the command again to retry)",
			s.Now().Sub(f.At).Round(time.Second), f.Message)
	}
	// A provider that a run just before this one could not reach: fail at
	// once rather than wait the whole request timeout again (kubectl runs
	// the plugin several times per command).
	if !s.NoStore && !s.ForceRefresh {
		if err := s.Locks.checkUnreachable(s.Issuer, s.Now()); err != nil {
			return nil, err
		}
	}
	got, err := s.Next.Token(ctx, cached)
	if err != nil {
		if ctx.Err() == nil && !s.NoStore {
			s.Locks.saveFailure(s.Key, failure{At: s.Now(), Message: err.Error()})
			if reason, ok := s.unreachable(err); ok {
				s.Locks.saveUnreachable(s.Issuer, Unreachable{At: s.Now(), Reason: reason})
			}
		}
		return nil, err
	}
	if s.NoStore {
		return got, nil
	}
	s.Locks.clearFailure(s.Key)
	s.Locks.clearUnreachable(s.Issuer)
	if err := s.Store.Save(s.Key, Entry{Issuer: s.Issuer, ClientID: s.ClientID, Set: *got}); err != nil {
		// The token is good; not keeping it costs a login next time, not this call.
		s.Log.Printf("warning: %v", err)
	}
	return got, nil
}

func (s *Source) unreachable(err error) (string, bool) {
	if s.Unreachable == nil {
		return "", false
	}
	return s.Unreachable(err)
}

// load reads the entry; why it has none is said once per run, by the read
// under the lock (report), not by the lock-free one before it.
func (s *Source) load(report bool) (*token.Set, time.Time) {
	if s.NoStore {
		return nil, time.Time{}
	}
	e, savedAt, err := s.Store.Load(s.Key)
	var corrupt *CorruptError
	switch {
	case err == nil:
		return &e.Set, savedAt
	case !report:
	case errors.Is(err, ErrNotFound):
		s.Log.Debugf(1, "no cached token (key %s)", s.Key)
	case errors.As(err, &corrupt):
		s.Log.Debugf(1, "%v", err)
	default:
		s.Log.Printf("warning: %v", err)
	}
	return nil, time.Time{}
}

// lock takes the per-key lock (see Disk.Lock), waiting at most LockWait.
func (s *Source) lock(ctx context.Context) (func(), error) {
	unlock, err := s.Locks.Lock(ctx, s.Key, s.LockWait, func(path string) {
		s.Log.Printf("Waiting for another kubelogin process to finish logging in (lock %s)...", path)
	})
	if err != nil && s.NoStore {
		if _, dirErr := os.Stat(s.Locks.Dir); dirErr != nil {
			return func() {}, nil // no cache directory to lock in: each run logs in alone
		}
	}
	return unlock, err
}
