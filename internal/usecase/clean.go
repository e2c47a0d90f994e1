package usecase

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kubelogin/kubelogin/internal/logger"
	"github.com/kubelogin/kubelogin/internal/system"
	"github.com/kubelogin/kubelogin/internal/tokencache"
)

// CleanInput is what clean was told.
type CleanInput struct {
	Dir    string
	Filter CacheFilter
}

// Clean removes cached logins, from files and from the keyring, and nothing
// that is not kubelogin's: the directory itself goes only when it is left
// empty, and never with what it holds besides.
type Clean struct {
	OS  system.OS
	Log *logger.Logger
}

// NewClean returns the use-case.
func NewClean(sys system.OS, log *logger.Logger) *Clean {
	return &Clean{OS: sys, Log: log}
}

// Run removes the logins the filter selects and reports on stdout.
func (u *Clean) Run(in CleanInput) error {
	all, err := listCache(in.Dir)
	if err != nil {
		return err
	}
	var removed, kept int
	var errs []error
	for _, c := range all {
		if !c.matches(in.Filter) {
			if c.Entry == nil {
				kept++
			}
			continue
		}
		if err := c.store(in.Dir).Delete(c.Key); err != nil {
			errs = append(errs, fmt.Errorf("remove cached login %s: %w", c.Key[:12], err))
			continue
		}
		removed++
		fmt.Fprintf(u.OS.Stdout, "Removed %s\n", label(c))
	}
	disk := tokencache.Disk{Dir: in.Dir}
	switch {
	case in.Filter.empty():
		// Lock and failure files of logins already gone, and the provider
		// metadata: all kubelogin's, all disposable.
		files, err := disk.Auxiliary()
		if err != nil {
			errs = append(errs, err)
		}
		for _, f := range files {
			if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		// Tokens of int128/kubelogin, which this plugin replaces.
		legacy, err := disk.LegacyEntries()
		if err != nil {
			errs = append(errs, err)
		}
		for _, f := range legacy {
			if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
				continue
			}
			removed++
			fmt.Fprintf(u.OS.Stdout, "Removed a login cached by int128/kubelogin (%s)\n", filepath.Base(f)[:12])
		}
	case in.Filter.Issuer != "":
		if err := disk.DeleteMetadata(in.Filter.Issuer); err != nil {
			errs = append(errs, err)
		}
	}
	if removed == 0 && len(errs) == 0 {
		fmt.Fprintf(u.OS.Stdout, "No cached logins to remove in %s.\n", in.Dir)
	}
	if kept > 0 {
		fmt.Fprintf(u.OS.Stdout, "Kept %d unreadable entries: their issuer and client are unknown (run clean without --issuer and --client-id to remove them).\n", kept)
	}
	if in.Filter.empty() && len(errs) == 0 {
		u.removeDirIfEmpty(in.Dir)
	}
	return errors.Join(errs...)
}

// removeDirIfEmpty removes the cache directory when nothing is left in it,
// and says what is left otherwise.
func (u *Clean) removeDirIfEmpty(dir string) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	if len(des) == 0 {
		_ = os.Remove(dir) // never RemoveAll: the user may have pointed us at any directory
		return
	}
	fmt.Fprintf(u.OS.Stdout, "Left %d files in %s that are not kubelogin's.\n", len(des), dir)
}

// label names a cached login for messages: issuer, client, user, storage.
func label(c cached) string {
	if c.Entry == nil {
		return fmt.Sprintf("an unreadable entry (%s, key %s)", c.Storage, c.Key[:12])
	}
	who := ""
	if s := subjectOf(c); s != "" {
		who = ", " + s
	}
	return fmt.Sprintf("%s (client %s%s; %s, key %s)", cmp.Or(c.Entry.Issuer, "?"), cmp.Or(c.Entry.ClientID, "?"), who, c.Storage, c.Key[:12])
}
