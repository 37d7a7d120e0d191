package dns

import "testing"

// TestTextCache: a cached value is exactly Text of the same bytes and max,
// across hits, a different max for the same bytes, and the cache starting over.
func TestTextCache(t *testing.T) {
	var c TextCache
	inputs := [][]byte{
		[]byte("printer.local"), []byte("  padded \x00junk"), []byte("bad\xffutf8"), {},
		[]byte("é" + string(make([]byte, 300))),
	}
	for round := 0; round < 2; round++ {
		for _, in := range inputs {
			for _, max := range []int{3, MaxText} {
				if got, want := c.Text(in, max), Text(in, max); got != want {
					t.Errorf("Text(%q, %d) = %q, want %q", in, max, got, want)
				}
			}
		}
	}
	for i := range textCacheMax + 10 {
		b := []byte{byte(i), byte(i >> 8), 'x'}
		if got, want := c.Text(b, MaxText), Text(b, MaxText); got != want {
			t.Fatalf("entry %d: %q, want %q", i, got, want)
		}
	}
	if len(c.m) > textCacheMax {
		t.Errorf("cache holds %d entries, bound %d", len(c.m), textCacheMax)
	}
}
