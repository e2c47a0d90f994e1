package grant

import (
	"strings"
	"testing"

	"rsc.io/qr"
)

// TestQRCodeRendersEveryModule reads the half-block drawing back into modules
// and compares them with the QR code of the text.
func TestQRCodeRendersEveryModule(t *testing.T) {
	const text = "https://issuer.example.com/device?user_code=BCDF-GHJK"
	drawn, err := qrCode(text)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := qr.Encode(text, qr.L)
	n := want.Size + 2*qrQuiet
	lines := strings.Split(strings.TrimSuffix(drawn, "\n"), "\n")
	if len(lines) != (n+1)/2 {
		t.Fatalf("%d lines, want %d", len(lines), (n+1)/2)
	}
	for row, line := range lines {
		if !strings.HasPrefix(line, "\x1b[30;107m") || !strings.HasSuffix(line, "\x1b[0m") {
			t.Fatalf("line %d lacks the black-on-white colours: %q", row, line)
		}
		cells := []rune(strings.TrimSuffix(strings.TrimPrefix(line, "\x1b[30;107m"), "\x1b[0m"))
		if len(cells) != n {
			t.Fatalf("line %d has %d cells, want %d", row, len(cells), n)
		}
		for x, c := range cells {
			top := strings.ContainsRune("█▀", c)
			bottom := strings.ContainsRune("█▄", c)
			for i, got := range []bool{top, bottom} {
				mx, my := x-qrQuiet, 2*row+i-qrQuiet
				dark := mx >= 0 && my >= 0 && mx < want.Size && my < want.Size && want.Black(mx, my)
				if got != dark {
					t.Fatalf("module (%d,%d) drawn dark=%t, want %t", mx, my, got, dark)
				}
			}
		}
	}
}
