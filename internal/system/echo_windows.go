package system

import "golang.org/x/sys/windows"

// echoOff turns the console's echo off and leaves it reading whole lines,
// with Ctrl-C as a signal, as a password prompt wants; restore puts back the
// mode it found.
func echoOff(fd int) (restore func(), err error) {
	h := windows.Handle(fd)
	var was uint32
	if err := windows.GetConsoleMode(h, &was); err != nil {
		return nil, err
	}
	mode := was&^windows.ENABLE_ECHO_INPUT | windows.ENABLE_LINE_INPUT | windows.ENABLE_PROCESSED_INPUT
	if err := windows.SetConsoleMode(h, mode); err != nil {
		return nil, err
	}
	return func() { windows.SetConsoleMode(h, was) }, nil
}
