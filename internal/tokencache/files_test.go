package tokencache

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestDiskAuxiliaryListsOnlyOurFiles(t *testing.T) {
	d := Disk{Dir: t.TempDir()}
	d.Save(key, Entry{})
	d.SaveMetadata("https://issuer", []byte("{}"))
	ours := []string{key + ".lock", key + ".failed"}
	for _, name := range append(ours, "notes.txt", key+".keyring", "provider-x.json", "kubeconfig.lock") {
		os.WriteFile(filepath.Join(d.Dir, name), nil, 0o600)
	}
	got, err := d.Auxiliary()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, filepath.Base(p))
	}
	slices.Sort(names)
	want := []string{key + ".failed", key + ".lock", filepath.Base(d.metadataPath("https://issuer"))}
	if !slices.Equal(names, want) {
		t.Errorf("Auxiliary = %v", names)
	}
}
