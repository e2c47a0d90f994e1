package tokencache

import (
	"os"
	"testing"

	"github.com/gofrs/flock"

	"github.com/kubelogin/kubelogin/internal/token"
)

// The hit path reads the entry without any lock (entries are replaced by
// rename, so a read sees a whole entry). These benchmarks compare it with
// taking a shared lock around the read, the alternative issue #6 asked about.
func benchmarkHit(b *testing.B, shared bool) {
	d := Disk{Dir: b.TempDir()}
	if err := d.Save(key, Entry{Set: token.Set{IDToken: "a.b.c", RefreshToken: "r"}}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if shared {
			fl := flock.New(d.path(key, ".lock"), flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o600))
			if err := fl.RLock(); err != nil {
				b.Fatal(err)
			}
			if _, _, err := d.Load(key); err != nil {
				b.Fatal(err)
			}
			fl.Unlock()
			continue
		}
		if _, _, err := d.Load(key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHitWithoutLock(b *testing.B)    { benchmarkHit(b, false) }
func BenchmarkHitWithSharedLock(b *testing.B) { benchmarkHit(b, true) }
