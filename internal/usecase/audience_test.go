package usecase

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/token"
	"github.com/kubelogin/kubelogin/internal/tokencache"
)

// busyStore plays a login entry that other kubelogin processes keep
// replacing: every read finds a usable entry saved after the reader started.
type busyStore struct{ now func() time.Time }

func (s busyStore) Load(string) (*tokencache.Entry, time.Time, error) {
	return &tokencache.Entry{Set: token.Set{IDToken: "x", RefreshToken: "r"}}, s.now().Add(time.Hour), nil
}
func (busyStore) Save(string, tokencache.Entry) error { return nil }
func (busyStore) Delete(string) error                 { return nil }
func (busyStore) Keys() ([]string, error)             { return nil, nil }

// When other processes replace the login's entry at every attempt, the
// cross-client refresh never gets its turn: it gives up after three with a
// message, instead of looping or refreshing with a stale refresh token.
func TestCrossClientGivesUpWhenTheLoginKeepsChanging(t *testing.T) {
	now := time.Now
	session := &tokencache.Source{
		Store: busyStore{now: now}, Locks: tokencache.Disk{Dir: t.TempDir(), Now: now},
		Key: "k", Now: now, Log: logger.New(io.Discard), LockWait: time.Second,
		Usable: func(*token.Set, time.Time) bool { return true },
	}
	n := &audienceNext{aud: "cluster-a", session: session}
	_, err := n.crossClient(context.Background(), nil)
	want := "the login's refresh token kept changing under other kubelogin processes: run the command again"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}
