package smb

import (
	"encoding/binary"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

var _ dissect.TCPDissector = (*Dissector)(nil)

func meta(c2s bool) *dissect.Meta {
	m := &dissect.Meta{
		Time:  time.Unix(1700000000, 0),
		SrcIP: netip.MustParseAddr("10.0.0.2"), DstIP: netip.MustParseAddr("10.0.0.1"),
		SrcPort: 50000, DstPort: 445, Transport: "tcp",
	}
	if !c2s {
		r := m.Reverse()
		return &r
	}
	return m
}

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func u16s(s string) []byte {
	var b []byte
	for _, r := range utf16.Encode([]rune(s)) {
		b = append(b, le16(r)...)
	}
	return b
}

// nbss wraps an SMB message in a NetBIOS session message header.
func nbss(msg []byte) []byte {
	n := len(msg)
	return append([]byte{0, byte(n >> 16), byte(n >> 8), byte(n)}, msg...)
}

func smb2Header(cmd uint16, reply bool, status uint32) []byte {
	h := make([]byte, 64)
	copy(h, "\xfeSMB")
	binary.LittleEndian.PutUint16(h[4:], 64)
	binary.LittleEndian.PutUint32(h[8:], status)
	binary.LittleEndian.PutUint16(h[12:], cmd)
	if reply {
		binary.LittleEndian.PutUint32(h[16:], 1)
	}
	return h
}

func negotiateRequest(dialects ...uint16) []byte {
	body := make([]byte, 36)
	binary.LittleEndian.PutUint16(body[0:], 36)
	binary.LittleEndian.PutUint16(body[2:], uint16(len(dialects)))
	copy(body[12:28], []byte{0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0x34, 0x12, 1, 2, 3, 4, 5, 6, 7, 8})
	for _, d := range dialects {
		body = append(body, le16(d)...)
	}
	return nbss(append(smb2Header(0, false, 0), body...))
}

func negotiateResponse(dialect uint16) []byte {
	body := make([]byte, 65)
	binary.LittleEndian.PutUint16(body[0:], 65)
	binary.LittleEndian.PutUint16(body[4:], dialect)
	body[8] = 0xaa
	return nbss(append(smb2Header(0, true, 0), body...))
}

// ntlmAuthenticate builds an AUTHENTICATE message with a version field.
func ntlmAuthenticate(domain, user, host string) []byte {
	payload := [][]byte{nil, make([]byte, 24), u16s(domain), u16s(user), u16s(host), nil}
	off := 72 + 16 // header, version, MIC
	var hdr, data []byte
	hdr = append(hdr, "NTLMSSP\x00"...)
	hdr = append(hdr, le32(3)...)
	for _, p := range payload {
		hdr = append(hdr, le16(uint16(len(p)))...)
		hdr = append(hdr, le16(uint16(len(p)))...)
		hdr = append(hdr, le32(uint32(off+len(data)))...)
		data = append(data, p...)
	}
	hdr = append(hdr, le32(ntlmFlagUnicode|ntlmFlagVersion)...)
	hdr = append(hdr, 10, 0, 0x5a, 0x29, 0, 0, 0, 15) // 10.0.10586
	hdr = append(hdr, make([]byte, 16)...)
	return append(hdr, data...)
}

func ntlmChallenge(target string, av map[uint16]string) []byte {
	name := u16s(target)
	var info []byte
	for _, id := range []uint16{2, 1, 4, 3} {
		if v, ok := av[id]; ok {
			info = append(info, le16(id)...)
			info = append(info, le16(uint16(len(u16s(v))))...)
			info = append(info, u16s(v)...)
		}
	}
	info = append(info, 0, 0, 0, 0)
	var b []byte
	b = append(b, "NTLMSSP\x00"...)
	b = append(b, le32(2)...)
	b = append(b, le16(uint16(len(name)))...)
	b = append(b, le16(uint16(len(name)))...)
	b = append(b, le32(56)...)
	b = append(b, le32(ntlmFlagUnicode|ntlmFlagVersion)...)
	b = append(b, make([]byte, 16)...) // challenge, reserved
	b = append(b, le16(uint16(len(info)))...)
	b = append(b, le16(uint16(len(info)))...)
	b = append(b, le32(uint32(56+len(name)))...)
	b = append(b, 6, 3, 0x80, 0x25, 0, 0, 0, 15) // 6.3.9600
	b = append(b, name...)
	return append(b, info...)
}

func sessionSetup(reply bool, status uint32, blob []byte) []byte {
	var body []byte
	if reply {
		body = append(le16(9), 0, 0)
		body = append(body, le16(64+8)...)
		body = append(body, le16(uint16(len(blob)))...)
	} else {
		body = append(le16(25), 0, 1)
		body = append(body, make([]byte, 8)...)
		body = append(body, le16(64+24)...)
		body = append(body, le16(uint16(len(blob)))...)
		body = append(body, make([]byte, 8)...)
	}
	return nbss(append(append(smb2Header(1, reply, status), body...), blob...))
}

// smb1SessionSetupUnicode builds an SMB1 extended-security session setup
// request whose strings need alignment padding.
func smb1SessionSetupUnicode(blob []byte, os, lanman string) []byte {
	h := make([]byte, 32)
	copy(h, "\xffSMB")
	h[4] = 0x73
	binary.LittleEndian.PutUint16(h[10:], flags2Unicode)
	words := make([]byte, 24)
	words[0] = 0xff
	binary.LittleEndian.PutUint16(words[14:], uint16(len(blob)))
	data := append([]byte(nil), blob...)
	if (32+1+24+2+len(blob))%2 == 1 {
		data = append(data, 0)
	}
	data = append(data, u16s(os)...)
	data = append(data, 0, 0)
	data = append(data, u16s(lanman)...)
	data = append(data, 0, 0)
	msg := append(h, 12)
	msg = append(msg, words...)
	msg = append(msg, le16(uint16(len(data)))...)
	msg = append(msg, data...)
	return nbss(msg)
}

type seg struct {
	c2s  bool
	data []byte
}

func feed(segs []seg, step int) ([]map[string]string, bool) {
	s := New().NewStream()
	var c observe.Collector
	done := false
	for _, g := range segs {
		for p := g.data; len(p) > 0 && !done; {
			n := min(step, len(p))
			done = s.Data(meta(g.c2s), g.c2s, p[:n], &c)
			p = p[n:]
		}
	}
	var out []map[string]string
	for _, o := range c.Obs {
		m := map[string]string{}
		for _, f := range o.Fields {
			m[f.Key] = f.Value
		}
		out = append(out, m)
	}
	return out, done
}

func TestSMB2Conversation(t *testing.T) {
	segs := []seg{
		{true, negotiateRequest(0x0202, 0x0210, 0x0300, 0x0302, 0x0311)},
		{false, negotiateResponse(0x0311)},
		{false, []byte{0x85, 0, 0, 0}}, // NetBIOS keepalive in between
		{false, sessionSetup(true, statusMoreProcessing, append([]byte{0xa1, 0x81, 0x30}, ntlmChallenge("PUMPSRV", map[uint16]string{1: "PUMPSRV", 2: "MED", 3: "pumpsrv.med.local", 4: "med.local"})...))},
		{true, sessionSetup(false, 0, ntlmAuthenticate("MED", "alice", "NURSE-WS-7"))},
		{false, sessionSetup(true, 0, nil)},
		{true, negotiateRequest(0x0311)}, // after done: ignored
	}
	want := []map[string]string{
		{"smb.version": "2", "smb.dialects_offered": "2.0.2,2.1,3.0,3.0.2,3.1.1", "smb.client_guid": "12345678-1234-1234-0102-030405060708"},
		{"smb.version": "2", "smb.dialect": "3.1.1", "smb.server_guid": "000000aa-0000-0000-0000-000000000000"},
		{"smb.version": "2", "smb.ntlm_message": "challenge", "smb.ntlm_target_name": "PUMPSRV", "smb.ntlm_version": "6.3.9600",
			"smb.server_nb_name": "PUMPSRV", "smb.server_nb_domain": "MED", "smb.server_dns_name": "pumpsrv.med.local",
			"smb.server_dns_domain": "med.local", "smb.server_name": "pumpsrv.med.local"},
		{"smb.version": "2", "smb.ntlm_message": "authenticate", "smb.ntlm_domain": "MED", "smb.ntlm_hostname": "NURSE-WS-7", "smb.ntlm_version": "10.0.10586"},
	}
	for _, step := range []int{1 << 20, 1, 3} {
		got, done := feed(segs, step)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("step %d (-want +got):\n%s", step, diff)
		}
		if !done {
			t.Errorf("step %d: not done after the session was set up", step)
		}
		for _, o := range got {
			for k, v := range o {
				if strings.Contains(v, "alice") {
					t.Errorf("user name leaked in %s", k)
				}
			}
		}
	}
}

func TestSMB1UnicodeSessionSetup(t *testing.T) {
	for _, blobLen := range []int{0, 1, 2} {
		got, _ := feed([]seg{{true, smb1SessionSetupUnicode(make([]byte, blobLen), "Windows 5.1", "Windows 2000 LAN Manager")}}, 1<<20)
		want := []map[string]string{{"smb.version": "1", "smb.smbv1": "true", "smb.native_os": "Windows 5.1", "smb.native_lanman": "Windows 2000 LAN Manager"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("blob %d (-want +got):\n%s", blobLen, diff)
		}
	}
}

func TestAppendDialect(t *testing.T) {
	for v, want := range map[uint16]string{0x0202: "2.0.2", 0x0210: "2.1", 0x0300: "3.0", 0x0302: "3.0.2", 0x0311: "3.1.1", 0x02ff: "2.???"} {
		if got := string(appendDialect(nil, v)); got != want {
			t.Errorf("%#04x: %q, want %q", v, got, want)
		}
	}
}

func TestMatchTCP(t *testing.T) {
	d := New()
	tests := []struct {
		p          []byte
		sport, dpt uint16
		want       bool
	}{
		{negotiateRequest(0x0202), 50000, 445, true},
		{negotiateRequest(0x0202), 50000, 8445, true},
		{smb1SessionSetupUnicode(nil, "a", "b"), 1, 2, true},
		{[]byte{0x81, 0, 0, 0x44}, 50000, 139, true},
		{[]byte{0x81, 0, 0, 0x44}, 50000, 445, false},
		{[]byte("GET / HTTP/1.1\r\n"), 50000, 445, false},
		{[]byte{0, 0, 0, 4, 0xfe, 'S', 'M'}, 50000, 445, false},
	}
	for i, tt := range tests {
		if got := d.MatchTCP(tt.sport, tt.dpt, true, tt.p); got != tt.want {
			t.Errorf("case %d: %v, want %v", i, got, tt.want)
		}
	}
}

func TestNotNetBIOS(t *testing.T) {
	got, done := feed([]seg{{true, []byte("\x16\x03\x01garbage")}, {false, []byte("\x17more")}}, 1<<20)
	if len(got) != 0 || !done {
		t.Errorf("got %v, done %v", got, done)
	}
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"smb-smb1-ascii.pcap", "smbv1.pcap", "wireshark-smb-on-windows10.pcap", "smb-smbclient.pcap"} {
		t.Run(name, func(t *testing.T) {
			var obs []observe.Observation
			for _, fo := range dissecttest.RunChecked(t, filepath.Join("testdata", name), New()) {
				obs = append(obs, fo.Obs)
			}
			if len(obs) == 0 {
				t.Fatal("no observations")
			}
			testutil.Golden(t, "TestGolden_"+name, obs)
		})
	}
}

// readStream is a stream in the middle of a large READ response, which is
// stepped over unbuffered.
func readStream(t testing.TB) (*stream, []byte) {
	s := New().NewStream().(*stream)
	var c observe.Collector
	s.Data(meta(true), true, negotiateRequest(0x0311), &c)
	s.Data(meta(false), false, []byte{0, 0x10, 0, 0}, &c) // a 1 MiB message starts
	if len(c.Obs) != 1 || !s.dir[1].skip {
		t.Fatalf("setup: %d observations, skip %v", len(c.Obs), s.dir[1].skip)
	}
	return s, make([]byte, 1400)
}

func TestBulkAllocatesNothing(t *testing.T) {
	s, data := readStream(t)
	e := observe.EmitterFunc(func(*observe.Observation) { t.Fatal("unexpected observation") })
	m := meta(false)
	if n := testing.AllocsPerRun(500, func() { s.Data(m, false, data, e) }); n != 0 {
		t.Errorf("file data allocates %v times per call", n)
	}
}

func BenchmarkBulk(b *testing.B) {
	s, data := readStream(b)
	e := observe.EmitterFunc(func(*observe.Observation) {})
	m := meta(false)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		s.dir[1].left = 1 << 20 // stay inside the large message
		s.Data(m, false, data, e)
	}
}

// TestSMB1PlainSessionSetup covers a non-extended-security (wc=13) request:
// the account name sits before the domain and must never be reported.
func TestSMB1PlainSessionSetup(t *testing.T) {
	h := make([]byte, 32)
	copy(h, "\xffSMB")
	h[4] = 0x73
	binary.LittleEndian.PutUint16(h[10:], flags2Unicode)
	words := make([]byte, 26)
	words[0] = 0xff
	binary.LittleEndian.PutUint16(words[14:], 24) // OEM password length
	binary.LittleEndian.PutUint16(words[16:], 24) // Unicode password length
	data := make([]byte, 48)
	if (32+1+26+2+48)%2 == 1 {
		data = append(data, 0)
	}
	for _, s := range []string{"alice", "HOSPITAL", "Windows XP 2600", "Windows 2000 LAN Manager"} {
		data = append(data, u16s(s)...)
		data = append(data, 0, 0)
	}
	msg := append(h, 13)
	msg = append(msg, words...)
	msg = append(msg, le16(uint16(len(data)))...)
	msg = append(msg, data...)
	got, _ := feed([]seg{{true, nbss(msg)}}, 1<<20)
	want := []map[string]string{{"smb.version": "1", "smb.smbv1": "true", "smb.primary_domain": "HOSPITAL",
		"smb.native_os": "Windows XP 2600", "smb.native_lanman": "Windows 2000 LAN Manager"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
