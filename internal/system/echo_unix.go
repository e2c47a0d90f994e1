//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package system

import "golang.org/x/sys/unix"

// echoOff turns the terminal's echo off and leaves it reading whole lines
// (canonical mode, with Ctrl-C as a signal), as a password prompt wants.
func echoOff(fd int) error {
	t, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return err
	}
	t.Lflag &^= unix.ECHO
	t.Lflag |= unix.ICANON | unix.ISIG
	t.Iflag |= unix.ICRNL
	return unix.IoctlSetTermios(fd, ioctlSetTermios, t)
}
