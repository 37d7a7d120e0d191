package auth

import (
	"strings"
	"testing"
)

// idRE is compiled on first use, so a bad pattern no longer stops the
// package from initialising: these cases compile and exercise it.
func TestValidID(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"a", true},
		{"site-1.north_wing", true},
		{"0" + strings.Repeat("x", 63), true},
		{"0" + strings.Repeat("x", 64), false},
		{"", false},
		{"-lead", false},
		{".lead", false},
		{"has space", false},
		{"trailing\n", false},
		{"ünï", false},
	} {
		if got := ValidID(tc.id); got != tc.want {
			t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}
