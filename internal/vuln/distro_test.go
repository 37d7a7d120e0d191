package vuln

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/version"
)

func TestParseDistroPkg(t *testing.T) {
	tests := []struct {
		in   string
		want distroPkg
		ok   bool
	}{
		{"OpenSSH 9.2p1 Debian-2+deb12u3", distroPkg{"OpenSSH", "9.2p1", "debian", "2+deb12u3"}, true},
		{"OpenSSH 8.9p1 Ubuntu-3ubuntu0.10", distroPkg{"OpenSSH", "8.9p1", "ubuntu", "3ubuntu0.10"}, true},
		{"OpenSSH_7.9p1 Raspbian-10+deb10u2", distroPkg{"OpenSSH", "7.9p1", "raspbian", "10+deb10u2"}, true},
		{"OpenSSH for Windows 8.1 Debian-1", distroPkg{"OpenSSH for Windows", "8.1", "debian", "1"}, true},
		{"OpenSSH 9.2p1", distroPkg{}, false},
		{"OpenSSH 7.4 FreeBSD-20170903", distroPkg{}, false}, // a date stamp, not a revision
		{"Debian-2+deb12u3", distroPkg{}, false},
		{"OpenSSH 9.2p1 Debian-", distroPkg{}, false},
		{"OpenSSH x Debian-2", distroPkg{}, false}, // no upstream version
	}
	for _, tt := range tests {
		got, ok := parseDistroPkg(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("parseDistroPkg(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNewestPackages(t *testing.T) {
	in := []string{"OpenSSH 9.2p1 Debian-2+deb12u10", "Dropbear 2019.78", "OpenSSH 9.2p1 Debian-2+deb12u2",
		"openssh 9.2p1 Debian-2+deb12u3", "OpenSSH 8.9p1 Ubuntu-3ubuntu0.1", "OpenSSH 9.8p1"}
	want := []string{"OpenSSH 9.2p1 Debian-2+deb12u10", "Dropbear 2019.78", "OpenSSH 8.9p1 Ubuntu-3ubuntu0.1", "OpenSSH 9.8p1"}
	if diff := cmp.Diff(want, newestPackages(in)); diff != "" {
		t.Errorf("newestPackages (-want +got):\n%s", diff)
	}
	// A release upgrade: the new line's package is newer than the old line's.
	if got := newestPackages([]string{"OpenSSH 10.0p1 Debian-5", "OpenSSH 9.2p1 Debian-2+deb12u10"}); !slices.Equal(got, []string{"OpenSSH 10.0p1 Debian-5"}) {
		t.Errorf("after a release upgrade = %v", got)
	}
}

func TestPlatformPackageReasons(t *testing.T) {
	ctx := context.Background()
	m, err := NewMatcher(ctx, fixture(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for comp, want := range map[string]string{
		"OpenSSH 9.2p1 Debian-2+deb12u10":  `component "OpenSSH 9.2p1 Debian-2+deb12u10" is Debian package 9.2p1-2+deb12u10, at or after 9.2p1-2+deb12u3, which carries the regreSSHion fix`,
		"OpenSSH 8.9p1 Ubuntu-3ubuntu0.6":  `is Ubuntu package 8.9p1-3ubuntu0.6, before 8.9p1-3ubuntu0.10, the first Ubuntu package with the regreSSHion fix`,
		"OpenSSH 9.0p1 Ubuntu-1ubuntu8.7":  `no fixed Ubuntu package of upstream 9.0p1 is known, so the device is presumed unpatched`,
		"OpenSSH 9.2p1 Raspbian-2+deb12u1": `before 9.2p1-2+deb12u3`,
	} {
		fs, err := m.Match(ctx, []Device{{ID: "d", Components: []Component{{Name: comp}}}})
		if err != nil || len(fs) != 1 {
			t.Fatalf("%s: findings %v, %v", comp, fs, err)
		}
		if !strings.Contains(fs[0].Reason, want) {
			t.Errorf("%s: reason %q\nwant it to contain %q", comp, fs[0].Reason, want)
		}
		if fs[0].Confidence == Exact && !strings.Contains(fs[0].MatchedRange, "; fixed in ") {
			t.Errorf("%s: matched range %q does not name the fix", comp, fs[0].MatchedRange)
		}
	}
}

func TestPlatformRulesRefuseBadFixed(t *testing.T) {
	for _, fixed := range []string{
		`{"Debian": ["9.2p1-2+deb12u3"]}`, // distribution not lower case
		`{"debian": []}`,
		`{"debian": ["9.2p1"]}`,             // no revision
		`{"debian": ["1:9.2p1-2+deb12u3"]}`, // an epoch: banners show none
		`{"debian": ["x9.2p1-2"]}`,
	} {
		rules := `[{"id": "r", "cves": ["CVE-2024-6387"], "platforms": [{"match": "openssh", "fixed": ` + fixed + `}], "remediation": {"category": "vendor_fix", "text": "t"}}]`
		if _, err := ParsePlatformRules([]byte(rules)); err == nil || !strings.Contains(err.Error(), "fixed") {
			t.Errorf("fixed %s: err = %v", fixed, err)
		}
	}
}

// FuzzParseDistroPkg: component names come from banners heard on the wire;
// any of them parses without panic, and a package it finds is a valid
// Debian version that newestPackages and fixedVerdict can order.
func FuzzParseDistroPkg(f *testing.F) {
	f.Add("OpenSSH 9.2p1 Debian-2+deb12u3", "OpenSSH 9.2p1 Debian-2+deb12u10")
	f.Add("OpenSSH_8.9p1 Ubuntu-3ubuntu0.10", "Dropbear 2022.83")
	f.Fuzz(func(t *testing.T, a, b string) {
		p, ok := parseDistroPkg(a)
		if ok {
			if _, err := version.CompareDebian(p.pkg(), p.pkg()); err != nil {
				t.Fatalf("parseDistroPkg(%q) = %+v, whose package does not parse: %v", a, p, err)
			}
			fixedVerdict(p, map[string][]string{p.distro: {"9.2p1-2+deb12u3"}})
		}
		if kept := newestPackages([]string{a, b}); len(kept) == 0 || len(kept) > 2 {
			t.Fatalf("newestPackages(%q, %q) kept %q", a, b, kept)
		}
	})
}
