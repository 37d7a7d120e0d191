package rdp

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// stdCapture is xrdp 0.9.21 with security_layer=rdp and FreeRDP 2.11 run
// with /sec:rdp /client-hostname:WARDTESTPC /u:canaryuser /p:canarypass
// (testdata/README.md); the .oracle.tsv beside it is tshark 4.0's reading.
const stdCapture = "xrdp_freerdp_stdsec"

var stdWant = []map[string]string{
	{"rdp.message": "connection_request", "rdp.requested_protocols": "rdp"},
	{"rdp.message": "connection_confirm", "rdp.selected_protocol": "rdp", "rdp.negotiation": "none"},
	{"rdp.message": "mcs_connect_initial", "rdp.client_version": "10.7", "rdp.client_build": "18363", "rdp.client_name": "WARDTESTPC", "rdp.keyboard_layout": "0x0409"},
	{"rdp.message": "mcs_connect_response", "rdp.server_version": "5.0-8.1"},
}

func TestStandardSecurityCapture(t *testing.T) {
	path := filepath.Join("testdata", stdCapture+".pcap")
	var obs []observe.Observation
	for _, f := range dissecttest.RunCarrying(t, path, New(), "tls") {
		obs = append(obs, f.Obs)
	}
	testutil.Golden(t, stdCapture, obs)
	if diff := cmp.Diff(stdWant, dissecttest.FieldMaps(obs)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	// Neither the cookie's user name nor the credentials typed in the client.
	dissecttest.NoCanary(t, obs, "canaryuser", "canarypass", "mstshash")

	// tshark's reading of the same frames.
	d := New()
	checked := 0
	for _, row := range dissecttest.ReadOracle(t, filepath.Join("testdata", stdCapture+".oracle.tsv")) {
		port := dissecttest.First(row["tcp.srcport"])
		var o *observe.Observation
		for i := range obs {
			if strconv.Itoa(int(obs[i].SrcPort)) == port && strings.HasPrefix(dissecttest.FieldMap(obs[i])["rdp.message"], "mcs_") {
				o = &obs[i]
			}
		}
		if o == nil {
			t.Fatalf("no MCS observation from port %s", port)
		}
		major, _ := strconv.Atoi(dissecttest.First(row["rdp.version.major"]))
		minor, _ := strconv.Atoi(dissecttest.First(row["rdp.version.minor"]))
		version := d.version(uint32(minor)<<16 | uint32(major)) // tshark splits the 32-bit field in two
		want := map[string]string{"rdp.server_version": version}
		if name := dissecttest.First(row["rdp.client.name"]); name != "" {
			layout, _ := strconv.Atoi(dissecttest.First(row["rdp.keyboardLayout"]))
			want = map[string]string{
				"rdp.client_name":     name,
				"rdp.client_build":    dissecttest.First(row["rdp.client.build"]),
				"rdp.client_version":  version,
				"rdp.keyboard_layout": string(hex(nil, uint32(layout))),
			}
		}
		for k, theirs := range want {
			if ours, _ := o.Get(k); ours != theirs {
				t.Errorf("port %s %s: ours %q, tshark %q", port, k, ours, theirs)
			}
			checked++
		}
	}
	if checked != 5 {
		t.Errorf("%d fields compared with tshark, want 5", checked)
	}
}

// TestStandardSecurityLikeFresh: the name and number caches carry nothing
// from one connection to the next.
func TestStandardSecurityLikeFresh(t *testing.T) {
	newD := func() dissect.TCPDissector { return New() }
	finished, n := dissecttest.AssertTCPLikeFresh(t, newD, meta, 3, filepath.Join("testdata", stdCapture+".pcap"))
	if finished != 3*n {
		t.Errorf("%d of %d replays finished: the stream should stop after the MCS connect exchange", finished, 3*n)
	}
}

// --- hand-built PDUs (MS-RDPBCGR 2.2.1.3, 2.2.1.4; T.125; T.124) ---------

func berTLV(tag int, parts ...[]byte) []byte {
	v := bytes.Join(parts, nil)
	var b []byte
	if tag > 0xff {
		b = append(b, byte(tag>>8))
	}
	b = append(b, byte(tag))
	if len(v) < 0x80 {
		b = append(b, byte(len(v)))
	} else {
		b = append(b, 0x82, byte(len(v)>>8), byte(len(v)))
	}
	return append(b, v...)
}

func perLen(n int) []byte {
	if n < 0x80 {
		return []byte{byte(n)}
	}
	return []byte{0x80 | byte(n>>8), byte(n)}
}

// x224Data wraps an MCS PDU in TPKT and an X.224 Data TPDU.
func x224Data(mcs []byte) []byte {
	p := []byte{3, 0, 0, 0, 2, x224DT, 0x80}
	binary.BigEndian.PutUint16(p[2:], uint16(7+len(mcs)))
	return append(p, mcs...)
}

var domainParams = berTLV(0x30, berTLV(2, []byte{0x22}), berTLV(2, []byte{2}), berTLV(2, []byte{0}), berTLV(2, []byte{1}),
	berTLV(2, []byte{0}), berTLV(2, []byte{1}), berTLV(2, []byte{0, 0xff, 0xff}), berTLV(2, []byte{2}))

// connectInitial is a client's MCS Connect Initial with its GCC Conference
// Create Request carrying blocks.
func connectInitial(blocks ...[]byte) []byte {
	ud := bytes.Join(blocks, nil)
	ccr := append([]byte{0, 8, 0, 0x10, 0, 1, 0xc0, 0}, keyClient...)
	ccr = append(append(ccr, perLen(len(ud))...), ud...)
	gcc := append(append([]byte{0, 5, 0, 0x14, 0x7c, 0, 1}, perLen(len(ccr))...), ccr...)
	return x224Data(berTLV(tagConnectInitial, berTLV(4, []byte{1}), berTLV(4, []byte{1}), berTLV(1, []byte{0xff}),
		domainParams, domainParams, domainParams, berTLV(4, gcc)))
}

// connectResponse is a server's MCS Connect Response whose GCC Conference
// Create Response carries blocks.
func connectResponse(blocks ...[]byte) []byte {
	ud := bytes.Join(blocks, nil)
	ccr := append([]byte{0x14, 0x76, 0x0a, 1, 1, 0, 1, 0xc0, 0}, keyServer...)
	ccr = append(append(ccr, perLen(len(ud))...), ud...)
	gcc := append(append([]byte{0, 5, 0, 0x14, 0x7c, 0, 1}, perLen(len(ccr))...), ccr...)
	return x224Data(berTLV(tagConnectResponse, berTLV(0x0a, []byte{0}), berTLV(2, []byte{0}), domainParams, berTLV(4, gcc)))
}

func le16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func le32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }

// utf16z is s in UTF-16LE, NUL-padded or cut to size bytes.
func utf16z(s string, size int) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = le16(b, u)
	}
	b = append(b, make([]byte, size)...)
	return b[:size]
}

// clientCore is a TS_UD_CS_CORE block with every optional field up to
// connectionType; dig goes in clientDigProductId.
func clientCore(version, build, layout uint32, name []byte, dig string) []byte {
	b := le16(le16(nil, csCore), 0)
	b = le32(b, version)
	b = le16(le16(b, 1280), 1024)     // desktop
	b = le16(le16(b, 0xca01), 0xaa03) // colorDepth, SASSequence
	b = le32(le32(b, layout), build)
	b = append(b, name...)
	b = le32(le32(le32(b, 4), 0), 12)  // keyboard type, subtype, function keys
	b = append(b, make([]byte, 64)...) // imeFileName
	b = le16(le16(b, 0xca01), 1)       // postBeta2ColorDepth, clientProductId
	b = le32(b, 0x5e7a1)               // serialNumber
	b = le16(le16(le16(b, 24), 0xf), 0x1)
	b = append(b, utf16z(dig, 64)...)
	b = append(b, 7, 0)
	b = le32(b, 0) // serverSelectedProtocol
	binary.LittleEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

func serverCore(version uint32) []byte {
	return le32(le32(le16(le16(nil, scCore), 12), version), 0)
}

// clusterBlock and securityBlock surround the core block in the order
// FreeRDP sends them, so that the walk over blocks is exercised.
var (
	securityBlock = le32(le32(le16(le16(nil, 0xC002), 12), 0x1b), 0)
	clusterBlock  = le32(le32(le16(le16(nil, 0xC004), 12), 0xd), 0)
	cookie        = []byte("Cookie: mstshash=canaryuser\r\n")
)

func stdExchange(core []byte) (c2s, s2c []byte) {
	c2s = append(tpkt(x224CR, cookie), connectInitial(core, clusterBlock, securityBlock)...)
	s2c = append(tpkt(x224CC, nil), connectResponse(serverCore(0x00080004))...)
	return c2s, s2c
}

// feed delivers the negotiation, then the client's Connect Initial, then
// the server's Connect Response, each PDU in the pieces cut gives it.
func feed(t *testing.T, d *Dissector, cr, cc, ci, cresp []byte, cut func([]byte) [][]byte) ([]observe.Observation, bool) {
	t.Helper()
	s := d.NewStream()
	var c observe.Collector
	for _, step := range []struct {
		c2s bool
		p   []byte
	}{{true, cr}, {false, cc}, {true, ci}, {false, cresp}} {
		for _, piece := range cut(step.p) {
			if s.Data(meta(step.c2s), step.c2s, piece, &c) {
				return c.Obs, true
			}
		}
	}
	return c.Obs, false
}

func whole(p []byte) [][]byte { return [][]byte{p} }

func TestClientCore(t *testing.T) {
	name := func(s string) []byte { return utf16z(s, coreNameSize) }
	raw := func(us ...uint16) []byte {
		var b []byte
		for _, u := range us {
			b = le16(b, u)
		}
		return append(b, make([]byte, coreNameSize)...)[:coreNameSize]
	}
	for _, tc := range []struct {
		name string
		core []byte
		want map[string]string
	}{
		{
			name: "Windows XP mstsc",
			core: clientCore(0x00080004, 2600, 0x0407, name("STATION-ECHO2"), "canary-product-id"),
			want: map[string]string{"rdp.client_version": "5.0-8.1", "rdp.client_build": "2600", "rdp.client_name": "STATION-ECHO2", "rdp.keyboard_layout": "0x0407"},
		},
		{
			name: "RDP 4.0 client, US-Dvorak layout",
			core: clientCore(0x00080001, 1381, 0x00010409, name("NT4BOX"), ""),
			want: map[string]string{"rdp.client_version": "4.0", "rdp.client_build": "1381", "rdp.client_name": "NT4BOX", "rdp.keyboard_layout": "0x00010409"},
		},
		{
			name: "unknown version, no build, no layout",
			core: clientCore(0x000800ff, 0, 0, name("X"), ""),
			want: map[string]string{"rdp.client_version": "0x000800ff", "rdp.client_name": "X"},
		},
		{
			name: "16 characters fill the field without a NUL",
			core: clientCore(0x00080005, 7601, 0x0409, name("ABCDEFGHIJKLMNOPQRS"), ""),
			want: map[string]string{"rdp.client_version": "10.0", "rdp.client_build": "7601", "rdp.client_name": "ABCDEFGHIJKLMNOP", "rdp.keyboard_layout": "0x0409"},
		},
		{
			name: "non-ASCII names are decoded; controls, lone surrogates and what follows the NUL are not",
			core: clientCore(0x0008000c, 19045, 0x0407, raw('P', 0xC4, 7, '-', 0xD83D, 0xDE91, ' ', 0xDC00, 'X', 0, 'Z', 'Z'), ""),
			want: map[string]string{"rdp.client_version": "10.7", "rdp.client_build": "19045", "rdp.client_name": "PÄ-\U0001F691 X", "rdp.keyboard_layout": "0x0407"},
		},
		{
			name: "a name of spaces and controls is no name",
			core: clientCore(0x00080004, 2600, 0x0409, raw(' ', 1, 0x7f, 0x85, ' '), ""),
			want: map[string]string{"rdp.client_version": "5.0-8.1", "rdp.client_build": "2600", "rdp.keyboard_layout": "0x0409"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c2s, s2c := stdExchange(tc.core)
			cr := tpkt(x224CR, cookie)
			obs, done := feed(t, New(), cr, tpkt(x224CC, nil), c2s[len(cr):], s2c[11:], whole)
			if !done {
				t.Error("not done after the MCS connect exchange")
			}
			want := map[string]string{"rdp.message": "mcs_connect_initial"}
			for k, v := range tc.want {
				want[k] = v
			}
			got := dissecttest.FieldMaps(obs)
			if len(got) != 4 {
				t.Fatalf("%d observations: %v", len(got), got)
			}
			if diff := cmp.Diff(want, got[2]); diff != "" {
				t.Errorf("client (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]string{"rdp.message": "mcs_connect_response", "rdp.server_version": "5.0-8.1"}, got[3]); diff != "" {
				t.Errorf("server (-want +got):\n%s", diff)
			}
			if obs[2].SrcPort != 50000 || obs[3].SrcPort != 3389 {
				t.Errorf("sides: client observation from %d, server's from %d", obs[2].SrcPort, obs[3].SrcPort)
			}
			for _, o := range obs {
				for _, f := range o.Fields {
					if !utf8.ValidString(f.Value) {
						t.Errorf("%s: invalid UTF-8 %q", f.Key, f.Value)
					}
				}
			}
			dissecttest.NoCanary(t, obs, "canary", strconv.Itoa(0x5e7a1)) // the product ID, the serial number
		})
	}
}

// TestSecuritySelection: only standard RDP security, negotiated or not,
// leaves the MCS connect PDUs in cleartext. When the server selects TLS the
// client's next bytes are a TLS handshake: an MCS PDU there (which a real
// client would not send) is never read as one.
func TestSecuritySelection(t *testing.T) {
	core := clientCore(0x00080004, 2600, 0x0409, utf16z("RAD-WS3", coreNameSize), "")
	ci, cresp := connectInitial(core), connectResponse(serverCore(0x00080004))
	for _, tc := range []struct {
		name     string
		cr, cc   []byte
		mcs      bool
		selected string
	}{
		{"no negotiation", tpkt(x224CR, nil), tpkt(x224CC, nil), true, "rdp"},
		{"standard security negotiated", tpkt(x224CR, block(negReq, 0)), tpkt(x224CC, block(negRsp, 0)), true, "rdp"},
		{"client offers TLS, server picks standard security", tpkt(x224CR, block(negReq, 3)), tpkt(x224CC, block(negRsp, 0)), true, "rdp"},
		{"TLS", tpkt(x224CR, block(negReq, 3)), tpkt(x224CC, block(negRsp, 1)), false, "ssl"},
		{"CredSSP", tpkt(x224CR, block(negReq, 3)), tpkt(x224CC, block(negRsp, 2)), false, "hybrid"},
		{"refused", tpkt(x224CR, block(negReq, 0)), tpkt(x224CC, block(negFailure, 2)), false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs, _ := feed(t, New(), tc.cr, tc.cc, ci, cresp, whole)
			var mcs int
			for _, o := range obs {
				if o.Protocol != "rdp" {
					continue
				}
				m := dissecttest.FieldMap(o)
				if strings.HasPrefix(m["rdp.message"], "mcs_") {
					mcs++
				}
				if m["rdp.message"] == "connection_confirm" && m["rdp.selected_protocol"] != tc.selected {
					t.Errorf("selected %q", m["rdp.selected_protocol"])
				}
			}
			if want := map[bool]int{true: 2}[tc.mcs]; mcs != want {
				t.Errorf("%d MCS observations, want %d: %v", mcs, want, dissecttest.FieldMaps(obs))
			}
		})
	}
}

// TestSplitDelivery: the Connect Initial and Response read the same however
// TCP cut them, down to one byte per segment, and also when the client's
// Connect Initial is seen before the server's confirm.
func TestSplitDelivery(t *testing.T) {
	core := clientCore(0x0008000c, 19045, 0x0409, utf16z("ICU-CENTRAL-01", coreNameSize), "")
	cr, cc := tpkt(x224CR, cookie), tpkt(x224CC, nil)
	ci, cresp := connectInitial(core, securityBlock), connectResponse(serverCore(0x00080004))
	want, done := feed(t, New(), cr, cc, ci, cresp, whole)
	if len(want) != 4 || !done {
		t.Fatalf("whole: %d observations, done %v", len(want), done)
	}
	wantMaps := dissecttest.FieldMaps(want)
	check := func(what string, obs []observe.Observation, done bool) {
		t.Helper()
		if diff := cmp.Diff(wantMaps, dissecttest.FieldMaps(obs)); diff != "" || !done {
			t.Errorf("%s: done %v (-want +got):\n%s", what, done, diff)
		}
	}
	d := New() // shared, as on a sensor
	for _, which := range []int{2, 3} {
		for cut := 1; cut < len([][]byte{ci, cresp}[which-2]); cut++ {
			split := func(p []byte) [][]byte {
				if (which == 2 && &p[0] == &ci[0]) || (which == 3 && &p[0] == &cresp[0]) {
					return [][]byte{p[:cut], p[cut:]}
				}
				return [][]byte{p}
			}
			obs, done := feed(t, d, cr, cc, ci, cresp, split)
			check("PDU "+strconv.Itoa(which)+" cut at "+strconv.Itoa(cut), obs, done)
		}
	}
	bytewise := func(p []byte) [][]byte {
		var out [][]byte
		for i := range p {
			out = append(out, p[i:i+1])
		}
		return out
	}
	obs, done := feed(t, d, cr, cc, ci, cresp, bytewise)
	check("one byte per segment", obs, done)

	// The Connect Initial arrives before the confirm is seen.
	s := d.NewStream()
	var c observe.Collector
	s.Data(meta(true), true, cr, &c)
	s.Data(meta(true), true, ci[:100], &c)
	s.Data(meta(true), true, ci[100:], &c)
	s.Data(meta(false), false, cc, &c)
	done = s.Data(meta(false), false, cresp, &c)
	got := dissecttest.FieldMaps(c.Obs)
	if len(got) != 4 || !done || got[2]["rdp.client_name"] != "ICU-CENTRAL-01" || c.Obs[2].SrcPort != 50000 {
		t.Errorf("Connect Initial before the confirm: done %v, %v", done, got)
	}
}

// TestMalformed: truncated, oversized and garbage PDUs yield no MCS
// observation (and no panic), and the stream still ends.
func TestMalformed(t *testing.T) {
	core := clientCore(0x00080004, 2600, 0x0409, utf16z("PACS-VIEW", coreNameSize), "")
	cr, cc := tpkt(x224CR, nil), tpkt(x224CC, nil)
	ci, cresp := connectInitial(core), connectResponse(serverCore(0x00080004))
	mcsCount := func(obs []observe.Observation) int {
		n := 0
		for _, o := range obs {
			if strings.HasPrefix(dissecttest.FieldMap(o)["rdp.message"], "mcs_") {
				n++
			}
		}
		return n
	}
	// Cut short inside a consistent TPKT: every prefix of the PDU is
	// announced as the whole PDU.
	for n := 7; n < len(ci); n++ {
		p := append([]byte(nil), ci[:n]...)
		binary.BigEndian.PutUint16(p[2:], uint16(n))
		obs, _ := feed(t, New(), cr, cc, p, cresp, whole)
		// The BER lengths around the user data overrun it: nothing read,
		// but the server's Response still is.
		if got := mcsCount(obs); got != 1 {
			t.Errorf("prefix %d: %d MCS observations: %v", n, got, dissecttest.FieldMaps(obs))
		}
	}
	// The stream ends before the announced length.
	s := New().NewStream()
	var c observe.Collector
	for _, step := range []struct {
		c2s bool
		p   []byte
	}{{true, cr}, {false, cc}, {true, ci[:len(ci)-1]}, {false, cresp[:20]}} {
		s.Data(meta(step.c2s), step.c2s, step.p, &c)
	}
	s.(dissect.Ender).End(meta(true), &c)
	if mcsCount(c.Obs) != 0 {
		t.Errorf("unfinished PDUs read: %v", dissecttest.FieldMaps(c.Obs))
	}

	huge := append([]byte{3, 0, 0xff, 0xff}, make([]byte, 2000)...)
	bad := func(f func(p []byte)) []byte {
		p := append([]byte(nil), ci...)
		f(p)
		return p
	}
	coreAt := bytes.Index(ci, []byte{0x01, 0xc0})
	for _, tc := range []struct {
		name string
		ci   []byte
	}{
		{"longer than read", huge},
		{"not TPKT", append([]byte("GET / HTTP/1.1\r\n\r\n"), ci...)},
		{"not a Data TPDU", bad(func(p []byte) { p[5] = x224CR })},
		{"not a Connect Initial", bad(func(p []byte) { p[8] = 0x66 })},
		{"BER length past the end", bad(func(p []byte) { p[9], p[10] = 0x84, 0xff })},
		{"no h221 key", bad(func(p []byte) { copy(p[bytes.Index(p, keyClient):], "Xuca") })},
		{"core block length 0", bad(func(p []byte) { p[coreAt+2], p[coreAt+3] = 0, 0 })},
		{"core block longer than the PDU", bad(func(p []byte) { p[coreAt+2], p[coreAt+3] = 0xff, 0x0f })},
		{"core block too short", bad(func(p []byte) { p[coreAt+2], p[coreAt+3] = 40, 0 })},
		{"version is not 0x0008xxxx", bad(func(p []byte) { p[coreAt+6] = 9 })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs, done := feed(t, New(), cr, cc, tc.ci, cresp, whole)
			for _, m := range dissecttest.FieldMaps(obs) {
				if m["rdp.message"] == "mcs_connect_initial" {
					t.Errorf("read: %v", m)
				}
			}
			if !done {
				t.Error("stream not done")
			}
		})
	}
}

// TestNoCredentials: the cookie's user name, the license identifiers of
// the core data and whatever follows the connect exchange (the Client Info
// PDU, here as if it were cleartext) never reach an observation.
func TestNoCredentials(t *testing.T) {
	core := clientCore(0x00080004, 2600, 0x0409, utf16z("WS1", coreNameSize), "canary-dig-product-id")
	c2s, s2c := stdExchange(core)
	info := x224Data(append([]byte{0x64, 0, 3, 3, 0xeb, 0x70, 0x80, 0x40}, utf16z("canaryuser canarypass", 64)...))
	c2s = append(c2s, info...)
	for cut := 0; cut <= len(c2s); cut += 7 {
		s := New().NewStream()
		var c observe.Collector
		if !dissecttest.FeedInTurns(s, meta, true, c2s, s2c, cut, &c) {
			s.(dissect.Ender).End(meta(true), &c)
		}
		dissecttest.NoCanary(t, c.Obs, "canary", "mstshash")
		if len(c.Obs) != 4 {
			t.Errorf("cut %d: %d observations", cut, len(c.Obs))
		}
	}
}

// TestAllocs: reading the core data of a connection allocates nothing once
// its values have been seen (the names and numbers are interned); only the
// stream itself is allocated.
func TestAllocs(t *testing.T) {
	d := New()
	e := observe.EmitterFunc(func(*observe.Observation) {})
	core := clientCore(0x0008000c, 19045, 0x0409, utf16z("ICU-CENTRAL-01", coreNameSize), "")
	cr, cc := tpkt(x224CR, cookie), tpkt(x224CC, nil)
	ci, cresp := connectInitial(core, securityBlock), connectResponse(serverCore(0x00080004))
	mc, ms := meta(true), meta(false)
	replay := func() {
		s := d.NewStream()
		s.Data(mc, true, cr, e)
		s.Data(ms, false, cc, e)
		s.Data(mc, true, ci, e)
		if !s.Data(ms, false, cresp, e) {
			t.Fatal("not done")
		}
	}
	replay()
	if n := testing.AllocsPerRun(100, replay); n > 1 {
		t.Errorf("%.1f allocations per connection, want 1 (the stream)", n)
	}
	if n := testing.AllocsPerRun(100, func() { d.clientCore(mc, ci, e); d.serverCore(ms, cresp, e) }); n != 0 {
		t.Errorf("core data: %.1f allocations", n)
	}
}
