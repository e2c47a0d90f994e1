package usecase

import (
	"cmp"
	"errors"
	"fmt"

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

// CleanResult is what clean removed and kept, for the command line to show.
type CleanResult struct {
	Dir string
	// Removed names each login removed (see label), in order.
	Removed []string
	// Legacy are the names of the files int128/kubelogin left that were removed.
	Legacy []string
	// Kept counts the unreadable entries a filter kept (their issuer and
	// client are unknown).
	Kept int
	// Left counts what is left in Dir that is not kubelogin's, when clean
	// emptied the cache and Dir could not go.
	Left int
}

// Run removes the logins the filter selects. On an error, the result says
// what was removed before it.
func (u *Clean) Run(in CleanInput) (*CleanResult, error) {
	all, err := listCache(in.Dir)
	if err != nil {
		return nil, err
	}
	res := &CleanResult{Dir: in.Dir}
	var errs []error
	for _, c := range all {
		if !c.matches(in.Filter) {
			if c.Entry == nil {
				res.Kept++
			}
			continue
		}
		if err := c.store(in.Dir).Delete(c.Key); err != nil {
			errs = append(errs, fmt.Errorf("remove cached login %s: %w", c.Key[:12], err))
			continue
		}
		res.Removed = append(res.Removed, label(c))
	}
	disk := tokencache.Disk{Dir: in.Dir, Now: u.OS.Now}
	switch {
	case in.Filter.empty():
		// Lock and failure files of logins already gone, and the provider
		// metadata: all kubelogin's, all disposable.
		if err := disk.RemoveAuxiliary(); err != nil {
			errs = append(errs, err)
		}
		// Tokens of int128/kubelogin, which this plugin replaces.
		legacy, err := disk.RemoveLegacyEntries()
		if err != nil {
			errs = append(errs, err)
		}
		res.Legacy = legacy
	case in.Filter.Issuer != "":
		if err := disk.DeleteMetadata(in.Filter.Issuer); err != nil {
			errs = append(errs, err)
		}
	}
	if in.Filter.empty() && len(errs) == 0 {
		// An empty directory that cannot go is harmless: no error for it.
		res.Left, _ = disk.RemoveDirIfEmpty()
	}
	return res, errors.Join(errs...)
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
