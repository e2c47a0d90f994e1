package atomicfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestWriteReplacesWholeFilesWithTheirMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	// A file that exists with a wider mode: Write must narrow it (os.WriteFile
	// keeps the mode of an existing file).
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Longer, then shorter: a writer that does not truncate leaves a tail.
	for _, content := range []string{"first", "second, longer", "third"} {
		if err := Write(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		if string(b) != content {
			t.Errorf("content %q, want %q", b, content)
		}
		fi, _ := os.Stat(path)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %o, want 600", fi.Mode().Perm())
		}
	}
	if des, _ := os.ReadDir(dir); len(des) != 1 {
		t.Errorf("temporary files left: %d entries", len(des))
	}
	if err := Write(filepath.Join(dir, "missing", "f"), nil, 0o600); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

// TestReadersNeverSeeAPartialFile: while Write replaces a large file over and
// over, a reader sees one whole version or the other, never an empty, short
// or mixed file (which a truncate-and-write, os.WriteFile, shows at once).
func TestReadersNeverSeeAPartialFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	versions := [][]byte{bytes.Repeat([]byte("a"), 1<<20), bytes.Repeat([]byte("b"), 1<<20+7)}
	if err := Write(path, versions[0], 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	var reads, bad int
	var badLen int
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			b, err := os.ReadFile(path)
			if err != nil {
				bad, badLen = bad+1, -1
				continue
			}
			reads++
			if !bytes.Equal(b, versions[0]) && !bytes.Equal(b, versions[1]) {
				bad, badLen = bad+1, len(b)
			}
		}
	}()
	for i := range 200 {
		if err := Write(path, versions[i%2], 0o600); err != nil {
			t.Error(err)
			break
		}
	}
	close(done)
	wg.Wait()
	if bad != 0 {
		t.Errorf("a reader saw %d partial or missing files in %d reads (last: %d bytes)", bad, reads, badLen)
	}
	if reads == 0 {
		t.Error("the reader never read")
	}
}

// TestFailedWriteLeavesOldContentAndNoTemporaryFile: when the rename fails
// (the target is a non-empty directory), the target is untouched and the
// temporary file, written beside it, is removed.
func TestFailedWriteLeavesOldContentAndNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "f")
	if err := os.MkdirAll(filepath.Join(target, "keep"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := Write(target, []byte("new"), 0o600); err == nil {
		t.Fatal("replacing a non-empty directory succeeded")
	}
	if fi, err := os.Stat(filepath.Join(target, "keep")); err != nil || !fi.IsDir() {
		t.Errorf("the target was touched: %v", err)
	}
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if de.Name() != "f" {
			t.Errorf("left behind %s", de.Name())
		}
	}
}

// TestTemporaryFileIsBesideTheTargetAndPrivate: the file a crash would leave
// is in the target's directory (a rename across file systems is not atomic),
// is named with TempPrefix (what clean removes) and is never readable by
// others, even before its final mode is set.
func TestTemporaryFileIsBesideTheTargetAndPrivate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A lister racing the writes catches the temporary file while it exists.
	seen := make(chan os.FileMode, 1)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			des, _ := os.ReadDir(dir)
			for _, de := range des {
				if strings.HasPrefix(de.Name(), TempPrefix) {
					if fi, err := de.Info(); err == nil {
						select {
						case seen <- fi.Mode().Perm():
						default:
						}
					}
				}
			}
		}
	}()
	big := bytes.Repeat([]byte("x"), 4<<20)
	for range 50 {
		if err := Write(path, big, 0o600); err != nil {
			t.Fatal(err)
		}
		if len(seen) > 0 {
			break
		}
	}
	close(stop)
	select {
	case mode := <-seen:
		if mode&0o077 != 0 {
			t.Errorf("temporary file mode %o is readable by others", mode)
		}
	default:
		t.Errorf("never saw a %s* file beside the target in 50 writes of 4 MiB", TempPrefix)
	}
}
