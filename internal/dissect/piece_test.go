package dissect

import "testing"

func TestPiece(t *testing.T) {
	for _, tt := range []struct {
		f    string
		n    int
		want string
		none bool
	}{
		{"a^b^c", 0, "a", false},
		{"a^b^c", 2, "c", false},
		{"a^b^c", 3, "", true},
		{"abc", 0, "abc", false},
		{"a^^c", 1, "", false},
		{"", 0, "", false},
		{"a^b", -1, "a", false},
	} {
		got := Piece([]byte(tt.f), '^', tt.n)
		if string(got) != tt.want || (got == nil) != tt.none {
			t.Errorf("Piece(%q, %d) = %q (nil %v), want %q (nil %v)", tt.f, tt.n, got, got == nil, tt.want, tt.none)
		}
	}
}
