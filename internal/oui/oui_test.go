package oui

import (
	"bytes"
	"net"
	"os"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	tab := Embedded()
	if tab.Len() < 40000 {
		t.Fatalf("embedded table has %d entries, want > 40000", tab.Len())
	}
	tests := []struct {
		name   string
		mac    string
		want   string
		wantOK bool
	}{
		{"MA-L Philips patient monitoring", "00:09:fb:00:1a:2b", "Philips Patient Monitoring", true},
		{"MA-L Alaris", "00:b0:94:00:c0:ff", "Alaris, Inc.", true},
		{"MA-L Espressif", "24:0a:c4:12:34:56", "Espressif Inc.", true},
		{"MA-S inside IEEE block names the small owner", "70:b3:d5:f2:f0:01", "TELEPLATFORMS", true},
		{"MA-M", "74:1a:e0:90:00:01", "Private", true},
		{"locally administered (randomised)", "da:a1:19:00:00:01", "", false},
		{"locally administered with real OUI bits", "02:09:fb:00:1a:2b", "", false},
		{"too short", "00:09", "", false},
		{"all-zero placeholder", "00:00:00:00:00:00", "", false},
		{"Xerox's real 00:00:00 block", "00:00:00:12:34:56", "XEROX CORPORATION", true},
		{"EUI-64", "00:09:fb:00:00:1a:2b:3c", "Philips Patient Monitoring", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mac net.HardwareAddr
			if strings.Count(tt.mac, ":") >= 5 {
				var err error
				if mac, err = net.ParseMAC(tt.mac); err != nil {
					t.Fatal(err)
				}
			} else {
				mac = net.HardwareAddr{0, 9}
			}
			got, ok := tab.Lookup(mac)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Lookup(%s) = %q, %v; want %q, %v", tt.mac, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParseSkipsBadLines(t *testing.T) {
	tab, bad := Parse("# c\n0009FB\tPhilips\nZZZZZZ\tBad\n0009FB1\n12345\tFive\n")
	if tab.Len() != 1 || bad != 3 {
		t.Fatalf("Len %d bad %d; want 1, 3", tab.Len(), bad)
	}
}

func TestGenerateErrors(t *testing.T) {
	err := Generate(&bytes.Buffer{}, Source{Name: "x.csv", R: strings.NewReader("Registry,Assignment,Organization Name\nMA-L,XYZ,Foo\n")})
	if err == nil || !strings.Contains(err.Error(), "x.csv:2") {
		t.Fatalf("err = %v; want x.csv:2 position", err)
	}
	if err := Generate(&bytes.Buffer{}); err == nil {
		t.Fatal("no sources: want error")
	}
}

// TestTableUpToDate regenerates the table from the installed ieee-data and
// compares it with the committed file (go generate ./internal/oui fixes it).
func TestTableUpToDate(t *testing.T) {
	const dir = "/usr/share/ieee-data"
	if _, err := os.Stat(dir + "/oui.csv"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must install ieee-data: %v", err)
		}
		t.Skip("ieee-data not installed (apt-get install ieee-data)")
	}
	srcs, closeAll, err := OpenSources(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	var buf bytes.Buffer
	if err := Generate(&buf, srcs...); err != nil {
		t.Fatal(err)
	}
	if buf.String() != embedded {
		t.Fatal("table.tsv is stale: run go generate ./internal/oui")
	}
}

func BenchmarkLookup(b *testing.B) {
	tab := Embedded()
	mac := net.HardwareAddr{0x00, 0x09, 0xfb, 0x01, 0x02, 0x03}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := tab.Lookup(mac); !ok {
			b.Fatal("miss")
		}
	}
}
