//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package system

import "golang.org/x/sys/unix"

// echoOff turns the terminal's echo off and leaves it reading whole lines
// (canonical mode, with Ctrl-C as a signal), as a password prompt wants;
// restore puts back the state it found.
func echoOff(fd int) (restore func(), err error) {
	t, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return nil, err
	}
	was := *t
	t.Lflag &^= unix.ECHO
	t.Lflag |= unix.ICANON | unix.ISIG
	t.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, t); err != nil {
		return nil, err
	}
	return func() { unix.IoctlSetTermios(fd, ioctlSetTermios, &was) }, nil
}
