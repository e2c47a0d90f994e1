package tokencache

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubelogin/kubelogin/internal/atomicfile"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

func TestDiskRemovesOnlyWhatCleanOwns(t *testing.T) {
	d := Disk{Dir: t.TempDir()}
	if err := d.Save(key, Entry{}); err != nil {
		t.Fatal(err)
	}
	d.SaveMetadata("https://issuer", []byte("{}"))
	legacy := strings.Repeat("ab", 32)
	lookalike := strings.Repeat("cd", 32)
	for name, content := range map[string]string{
		key + ".lock": "", key + ".failed": "{}", "notes.txt": "mine",
		legacy: `{"id_token":"a.b.c"}`, lookalike: "my notes",
	} {
		os.WriteFile(filepath.Join(d.Dir, name), []byte(content), 0o600)
	}
	if err := d.RemoveAuxiliary(); err != nil {
		t.Fatal(err)
	}
	removed, err := d.RemoveLegacyEntries()
	if err != nil || !slices.Equal(removed, []string{legacy}) {
		t.Errorf("RemoveLegacyEntries = %v, %v", removed, err)
	}
	want := []string{key + ".json", lookalike, "notes.txt"}
	slices.Sort(want)
	if got := names(t, d.Dir); !slices.Equal(got, want) {
		t.Errorf("left %v, want %v", got, want)
	}
	if left, err := d.RemoveDirIfEmpty(); left != 3 || err != nil {
		t.Errorf("RemoveDirIfEmpty = %d, %v; want 3 left", left, err)
	}
	for _, n := range want {
		os.Remove(filepath.Join(d.Dir, n))
	}
	if left, err := d.RemoveDirIfEmpty(); left != 0 || err != nil {
		t.Errorf("RemoveDirIfEmpty of an empty directory = %d, %v", left, err)
	}
	if _, err := os.Stat(d.Dir); !os.IsNotExist(err) {
		t.Errorf("the empty directory is still there: %v", err)
	}
	if left, err := d.RemoveDirIfEmpty(); left != 0 || err != nil {
		t.Errorf("RemoveDirIfEmpty of a missing directory = %d, %v", left, err)
	}
}

// The stores read the injected clock, not the wall clock.
func TestStoresUseTheirClock(t *testing.T) {
	at := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	clock := func() time.Time { return at }

	k := &Keyring{Dir: t.TempDir(), secrets: newFakeSecrets(0), Now: clock}
	if err := k.Save(key, Entry{}); err != nil {
		t.Fatal(err)
	}
	if _, saved, err := k.Load(key); err != nil || !saved.Equal(at) {
		t.Errorf("keyring saved at %v (%v), want the clock's %v", saved, err, at)
	}

	// A temporary file a killed writer left is stale by the clock's time.
	d := Disk{Dir: t.TempDir(), Now: clock}
	tmp := filepath.Join(d.Dir, atomicfile.TempPrefix+"left")
	os.WriteFile(tmp, nil, 0o600)
	mtime := at.Add(-staleTempAge / 2) // fresh by the clock, ancient by the wall clock
	os.Chtimes(tmp, mtime, mtime)
	d.Save(key, Entry{})
	if _, err := os.Stat(tmp); err != nil {
		t.Fatalf("a temporary file fresh by the clock was removed: %v", err)
	}
	d.Now = func() time.Time { return at.Add(staleTempAge) }
	d.Save(key, Entry{})
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("a stale temporary file was kept: %v", err)
	}
}
