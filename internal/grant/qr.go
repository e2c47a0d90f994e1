package grant

import (
	"strings"

	"rsc.io/qr"
)

// qrQuiet is the light margin around the code, in modules. The standard asks
// for 4; 2 scans well on a screen and keeps the code small.
const qrQuiet = 2

// qrCode draws text as a QR code for a terminal: two rows of modules per
// line with half-block characters, black on a white background set by ANSI
// colours, so that it scans on dark and light terminals alike.
func qrCode(text string) (string, error) {
	code, err := qr.Encode(text, qr.L)
	if err != nil {
		return "", err
	}
	n := code.Size + 2*qrQuiet
	dark := func(x, y int) bool {
		x, y = x-qrQuiet, y-qrQuiet
		return x >= 0 && y >= 0 && x < code.Size && y < code.Size && code.Black(x, y)
	}
	var b strings.Builder
	for y := 0; y < n; y += 2 {
		b.WriteString("\x1b[30;107m")
		for x := range n {
			switch top, bottom := dark(x, y), dark(x, y+1); {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteString("\x1b[0m\n")
	}
	return b.String(), nil
}
