package cpe

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFormat(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "nvd firmware", in: "cpe:2.3:o:bd:alaris_8015_pcu_firmware:*:*:*:*:*:*:*:*", want: "cpe:2.3:o:bd:alaris_8015_pcu_firmware:*:*:*:*:*:*:*:*"},
		{name: "escaped punctuation", in: `cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*`, want: `cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*`},
		{name: "escaped colon and upper case", in: `cpe:2.3:a:Foo\:Bar:Prod\!uct:1.0`, want: `cpe:2.3:a:foo\:bar:prod\!uct:1.0:*:*:*:*:*:*:*`},
		{name: "windows sp", in: "cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*", want: "cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*"},
		{name: "not cpe", in: "cpe:/o:microsoft:windows_7", wantErr: true},
		{name: "bad part", in: "cpe:2.3:x:a:b", wantErr: true},
		{name: "too many", in: "cpe:2.3:a:b:c:d:e:f:g:h:i:j:k:l", wantErr: true},
		{name: "empty attribute", in: "cpe:2.3:a::c", wantErr: true},
		{name: "trailing backslash", in: `cpe:2.3:a:b\`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Parse(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, w.String()); diff != "" {
				t.Errorf("String() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		src, tgt string
		want     bool
	}{
		{"cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*", "cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:x64:*", true},
		{"cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*", "cpe:2.3:o:microsoft:windows_7:-:-:*:*:*:*:*:*", false},
		{"cpe:2.3:o:microsoft:windows_*:*:*:*:*:*:*:*:*", "cpe:2.3:o:microsoft:windows_xp:-:sp3:*:*:*:*:*:*", true},
		{"cpe:2.3:o:windriver:vxworks:6.?:*:*:*:*:*:*:*", "cpe:2.3:o:windriver:vxworks:6.9:*:*:*:*:*:*:*", true},
		{"cpe:2.3:o:windriver:vxworks:6.?:*:*:*:*:*:*:*", "cpe:2.3:o:windriver:vxworks:6.10:*:*:*:*:*:*:*", false},
		{"cpe:2.3:o:bd:alaris:9.33:*:*:*:*:*:*:*", "cpe:2.3:o:bd:alaris:*:*:*:*:*:*:*:*", false},
		{"cpe:2.3:a:x:y:-:*:*:*:*:*:*:*", "cpe:2.3:a:x:y:-:*:*:*:*:*:*:*", true},
	}
	for _, tt := range tests {
		if got := Match(MustParse(tt.src), MustParse(tt.tgt)); got != tt.want {
			t.Errorf("Match(%s, %s) = %v, want %v", tt.src, tt.tgt, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"cpe:2.3:o:bd:alaris_8015_pcu_firmware:*:*:*:*:*:*:*:*", `cpe:2.3:a:foo\:bar:p\*:1.0`, "cpe:2.3:h:*:*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(w.String())
		if err != nil {
			t.Fatalf("re-parse of %q (from %q): %v", w.String(), s, err)
		}
		if again != w {
			t.Fatalf("round trip changed %q: %v vs %v", s, w, again)
		}
		if !Match(w, w) {
			t.Fatalf("%q does not match itself", s)
		}
	})
}
