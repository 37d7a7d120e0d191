package inventory

import (
	"strings"
	"testing"
)

func FuzzParseEquipment(f *testing.F) {
	for _, s := range []string{"0009FB00001A2B3C^Philips^0009FB00001A2B3C^EUI-64", "00-09-FB-FF-FE-12-34-56",
		"D-100^DD759522^4.10", "", "^", "zz:zz:zz:zz:zz:zz:zz:zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		eui, mac := parseEquipment(s)
		if mac != nil && (len(mac) != 6 || len(eui) != 16) {
			t.Fatalf("%q: MAC %v from EUI %q", s, mac, eui)
		}
		if eui != strings.ToUpper(eui) {
			t.Fatalf("%q: key %q not upper-cased", s, eui)
		}
	})
}

func TestParseEquipment(t *testing.T) {
	tests := []struct{ in, eui, mac string }{
		{"00-09-FB-FF-FE-12-34-56", "0009FBFFFE123456", "00:09:fb:12:34:56"},
		{"0009fbfffe123456^Philips^0009FBFFFE123456^EUI-64", "0009FBFFFE123456", "00:09:fb:12:34:56"},
		{"0009FB00001A2B3C^Philips^0009FB00001A2B3C^EUI-64", "0009FB00001A2B3C", ""},
		{"D-100^DD759522^4.10", "D-100", ""},
	}
	for _, tt := range tests {
		eui, mac := parseEquipment(tt.in)
		got := ""
		if mac != nil {
			got = mac.String()
		}
		if eui != tt.eui || got != tt.mac {
			t.Errorf("parseEquipment(%q) = %q, %q; want %q, %q", tt.in, eui, got, tt.eui, tt.mac)
		}
	}
}

func TestLegacyTLS(t *testing.T) {
	for v, want := range map[string]bool{"1.0": true, "ssl3": true, "0x0301": true, "TLSv1": true, "1.2": false, "1.3": false, "TLS 1.1": false, "": false} {
		if got := legacyTLS(v); got != want {
			t.Errorf("legacyTLS(%q) = %v, want %v", v, got, want)
		}
	}
}
