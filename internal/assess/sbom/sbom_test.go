package sbom

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseBothFormatsAgree(t *testing.T) {
	cdx, err := Parse(strings.NewReader(string(read(t, "device.cdx.json"))))
	if err != nil {
		t.Fatal(err)
	}
	spdx, err := Parse(strings.NewReader(string(read(t, "device.spdx.json"))))
	if err != nil {
		t.Fatal(err)
	}
	if cdx.Format != CycloneDX || cdx.Spec != "CycloneDX 1.5" || spdx.Format != SPDX || spdx.Spec != "SPDX-2.3" {
		t.Errorf("formats %s %q / %s %q", cdx.Format, cdx.Spec, spdx.Format, spdx.Spec)
	}
	type key struct{ Name, Version, Supplier, CPE, PURL, Type string }
	keys := func(d *Document) map[string]key {
		m := map[string]key{}
		for _, c := range d.Components {
			m[c.Name] = key{c.Name, c.Version, c.Supplier, c.CPE, c.PURL, c.Type}
		}
		return m
	}
	// The SPDX file carries no types for libraries and no supplier for OpenSSL's
	// purl-only entry; otherwise both describe the same five components.
	want := map[string]key{
		"VxWorks":          {"VxWorks", "6.9", "Wind River", "cpe:2.3:o:windriver:vxworks:6.9:*:*:*:*:*:*:*", "", "operating-system"},
		"Treck TCP/IP":     {"Treck TCP/IP", "6.0.1.66", "Treck Inc.", `cpe:2.3:a:treck:tcp\/ip:6.0.1.66:*:*:*:*:*:*:*`, "", "library"},
		"Windows 7":        {"Windows 7", "SP1", "Microsoft", "cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*", "", "operating-system"},
		"OpenSSL":          {"OpenSSL", "1.0.2k", "", "cpe:2.3:a:openssl:openssl:1.0.2k:*:*:*:*:*:*:*", "pkg:generic/openssl@1.0.2k", "library"},
		"acme-pump-ui-lib": {"acme-pump-ui-lib", "3.2", "Acme Widgets Ltd", "", "", "library"},
	}
	if d := cmp.Diff(want, keys(cdx)); d != "" {
		t.Errorf("CycloneDX (-want +got):\n%s", d)
	}
	ws := map[string]key{}
	for k, v := range want {
		if v.Type == "library" {
			v.Type = ""
		}
		if k == "OpenSSL" {
			v.CPE = ""
		}
		ws[k] = v
	}
	if d := cmp.Diff(ws, keys(spdx)); d != "" {
		t.Errorf("SPDX (-want +got):\n%s", d)
	}
	if cdx.Components[1].Ref != "lib-treck" {
		t.Errorf("nested component order: %+v", cdx.Components)
	}
}

func TestParseErrors(t *testing.T) {
	spdx := string(read(t, "device.spdx.json"))
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "not JSON"},
		{"array", "[]", "not JSON"},
		{"other JSON", `{"hello":1}`, "neither CycloneDX"},
		{"cdx nameless", `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library"}]}`, "without a name"},
		{"cdx trailing", `{"bomFormat":"CycloneDX","specVersion":"1.5"} {}`, "after the JSON"},
		{"cdx bad version", `{"bomFormat":"CycloneDX","specVersion":"9.9"}`, "CycloneDX"},
		{"spdx 2.2", strings.Replace(spdx, "SPDX-2.3", "SPDX-2.2", 1), "only SPDX-2.3"},
		{"spdx unknown field", strings.Replace(spdx, `"dataLicense"`, `"dataLicence":"x","dataLicense"`, 1), "unknown field"},
		{"spdx no download", strings.Replace(spdx, `"downloadLocation": "NOASSERTION",
     "primaryPackagePurpose": "OPERATING_SYSTEM", "filesAnalyzed": false,`, `"primaryPackagePurpose": "OPERATING_SYSTEM",`, 1), "downloadLocation is required"},
		{"spdx dup id", strings.Replace(spdx, `"SPDXRef-treck"`, `"SPDXRef-vxworks"`, 1), "duplicate SPDXID"},
		{"spdx bad supplier", strings.Replace(spdx, "Organization: Wind River", "Wind River", 1), "supplier/originator"},
		{"spdx bad category", strings.Replace(spdx, `"PACKAGE-MANAGER"`, `"PACKAGES"`, 1), "referenceCategory"},
		{"spdx truncated", spdx[:len(spdx)/2], "not JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in))
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrMalformed containing %q", err, tc.want)
			}
		})
	}
}

func TestUnusableIdentifiersAreKeptAsProblems(t *testing.T) {
	d, err := Parse(strings.NewReader(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
	 {"type":"library","name":"x","cpe":"cpe:/a:vendor:x:1","purl":"npm/x@1"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	c := d.Components[0]
	if c.CPE != "" || c.PURL != "" || len(c.Problems) != 2 {
		t.Errorf("component %+v: want no identifiers and two problems", c)
	}
}

func TestParsePURL(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    PURL
		wantErr bool
	}{
		{"pkg:generic/openssl@1.0.2k", PURL{"generic", "", "openssl", "1.0.2k"}, false},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar", PURL{"maven", "org.apache.logging.log4j", "log4j-core", "2.14.1"}, false},
		{"pkg:npm/%40angular/core@12.0.0", PURL{"npm", "@angular", "core", "12.0.0"}, false},
		{"pkg:deb/debian/openssl@1.1.1n-0%2Bdeb11u3?arch=amd64#sub", PURL{"deb", "debian", "openssl", "1.1.1n-0+deb11u3"}, false},
		{"pkg:GitHub/Package-URL/purl-spec", PURL{"github", "Package-URL", "purl-spec", ""}, false},
		{"npm/x@1", PURL{}, true},
		{"pkg:npm", PURL{}, true},
		{"pkg:n pm/x", PURL{}, true},
		{"pkg:npm/@1", PURL{}, true},
	} {
		got, err := ParsePURL(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: err = %v", tc.in, err)
			continue
		}
		if err == nil && got != tc.want {
			t.Errorf("%q = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"device.cdx.json", "device.spdx.json"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.4","components":[{"name":"a","components":[{"name":"b"}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Parse(strings.NewReader(string(b)))
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error without ErrMalformed: %v", err)
			}
			return
		}
		for _, c := range d.Components {
			if c.Name == "" {
				t.Fatalf("component without a name accepted: %+v", c)
			}
		}
	})
}

func FuzzParsePURL(f *testing.F) {
	f.Add("pkg:npm/%40angular/core@12.0.0")
	f.Add("pkg:generic/openssl@1.0.2k?x=y#z")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePURL(s)
		if err == nil && (p.Type == "" || p.Name == "") {
			t.Fatalf("%q: accepted without type or name: %+v", s, p)
		}
	})
}
