package dissect

import "bytes"

// Piece returns piece n (0-based) of f split at sep, or nil when f has
// fewer pieces: the n-th component or repetition of an HL7 or ASTM field.
func Piece(f []byte, sep byte, n int) []byte {
	for i := 0; i < n; i++ {
		j := bytes.IndexByte(f, sep)
		if j < 0 {
			return nil
		}
		f = f[j+1:]
	}
	if j := bytes.IndexByte(f, sep); j >= 0 {
		return f[:j]
	}
	return f
}
