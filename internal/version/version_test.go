package version

import (
	"errors"
	"testing"
)

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2.4A", "2.4a", 0},
		{"2.4", "2.4a", -1},
		{"2.4b", "2.4a", 1},
		{"9.33", "9.33.0", 0},
		{"9.33", "9.33.1", -1},
		{"9.9", "9.33", -1},
		{"L.01.03", "l.1.3", 0},
		{"L.01.03", "L.01.04", -1},
		{"R4.1L1", "R4.1L2", -1},
		{"R4.1L1", "R4.1", 1},
		{"V2017.02.3", "2017.02.4", -1},
		{"R9.85", "9.80", 1},
		{"12.2.x.x", "12.2.9.1", 0},
		{"BT06", "BT04", 1},
		{"8/30/2024", "2024-08-29", 1},
		{"july 1 2017", "7/1/2017", 0},
		{"CMS7.820.075.08/0.74(0.75)", "cms7.820.075.08/0.74(0.75)", 0},
		{"1.8.4 Service Pack 01", "1.8.4", 1},
	}
	for _, tt := range tests {
		got, err := Compare(MustParse(tt.a), MustParse(tt.b))
		if err != nil {
			t.Errorf("Compare(%q, %q): %v", tt.a, tt.b, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		back, _ := Compare(MustParse(tt.b), MustParse(tt.a))
		if back != -tt.want {
			t.Errorf("Compare(%q, %q) = %d, not antisymmetric", tt.b, tt.a, back)
		}
	}
	if _, err := Compare(MustParse("CMS7.820.075.09"), MustParse("smart3250-2.6.27")); !errors.Is(err, ErrIncomparable) {
		t.Errorf("different firmware lines: err = %v, want ErrIncomparable", err)
	}
	if _, err := Compare(MustParse("8/30/2024"), MustParse("9.1")); !errors.Is(err, ErrIncomparable) {
		t.Errorf("date vs number: err = %v, want ErrIncomparable", err)
	}
}

func TestConstraint(t *testing.T) {
	tests := []struct {
		rng, v string
		want   bool
	}{
		{"<= 9.33", "9.33", true},
		{"<= 9.33", "9.33.1", false},
		{"<= 9.33.1", "9.33.1", true},
		{"Versions 9.33 and prior", "9.19", true},
		{"9.33 and earlier", "9.34", false},
		{"< 12.2.8.410", "12.2.8.409", true},
		{"<12.2.8.410", "12.2.8.410", false},
		{"vers:all/*", "anything", true},
		{"vers:all/<V4.7", "4.6.9", true},
		{"vers:all/>=V7.80|<V9.80", "9.80", false},
		{"vers:all/>=V7.80|<V9.80", "V8.1", true},
		{">= 2.0", "1.9", false},
		{">= 1.0.0 | <= 1.3.1", "1.3.1", true},
		{">= 1.0.0 | <= 1.3.1", "1.3.2", false},
		{"5.0|5.1", "5.1", true},
		{"5.0|5.1", "5.2", false},
		{"24950 | 24952", "24952", true},
		{"<= 2.4A", "2.4a", true},
		{"<= 2.4A", "2.4B", false},
		{"<= R4.1L1", "R4.1L0", true},
		{"<8/30/2024", "2024-08-01", true},
		{"<  july 1 2017", "2017-07-02", false},
		{"<= 12.2.x.x", "12.2.5.1", true},
		{"<= 12.2.x.x", "12.3", false},
		{"12.x", "12.4", true},
		{"12.x", "13.0", false},
		{"<= 1.54 (integrated into GE MobileLink)", "1.54", true},
		{"<=11.2 on Windows 8.1 with IIS 7.5", "11.2", true},
		{"prior to 3.2", "3.1.9", true},
		{">=BT02 | <= BT06", "BT04", true},
		{">=BT02 | <= BT06", "BT07", false},
		{"2.3.6 and  below", "2.3.6", true},
		{"<= U61 |<= L81", "L81", true},
		{"<= U61 |<= L81", "L82", false},
		{"<= U61 |<= L81", "U60", true},
		{"<=CMS7.820.120.01/0.930.95", "CMS7.820.075.09/0.74(0.75)", true},
		{"<= C.00.04", "B.06", true},
	}
	for _, tt := range tests {
		c, err := ParseConstraint(tt.rng)
		if err != nil {
			t.Errorf("ParseConstraint(%q): %v", tt.rng, err)
			continue
		}
		got, err := c.Check(MustParse(tt.v))
		if err != nil {
			t.Errorf("%q.Check(%q): %v", tt.rng, tt.v, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%q (%s).Check(%q) = %v, want %v", tt.rng, c, tt.v, got, tt.want)
		}
	}
}

func TestConstraintIncomparable(t *testing.T) {
	c, err := ParseConstraint("<8/30/2024")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Check(MustParse("3.1")); !errors.Is(err, ErrIncomparable) {
		t.Errorf("err = %v, want ErrIncomparable", err)
	}
	if _, err := ParseConstraint("   "); err == nil {
		t.Error("empty range accepted")
	}
	if _, err := ParseConstraint("<= ()"); err == nil {
		t.Error("range without version accepted")
	}
}

func FuzzConstraint(f *testing.F) {
	for _, s := range []string{"<= 9.33", "vers:all/>=V7.80|<V9.80", "5.0|5.1", "<8/30/2024", "R4.1L1", "12.x", "(", "v"} {
		f.Add(s, "9.33")
	}
	f.Fuzz(func(t *testing.T, rng, v string) {
		c, err := ParseConstraint(rng)
		if err != nil {
			return
		}
		_ = c.String()
		pv, err := Parse(v)
		if err != nil {
			return
		}
		_, _ = c.Check(pv)
		// Compare must be reflexive for every parsable version.
		if got, err := Compare(pv, pv); err != nil || got != 0 {
			t.Fatalf("Compare(%q, itself) = %d, %v", v, got, err)
		}
	})
}

// TestCiscoLoadNames: a phone's load name compares by its release.
func TestCiscoLoadNames(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"sip88xx.14-1-1MN-366", "14.2(1)", -1},
		{"sip88xx.14-2-1-0201-14", "14.2(1)", 1}, // a build of 14.2(1) sorts after the bare release
		{"sip88xx.14-1-1MN-366", "14-1-1MN-366", 0},
		{"SCCP41.9-4-2SR3-1S", "9.4(2)", 1},
		{"SCCP41.9-4-2SR3-1S", "9.4(3)", -1},
		{"cmterm-78xx.14-3-1-0001-24", "14.3(1)", 1},
	} {
		a, b := MustParse(tt.a), MustParse(tt.b)
		got, err := Compare(a, b)
		if err != nil || got != tt.want {
			t.Errorf("Compare(%q, %q) = %d, %v; want %d", tt.a, tt.b, got, err, tt.want)
		}
		if a.Raw != tt.a {
			t.Errorf("raw %q kept as %q", tt.a, a.Raw)
		}
	}
	// Not load names: left as written.
	for _, s := range []string{"sip.5", "sipdect.x", "SIP 2.0", "sip88xx", "AW4.7_ext19", "14.2(1)"} {
		if got := loadRelease(s); got != s {
			t.Errorf("loadRelease(%q) = %q", s, got)
		}
	}
}
