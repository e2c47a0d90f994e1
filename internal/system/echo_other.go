//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package system

import "errors"

// echoOff is not implemented here; x/term reports no terminal on these
// systems either, so ReadPassword does not call it.
func echoOff(int) (func(), error) {
	return nil, errors.ErrUnsupported
}
