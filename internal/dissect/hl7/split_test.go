package hl7

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestSplitFieldsMatchesSplit: the word-at-a-time splitter finds the same
// fields as bytes.Split, for separators at every offset within a word,
// next to bytes that differ from the separator by one bit or have the high
// bit set, and for every output size.
func TestSplitFieldsMatchesSplit(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{'|', '|', 'A', '^', '}', '~', 0x7d, 0xfc, 0xff, 0x00, 0x80, '\\', 0x7c ^ 0x01, 0x7c ^ 0x80}
	for n := 0; n < 3000; n++ {
		seg := make([]byte, r.IntN(70))
		for i := range seg {
			seg[i] = alphabet[r.IntN(len(alphabet))]
		}
		if n%3 == 0 && len(seg) >= 3 {
			copy(seg, "OBX")
		}
		for size := 1; size <= 24; size += 1 + r.IntN(4) {
			got := make([][]byte, size)
			splitFields(seg, standard, got)
			want := make([][]byte, size)
			parts := bytes.Split(seg, []byte{'|'})
			for i := 0; i < len(parts) && i < size; i++ {
				want[i] = parts[i]
			}
			for i := range want {
				if !bytes.Equal(got[i], want[i]) || (got[i] == nil) != (want[i] == nil) {
					t.Fatalf("%q into %d: field %d = %q, want %q", seg, size, i, got[i], want[i])
				}
			}
		}
	}
}
