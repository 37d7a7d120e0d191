package nbns

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

var goldens = []string{"arkime_nbns", "eapon1", "dos_win98_smb_netbeui"}

func TestGolden(t *testing.T) {
	for _, name := range goldens {
		t.Run(name, func(t *testing.T) {
			var obs []observe.Observation
			for _, f := range dissecttest.RunCapture(t, filepath.Join("testdata", name+".pcap"), New(), NewBrowser()) {
				obs = append(obs, f.Obs)
			}
			testutil.Golden(t, name, obs)
		})
	}
}

// encode applies first-level encoding to a 15-character name and suffix.
func encode(n string, suffix byte) []byte {
	var raw [16]byte
	copy(raw[:], n+strings.Repeat(" ", 15-len(n)))
	raw[15] = suffix
	out := []byte{32}
	for _, c := range raw {
		out = append(out, 'A'+c>>4, 'A'+c&0xf)
	}
	return append(out, 0)
}

func header(id, flags uint16, qd, an, ns, ar int) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b, id)
	binary.BigEndian.PutUint16(b[2:], flags)
	binary.BigEndian.PutUint16(b[4:], uint16(qd))
	binary.BigEndian.PutUint16(b[6:], uint16(an))
	binary.BigEndian.PutUint16(b[8:], uint16(ns))
	binary.BigEndian.PutUint16(b[10:], uint16(ar))
	return b
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func fields(obs []observe.Observation) []map[string]string {
	var out []map[string]string
	for _, o := range obs {
		m := map[string]string{}
		for _, f := range o.Fields {
			m[f.Key] = f.Value
		}
		out = append(out, m)
	}
	return out
}

func TestDissectUDP(t *testing.T) {
	typeClass := []byte{0, 0x20, 0, 1}
	// RR tail: type NB, class IN, TTL, rdlength 6, flags (group bit), address.
	nb := func(group bool, ip ...byte) []byte {
		f := byte(0)
		if group {
			f = 0x80
		}
		return cat([]byte{0, 0x20, 0, 1, 0, 0x04, 0x93, 0xe0, 0, 6, f, 0}, ip)
	}
	status := cat(header(1, 0x8400, 0, 1, 0, 0), encode("*\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 0),
		[]byte{0, 0x21, 0, 1, 0, 0, 0, 0, 0, 65, 2},
		[]byte("PUMP-0042      \x00"), []byte{0x04, 0x00},
		[]byte("HOSPITAL       \x00"), []byte{0x84, 0x00},
		[]byte{0x00, 0x1b, 0x4f, 0x0a, 0x0b, 0x0c}, make([]byte, 65-1-36-6))
	tests := []struct {
		name    string
		msg     []byte
		want    []map[string]string
		wantErr error
	}{
		{
			name: "query for a domain controller names the target",
			msg:  cat(header(1, 0x0110, 1, 0, 0, 0), encode("OZI", 0x1c), typeClass),
			want: []map[string]string{{"nbns.name": "OZI", "nbns.suffix": "1c", "nbns.type": "domain_controller", "nbns.opcode": "query", "nbns.message": "request"}},
		},
		{
			name: "group registration with compression pointer",
			msg:  cat(header(2, 0x2910, 1, 0, 0, 1), encode("WORKGROUP", 0), typeClass, []byte{0xc0, 0x0c}, nb(true, 192, 168, 1, 9)),
			want: []map[string]string{{
				"nbns.name": "WORKGROUP", "nbns.suffix": "00", "nbns.type": "domain", "nbns.group": "true",
				"nbns.opcode": "registration", "nbns.message": "request", "nbns.address": "192.168.1.9",
			}},
		},
		{
			name: "positive query response",
			msg:  cat(header(3, 0x8500, 0, 1, 0, 0), encode("PACS01", 0x20), nb(false, 10, 0, 0, 7)),
			want: []map[string]string{{
				"nbns.name": "PACS01", "nbns.suffix": "20", "nbns.type": "server", "nbns.group": "false",
				"nbns.opcode": "query", "nbns.message": "response", "nbns.address": "10.0.0.7",
			}},
		},
		{
			name: "node status response lists the responder's names and MAC",
			msg:  status,
			want: []map[string]string{
				{"nbns.name": "*", "nbns.suffix": "00", "nbns.type": "workstation", "nbns.opcode": "query", "nbns.message": "response", "nbns.mac": "00:1b:4f:0a:0b:0c"},
				{"nbns.name": "PUMP-0042", "nbns.suffix": "00", "nbns.type": "workstation", "nbns.group": "false", "nbns.message": "node_status"},
				{"nbns.name": "HOSPITAL", "nbns.suffix": "00", "nbns.type": "domain", "nbns.group": "true", "nbns.message": "node_status"},
			},
		},
		{
			name: "control bytes shown as Wireshark does",
			msg:  cat(header(4, 0x0110, 1, 0, 0, 0), encode("\x01\x02__MSBROWSE__\x02", 0x01), typeClass),
			want: []map[string]string{{"nbns.name": "<01><02>__MSBROWSE__<02>", "nbns.suffix": "01", "nbns.type": "master_browser", "nbns.opcode": "query", "nbns.message": "request"}},
		},
		{name: "bad encoding", msg: cat(header(5, 0, 1, 0, 0, 0), []byte{32}, []byte(strings.Repeat("Z", 32)), []byte{0}, typeClass), wantErr: dissect.ErrMalformed},
		{name: "pointer loop", msg: cat(header(6, 0x8500, 0, 1, 0, 0), []byte{0xc0, 0x0c}), wantErr: dissect.ErrMalformed},
		{name: "absurd counts", msg: header(7, 0, 500, 0, 0, 0), wantErr: dissect.ErrMalformed},
		{name: "short", msg: []byte{1, 2, 3}, wantErr: dissect.ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c observe.Collector
			err := New().DissectUDP(&dissect.Meta{}, tc.msg, &c)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, fields(c.Obs)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

var tsharkName = regexp.MustCompile(`^(.*)<([0-9a-f]{2})>(?: \(.*\))?$`)

// normName turns tshark's "NAME<20> (Server service)" into "NAME<20>",
// dropping the <00> padding Wireshark prints for NUL-padded names.
func normName(s string) string {
	m := tsharkName.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	n := m[1]
	for strings.HasSuffix(n, "<00>") {
		n = strings.TrimSuffix(n, "<00>")
	}
	return strings.TrimRight(n, " ") + "<" + m[2] + ">"
}

// TestOracle compares names and browser fields with tshark.
func TestOracle(t *testing.T) {
	dir := testutil.SharedData(t, "pcaps")
	a := dissecttest.NewAgreement()
	for _, rel := range []string{"arkime/nbns.pcap", "ndpi/netbios.pcap", "ndpi/dos_win98_smb_netbeui.pcap", "tcpdump/eapon1.pcap"} {
		path := filepath.Join(dir, rel)
		want := dissecttest.Oracle(t, path)
		got := map[int]observe.Observation{}
		for _, f := range dissecttest.RunCapture(t, path, New(), NewBrowser()) {
			if _, ok := got[f.Frame]; !ok {
				got[f.Frame] = f.Obs
			}
		}
		for frame, row := range want {
			o, emitted := got[frame]
			if th, ok := row["nbns.name"]; ok {
				a.Check(rel+" nbns frames", frame, boolStr(emitted && o.Protocol == "nbns"), "true", "")
				n, _ := o.Get("nbns.name")
				s, _ := o.Get("nbns.suffix")
				a.Check(rel+" nbns.name+suffix", frame, n+"<"+s+">", normName(th[0]), "")
			}
			if th, ok := row["browser.server"]; ok {
				key := "browser.server"
				if cmd, _ := o.Get("browser.command"); cmd == "domain_announcement" {
					key = "browser.domain" // Ward names a domain announcement's "server" for what it is
				}
				ours, _ := o.Get(key)
				a.Check(rel+" browser.server", frame, ours, th[0], "")
				if maj, ok := row["browser.os_major"]; ok && key == "browser.server" {
					v, _ := o.Get("browser.os_version")
					a.Check(rel+" browser.os_version", frame, v, maj[0]+"."+row["browser.os_minor"][0], "")
				}
				if c, ok := row["browser.comment"]; ok && key == "browser.server" {
					v, _ := o.Get("browser.comment")
					a.Check(rel+" browser.comment", frame, v, c[0], "")
				}
			}
		}
	}
	a.Report(t)
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestNoAllocWithoutObservation(t *testing.T) {
	d, br := New(), NewBrowser()
	m := &dissect.Meta{}
	e := observe.EmitterFunc(func(*observe.Observation) {})
	bad := [][]byte{nil, {1, 2, 3}, header(7, 0, 500, 0, 0, 0), cat(header(6, 0x8500, 0, 1, 0, 0), []byte{0xc0, 0x0c})}
	for _, p := range bad {
		if n := testing.AllocsPerRun(100, func() { _ = d.DissectUDP(m, p, e) }); n != 0 {
			t.Errorf("nbns %x: %.0f allocs, want 0", p, n)
		}
		if n := testing.AllocsPerRun(100, func() { _ = br.DissectUDP(m, p, e) }); n != 0 {
			t.Errorf("browser %x: %.0f allocs, want 0", p, n)
		}
	}
	// Browser datagrams that are not announcements (e.g. backup list
	// requests) yield nothing and must cost nothing.
	for f, p := range dissecttest.MatchedUDPPayloads(t, filepath.Join("testdata", "arkime_nbns.pcap"), br.MatchUDP) {
		var c observe.Collector
		_ = br.DissectUDP(m, p, &c)
		if len(c.Obs) > 0 {
			continue
		}
		if n := testing.AllocsPerRun(50, func() { _ = br.DissectUDP(m, p, e) }); n != 0 {
			t.Errorf("browser frame %d: %.0f allocs, want 0", f, n)
		}
	}
}

func BenchmarkDissectUDP(b *testing.B) {
	var p []byte
	for _, pl := range dissecttest.MatchedUDPPayloads(b, filepath.Join("testdata", "arkime_nbns.pcap"), New().MatchUDP) {
		if len(pl) > len(p) {
			p = pl
		}
	}
	d := New()
	m := &dissect.Meta{}
	e := observe.EmitterFunc(func(*observe.Observation) {})
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		_ = d.DissectUDP(m, p, e)
	}
}
