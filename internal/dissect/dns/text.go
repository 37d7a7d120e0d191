package dns

import (
	"bytes"
	"strings"
)

// MaxText caps any text value taken from the wire.
const MaxText = 256

// Text turns wire bytes into an emitted value: NUL padding and surrounding
// spaces trimmed, capped at max bytes (never splitting the result into
// invalid UTF-8) and made valid UTF-8.
func Text(b []byte, max int) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	b = bytes.TrimSpace(b)
	if len(b) > max {
		b = b[:max]
	}
	if len(b) == 0 {
		return ""
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
