package tokencache

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func FuzzLoadEntry(f *testing.F) {
	f.Add([]byte(`{"version":1,"issuer":"https://i","id_token":"a.b.c","refresh_token":"r"}`))
	f.Add([]byte(`{"version":1,"access_token_expiry":"not a time"}`))
	f.Add([]byte(`{"version":1,"id_token":["x"]}`))
	f.Add([]byte{0xff, 0xfe, 0})
	dir := f.TempDir()
	d := Disk{Dir: dir}
	f.Fuzz(func(t *testing.T, content []byte) {
		if err := os.WriteFile(filepath.Join(dir, key+".json"), content, 0o600); err != nil {
			t.Fatal(err)
		}
		e, _, err := d.Load(key)
		var corrupt *CorruptError
		switch {
		case err == nil && e == nil:
			t.Fatal("nil entry without an error")
		case err != nil && !errors.As(err, &corrupt):
			t.Fatalf("a bad entry must be a CorruptError (a cache miss), got %v", err)
		}
	})
}
