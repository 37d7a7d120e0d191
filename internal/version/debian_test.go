package version

import (
	"strings"
	"testing"
)

func TestCompareDebian(t *testing.T) {
	// Each row: a < b. Cases from Debian Policy 5.6.12 and from the security
	// updates of Debian, Ubuntu and Raspbian openssh packages.
	less := []struct{ a, b string }{
		{"1.0~~", "1.0~~a"},
		{"1.0~~a", "1.0~"},
		{"1.0~", "1.0"},
		{"1.0", "1.0a"},
		{"1.0a", "1.0+"},
		{"1.0~rc1", "1.0"},
		{"1.0", "1.0-1"},
		{"1.0-1", "1.0-1+b1"},
		{"1.0-1", "1.0-1.1"},
		{"2.0", "1:1.0"},
		{"1:9.9", "2:0.1"},
		{"9.2p1-2+deb12u1", "9.2p1-2+deb12u3"},
		{"9.2p1-2+deb12u3", "9.2p1-2+deb12u10"},
		{"9.2p1-2", "9.2p1-2+deb12u3"},
		{"8.9p1-3ubuntu0.6", "8.9p1-3ubuntu0.10"},
		{"8.9p1-3", "8.9p1-3ubuntu0.1"},
		{"9.6p1-3ubuntu13", "9.6p1-3ubuntu13.3"},
		{"9.2p1-2+deb12u3", "9.3p1-1"},
		{"9.2p1", "9.10p1"},
		{"1.2.3", "1.2.10"},
		{"7.4p1-10+deb9u7", "1:7.4p1-10+deb9u8"},
		{"1.a", "1.b"},
		{"1.Z", "1.a"},     // ASCII: capitals first
		{"1.z", "1.+"},     // letters before other characters
		{"1.0000", "1.01"}, // leading zeros do not count
	}
	for _, c := range less {
		for _, tc := range []struct {
			a, b string
			want int
		}{{c.a, c.b, -1}, {c.b, c.a, 1}, {c.a, c.a, 0}} {
			got, err := CompareDebian(tc.a, tc.b)
			if err != nil || got != tc.want {
				t.Errorf("CompareDebian(%q, %q) = %d, %v; want %d", tc.a, tc.b, got, err, tc.want)
			}
		}
	}
	equal := []struct{ a, b string }{
		{"1.0", "1.0-0"},
		{"0:1.0", "1.0"},
		{"1.01", "1.1"},
		{"1.0-00", "1.0"},
	}
	for _, c := range equal {
		if got, err := CompareDebian(c.a, c.b); err != nil || got != 0 {
			t.Errorf("CompareDebian(%q, %q) = %d, %v; want 0", c.a, c.b, got, err)
		}
	}
}

func TestCompareDebianRefuses(t *testing.T) {
	for _, s := range []string{"", "a1.0", "x:1.0", "1.0-", "1.0 2", "-1", ":1.0", "1:", "1.0_1", "99999999999:1"} {
		if _, err := CompareDebian(s, "1.0"); err == nil || !strings.Contains(err.Error(), "debian version") {
			t.Errorf("CompareDebian(%q) = %v; want a 'debian version' error", s, err)
		}
		if _, err := CompareDebian("1.0", s); err == nil {
			t.Errorf("CompareDebian(1.0, %q): no error", s)
		}
	}
}

// FuzzCompareDebian: no panic, and the order is an order (antisymmetric,
// reflexive, consistent with a third version).
func FuzzCompareDebian(f *testing.F) {
	f.Add("9.2p1-2+deb12u3", "9.2p1-2+deb12u10", "1:1.0~rc1")
	f.Add("1.0~~a", "1.0+", "8.9p1-3ubuntu0.10")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		ab, errA := CompareDebian(a, b)
		ba, errB := CompareDebian(b, a)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("errors differ by argument order: %v / %v", errA, errB)
		}
		if errA != nil {
			return
		}
		if ab != -ba {
			t.Fatalf("CompareDebian(%q,%q)=%d but reversed %d", a, b, ab, ba)
		}
		if aa, _ := CompareDebian(a, a); aa != 0 {
			t.Fatalf("CompareDebian(%q,%q)=%d", a, a, aa)
		}
		bc, err := CompareDebian(b, c)
		if err != nil {
			return
		}
		ac, _ := CompareDebian(a, c)
		if ab <= 0 && bc <= 0 && ac > 0 {
			t.Fatalf("not transitive: %q <= %q <= %q but %q > %q", a, b, c, a, c)
		}
	})
}
