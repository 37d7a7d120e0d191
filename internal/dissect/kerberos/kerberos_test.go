package kerberos

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// The captures were made by testdata/capture-kerberos.sh: MIT's kinit and
// kvno against a throwaway MIT KDC, over UDP and over TCP. CANARY.NURSE is
// the user (the canary); WS01$ and host/ct-console.hospital.test are
// machines.
const (
	udpCapture = "mit_kdc_udp"
	tcpCapture = "mit_kdc_tcp"
	// sharedCapture is a Windows XP client and an Ubuntu host of two AD
	// domains asking for service tickets (nDPI's test capture).
	sharedCapture = "ndpi/kerberos-login.pcap"
	sharedName    = "ndpi_kerberos_login"
)

var meta = dissecttest.TCPMeta(50000, Port)

func newUDP() dissect.UDPDissector { return New() }
func newTCP() dissect.TCPDissector { return New() }

func run(t *testing.T, path string) []observe.Observation {
	t.Helper()
	var obs []observe.Observation
	for _, f := range dissecttest.RunChecked(t, path, New()) {
		obs = append(obs, f.Obs)
	}
	return obs
}

func sharedPath(t *testing.T) string {
	t.Helper()
	return filepath.Join(testutil.SharedData(t, "pcaps"), sharedCapture)
}

// Common values of the MIT captures.
const (
	realm   = "HOSPITAL.TEST"
	mitList = "18,17,20,19,16,23,25,26" // MIT 1.20's default list, RC4 included
)

func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		want []map[string]string
	}{
		{
			name: udpCapture,
			want: []map[string]string{
				// kinit -k WS01$: the machine account, no pre-authentication.
				{"kerberos.message": "as_req", "kerberos.realm": realm, "kerberos.principal_type": "machine", "kerberos.hostname": "WS01", "kerberos.etypes": "18,17,23,20,19,16,25,26", "kerberos.weak_etypes": "rc4"},
				{"kerberos.message": "as_rep", "kerberos.role": "kdc", "kerberos.realm": realm, "kerberos.client_hostname": "WS01", "kerberos.ticket_etype": "18"},
				// kvno: the TGS-REQ's client is in the (encrypted) authenticator.
				{"kerberos.message": "tgs_req", "kerberos.realm": realm, "kerberos.etypes": mitList, "kerberos.weak_etypes": "rc4"},
				{"kerberos.message": "tgs_rep", "kerberos.role": "kdc", "kerberos.realm": realm, "kerberos.client_hostname": "WS01", "kerberos.ticket_etype": "18"},
				// kinit -k host/ct-console..., offering AES256 and RC4 only.
				{"kerberos.message": "as_req", "kerberos.realm": realm, "kerberos.principal_type": "machine", "kerberos.hostname": "ct-console.hospital.test", "kerberos.etypes": "18,23", "kerberos.weak_etypes": "rc4"},
				{"kerberos.message": "as_rep", "kerberos.role": "kdc", "kerberos.realm": realm, "kerberos.client_hostname": "ct-console.hospital.test", "kerberos.ticket_etype": "18"},
				// kinit CANARY.NURSE with a wrong password.
				{"kerberos.message": "as_req", "kerberos.realm": realm, "kerberos.principal_type": "user", "kerberos.etypes": mitList, "kerberos.weak_etypes": "rc4"},
				{"kerberos.message": "krb_error", "kerberos.role": "kdc", "kerberos.error_code": "25", "kerberos.realm": realm},
				{"kerberos.message": "as_req", "kerberos.realm": realm, "kerberos.principal_type": "user", "kerberos.etypes": mitList, "kerberos.weak_etypes": "rc4"},
				{"kerberos.message": "krb_error", "kerberos.role": "kdc", "kerberos.error_code": "24", "kerberos.realm": realm},
			},
		},
		{
			name: tcpCapture,
			want: []map[string]string{
				// kinit CANARY.NURSE, and kvno, over TCP.
				{"kerberos.message": "as_req", "kerberos.realm": realm, "kerberos.principal_type": "user", "kerberos.etypes": mitList, "kerberos.weak_etypes": "rc4"},
				{"kerberos.message": "krb_error", "kerberos.role": "kdc", "kerberos.error_code": "25", "kerberos.realm": realm},
				{"kerberos.message": "as_req", "kerberos.realm": realm, "kerberos.principal_type": "user", "kerberos.etypes": mitList, "kerberos.weak_etypes": "rc4"},
				{"kerberos.message": "as_rep", "kerberos.role": "kdc", "kerberos.realm": realm, "kerberos.ticket_etype": "18"},
				{"kerberos.message": "tgs_req", "kerberos.realm": realm, "kerberos.etypes": mitList, "kerberos.weak_etypes": "rc4"},
				{"kerberos.message": "tgs_rep", "kerberos.role": "kdc", "kerberos.realm": realm, "kerberos.ticket_etype": "18"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obs := run(t, filepath.Join("testdata", tc.name+".pcap"))
			testutil.Golden(t, tc.name, obs)
			if diff := cmp.Diff(tc.want, dissecttest.FieldMaps(obs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			dissecttest.NoCanary(t, obs, "canary", "nurse")
		})
	}
}

// TestGoldenShared: a Windows XP client (DENYDC.COM) and an Ubuntu host
// (TESTBED1.CA) asking for service tickets. The users des and u5 are
// never named; the machines xp1$ and UBUNTU64A$ are, as the clients the
// KDC answered.
func TestGoldenShared(t *testing.T) {
	obs := run(t, sharedPath(t))
	testutil.Golden(t, sharedName, obs)
	hosts := map[string]int{}
	for _, o := range obs {
		f := dissecttest.FieldMap(o)
		if h := f["kerberos.client_hostname"]; h != "" {
			hosts[h]++
		}
		if _, ok := f["kerberos.hostname"]; ok {
			t.Errorf("a TGS-REQ names no client: %v", f)
		}
		for k, v := range f {
			if v == "u5" || strings.EqualFold(v, "des") && k != "kerberos.weak_etypes" {
				t.Errorf("a user's name reached %s", k)
			}
		}
	}
	if diff := cmp.Diff(map[string]int{"xp1": 1, "UBUNTU64A": 1}, hosts); diff != "" {
		t.Errorf("client host names (-want +got):\n%s", diff)
	}
	if len(obs) != 26 {
		t.Errorf("%d observations, want the 26 messages", len(obs))
	}
}

// TestOracle: frame by frame, every KDC message tshark reads is one
// observation of the same type, with the realm tshark reads there (the
// req-body realm of requests, crealm of replies, the KDC's realm of
// errors), the same etype list, ticket etype and error code, and the
// client's name exactly when tshark's is a machine's.
func TestOracle(t *testing.T) {
	captures := map[string]string{
		udpCapture: filepath.Join("testdata", udpCapture+".pcap"),
		tcpCapture: filepath.Join("testdata", tcpCapture+".pcap"),
		sharedName: "",
	}
	for name, path := range captures {
		t.Run(name, func(t *testing.T) {
			if path == "" {
				path = sharedPath(t)
			}
			oracle := dissecttest.ReadOracle(t, filepath.Join("testdata", name+".oracle.tsv"))
			got := map[int]map[string]string{}
			for _, f := range dissecttest.RunChecked(t, path, New()) {
				if _, dup := got[f.Frame]; dup {
					t.Errorf("frame %d: two observations", f.Frame)
				}
				got[f.Frame] = dissecttest.FieldMap(f.Obs)
			}
			if len(got) != len(oracle) {
				t.Errorf("%d observations, tshark read %d messages", len(got), len(oracle))
			}
			for frame, row := range oracle {
				o, ok := got[frame]
				if !ok {
					t.Errorf("frame %d: no observation for tshark's %v", frame, row)
					continue
				}
				checkOracleRow(t, frame, row, o)
			}
		})
	}
}

func checkOracleRow(t *testing.T, frame int, row map[string][]string, o map[string]string) {
	t.Helper()
	last := func(v []string) string { return dissecttest.First(v[max(len(v)-1, 0):]) }
	expect := func(key, want string) {
		t.Helper()
		if o[key] != want {
			t.Errorf("frame %d %s: ward %q, tshark %q", frame, key, o[key], want)
		}
	}
	typ := dissecttest.First(row["kerberos.msg_type"])
	expect("kerberos.message", map[string]string{"10": "as_req", "11": "as_rep", "12": "tgs_req", "13": "tgs_rep", "30": "krb_error"}[typ])
	host := machineName(row["kerberos.CNameString"])
	switch typ {
	case "10", "12":
		// A TGS-REQ's realm is also its ticket's, in the padata before.
		expect("kerberos.realm", last(row["kerberos.realm"]))
		expect("kerberos.etypes", strings.Join(row["kerberos.ENCTYPE"], ","))
		expect("kerberos.hostname", host)
	case "11", "13":
		expect("kerberos.realm", dissecttest.First(row["kerberos.crealm"]))
		expect("kerberos.client_hostname", host)
		// etypes: those of the padata, then the ticket's, then the reply's.
		if et := row["kerberos.etype"]; len(et) >= 2 {
			expect("kerberos.ticket_etype", et[len(et)-2])
		} else {
			t.Errorf("frame %d: tshark has no ticket etype", frame)
		}
	case "30":
		expect("kerberos.realm", last(row["kerberos.realm"]))
		expect("kerberos.error_code", dissecttest.First(row["kerberos.error_code"]))
	}
}

// machineName is what Ward should name from tshark's cname components:
// the computer account without its '$', or host/<fqdn>'s fqdn.
func machineName(comps []string) string {
	switch {
	case len(comps) == 1 && strings.HasSuffix(comps[0], "$"):
		return strings.TrimSuffix(comps[0], "$")
	case len(comps) == 2 && comps[0] == "host":
		return comps[1]
	}
	return ""
}

// udpPayloads are the captured datagrams Ward dissects, in order.
func udpPayloads(t testing.TB) [][]byte {
	t.Helper()
	msgs := dissecttest.OrderedUDPPayloads(t, New().MatchUDP, filepath.Join("testdata", udpCapture+".pcap"))
	if len(msgs) != 10 {
		t.Fatalf("%d datagrams in %s", len(msgs), udpCapture)
	}
	return msgs
}

// TestDissectUDPErrors mutates captured messages: every break of the
// structure Ward relies on is an error with no observation.
func TestDissectUDPErrors(t *testing.T) {
	msgs := udpPayloads(t)
	asReq, krbErr := msgs[0], msgs[7]
	mutate := func(p []byte, f func(p []byte) []byte) []byte { return f(bytes.Clone(p)) }
	// The pvno INTEGER's value: the first 0x02 0x01 0x05 of each.
	pvnoAt := func(p []byte) int { return bytes.Index(p, []byte{2, 1, 5}) + 2 }
	tests := []struct {
		name string
		p    []byte
		want error
	}{
		{"empty", nil, dissect.ErrTruncated},
		{"truncated", asReq[:len(asReq)-1], dissect.ErrTruncated},
		{"trailing byte", append(bytes.Clone(asReq), 0), errTrailing},
		{"pvno 4", mutate(asReq, func(p []byte) []byte { p[pvnoAt(p)] = 4; return p }), errVersion},
		{"msg-type of an AS-REP in an AS-REQ", mutate(asReq, func(p []byte) []byte { p[pvnoAt(p)+5] = msgASRep; return p }), errVersion},
		{"KRB-ERROR pvno 4", mutate(krbErr, func(p []byte) []byte { p[pvnoAt(p)] = 4; return p }), errVersion},
		{"AP-REQ (APPLICATION 14)", mutate(asReq, func(p []byte) []byte { p[0] = 0x60 | 14; return p }), errNotKerberos},
		{"primitive application tag", mutate(asReq, func(p []byte) []byte { p[0] = 0x40 | msgASReq; return p }), errNotKerberos},
		{"indefinite length", []byte{0x6a, 0x80, 0x30, 0x80, 0, 0, 0, 0}, errDERIndefinite},
		// Read as a tag and a length running past the datagram.
		{"DNS query", []byte{0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w', 'w', 0, 0, 1, 0, 1}, dissect.ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c observe.Collector
			err := New().DissectUDP(dissecttest.UDPMeta(), tc.p, &c)
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if len(c.Obs) != 0 {
				t.Errorf("%d observations", len(c.Obs))
			}
		})
	}
}

func TestMatch(t *testing.T) {
	d := New()
	for i, p := range udpPayloads(t) {
		if !d.MatchUDP(40000, Port, p) || !d.MatchUDP(40000, 750, p) {
			t.Errorf("datagram %d not matched", i)
		}
		if d.MatchUDP(40000, Port, p[:len(p)-1]) {
			t.Errorf("datagram %d matched without its last byte", i)
		}
		rec := append([]byte{0, 0, byte(len(p) >> 8), byte(len(p))}, p...)
		if !d.MatchTCP(40000, Port, true, rec) || !d.MatchTCP(40000, 8888, true, rec[:40]) {
			t.Errorf("record %d not matched", i)
		}
	}
	tests := []struct {
		name     string
		sp, dp   uint16
		p        []byte
		udp, tcp bool
	}{
		{"length prefix alone, port 88", 40000, Port, []byte{0, 0, 1, 0}, false, true},
		{"length prefix alone, other port", 40000, 8888, []byte{0, 0, 1, 0}, false, false},
		{"reserved high bit", 40000, Port, []byte{0x80, 0, 1, 0, 0x6a}, false, false},
		{"zero length", 40000, Port, []byte{0, 0, 0, 0, 0x6a}, false, false},
		{"HTTP on 88", 40000, Port, []byte("GET / HTTP/1.1\r\n"), false, false},
		{"TLS on 88", Port, 40000, []byte{0x16, 3, 1, 0, 0x50, 1}, false, false},
		{"first bytes on 88", 40000, Port, []byte{0, 0}, false, true},
	}
	for _, tc := range tests {
		if got := d.MatchUDP(tc.sp, tc.dp, tc.p); got != tc.udp {
			t.Errorf("%s: MatchUDP %v", tc.name, got)
		}
		if got := d.MatchTCP(tc.sp, tc.dp, true, tc.p); got != tc.tcp {
			t.Errorf("%s: MatchTCP %v", tc.name, got)
		}
	}
}

func TestClassify(t *testing.T) {
	long := strings.Repeat("a", 64) + "$"
	tests := []struct {
		name     string
		nameType int64
		comps    []string
		kind     string
		host     string
	}{
		{"AD computer account", 1, []string{"WS01$"}, kindMachine, "WS01"},
		{"Samba computer account, as sent", 1, []string{"ubuntu64a$"}, kindMachine, "ubuntu64a"},
		{"host principal", 1, []string{"host", "ct-console.hospital.test"}, kindMachine, "ct-console.hospital.test"},
		{"host principal, NT-SRV-HST and capitals", 3, []string{"HOST", "PACS01.hospital.local"}, kindMachine, "PACS01.hospital.local"},
		{"enterprise name of a computer", ntEnterprise, []string{"WS01$@hospital.local"}, kindMachine, "WS01"},
		{"user", 1, []string{"CANARY.NURSE"}, kindUser, ""},
		{"enterprise name of a user", ntEnterprise, []string{"canary.nurse@hospital.org"}, kindUser, ""},
		{"admin instance of a user", 1, []string{"canary", "admin"}, kindUser, ""},
		{"service account", 2, []string{"HTTP", "pacs.hospital.test"}, kindUser, ""},
		{"a person's name ending in $", 1, []string{"Canary Nurse$"}, kindUser, ""},
		{"just $", 1, []string{"$"}, kindUser, ""},
		{"too long for a computer name", 1, []string{long}, kindUser, ""},
		{"host with an empty name", 1, []string{"host", ""}, kindUser, ""},
		{"host with a space", 1, []string{"host", "canary nurse"}, kindUser, ""},
		{"three components", 1, []string{"host", "ws01", "x"}, kindUser, ""},
		{"'@' in a non-enterprise name", 1, []string{"WS01$@x"}, kindUser, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pr := principal{present: true, nameType: tc.nameType, n: len(tc.comps)}
			for i, c := range tc.comps[:min(len(tc.comps), len(pr.comps))] {
				pr.comps[i] = []byte(c)
			}
			kind, host := classify(pr)
			if kind != tc.kind || string(host) != tc.host {
				t.Errorf("classify: %s %q, want %s %q", kind, host, tc.kind, tc.host)
			}
		})
	}
}

func TestWeakness(t *testing.T) {
	d := New()
	tests := []struct {
		list []int64
		want string
	}{
		{[]int64{18, 17}, ""},
		{[]int64{18, 17, 23}, "rc4"},
		{[]int64{3, 1}, "des"},
		{[]int64{23, -133, -128, 3, 1, 24, -135}, "rc4,des"},
		{[]int64{16}, ""}, // 3DES is deprecated too, but not single DES
		{[]int64{-135}, "rc4"},
	}
	for _, tc := range tests {
		var p []byte
		var want []string
		for _, v := range tc.list {
			p = append(p, derInt(v)...)
			want = append(want, itoa(v))
		}
		list, weak := d.etypeList(p)
		if weak != tc.want || list != strings.Join(want, ",") {
			t.Errorf("%v: %q %q, want %q", tc.list, list, weak, tc.want)
		}
	}
}

// TestLikeFresh: the caches and reused streams change nothing.
func TestLikeFresh(t *testing.T) {
	dissecttest.AssertUDPLikeFresh(t, newUDP, dissecttest.UDPMeta(), filepath.Join("testdata", udpCapture+".pcap"))
	finished, convs := dissecttest.AssertTCPLikeFresh(t, newTCP, meta, 3, filepath.Join("testdata", tcpCapture+".pcap"))
	if finished != 3*convs {
		t.Errorf("%d of %d replays finished: a stream should be done after one exchange", finished, 3*convs)
	}
}

// conversations are the captured TCP exchanges, each direction's bytes
// joined.
func conversations(t testing.TB) [][2][]byte {
	t.Helper()
	var out [][2][]byte
	for _, conv := range dissecttest.RecordTCP(t, New(), filepath.Join("testdata", tcpCapture+".pcap")) {
		var c [2][]byte
		for _, dl := range conv {
			c[idx(dl.C2S)] = append(c[idx(dl.C2S)], dl.Data...)
		}
		out = append(out, c)
	}
	if len(out) != 3 {
		t.Fatalf("%d conversations", len(out))
	}
	return out
}

// sortMaps compares lists of field maps in any order.
var sortMaps = cmpopts.SortSlices(func(a, b map[string]string) bool { return byFields(a, b) < 0 })

// TestStreamSplits: a record cut anywhere, or delivered a byte at a time,
// reads as when whole.
func TestStreamSplits(t *testing.T) {
	for i, conv := range conversations(t) {
		var whole observe.Collector
		s := New().NewStream()
		s.Data(meta(true), true, conv[0], &whole)
		if !s.Data(meta(false), false, conv[1], &whole) {
			t.Errorf("conversation %d: not done after one exchange", i)
		}
		if len(whole.Obs) != 2 {
			t.Fatalf("conversation %d: %d observations", i, len(whole.Obs))
		}
		want := dissecttest.FieldMaps(whole.Obs)
		d := New() // one dissector: streams and buffers are reused
		for cut := 0; cut <= max(len(conv[0]), len(conv[1])); cut++ {
			var c observe.Collector
			dissecttest.FeedInTurns(d.NewStream(), meta, true, conv[0], conv[1], cut, &c)
			// The reply may be whole before the request is.
			if diff := cmp.Diff(want, dissecttest.FieldMaps(c.Obs), sortMaps); diff != "" {
				t.Fatalf("conversation %d cut at %d (-want +got):\n%s", i, cut, diff)
			}
		}
		var c observe.Collector
		s = d.NewStream()
		for dir := range 2 {
			for j := range conv[dir] {
				s.Data(meta(dir == 0), dir == 0, conv[dir][j:j+1], &c)
			}
		}
		if diff := cmp.Diff(want, dissecttest.FieldMaps(c.Obs)); diff != "" {
			t.Errorf("conversation %d a byte at a time (-want +got):\n%s", i, diff)
		}
	}
}

func TestStreamFraming(t *testing.T) {
	req := conversations(t)[0][0] // a whole AS-REQ record
	d := New()
	big := []byte{0, 1, 0, 1} // 65537 bytes: over MaxRecord
	tests := []struct {
		name    string
		cfg     func(*config)
		c2s     [][]byte
		want    int // observations
		c2sDone bool
	}{
		{name: "one record", c2s: [][]byte{req}, want: 1, c2sDone: true},
		{name: "two records, two read", cfg: func(c *config) { c.MaxMessages = 2 }, c2s: [][]byte{slices.Concat(req, req)}, want: 2, c2sDone: true},
		{name: "oversized record passed over", cfg: func(c *config) { c.MaxMessages = 2 }, c2s: [][]byte{big, make([]byte, 65537), req}, want: 1, c2sDone: true},
		{name: "reserved high bit", c2s: [][]byte{{0x80, 0, 0, 5}, req}, c2sDone: true},
		{name: "not a message tag: not buffered", c2s: [][]byte{{0, 0, 1, 0, 0x30}}, c2sDone: true},
		{name: "record not Kerberos", c2s: [][]byte{{0, 0, 0, 3, 0x6a, 1, 0}}, c2sDone: true},
		{name: "incomplete", c2s: [][]byte{req[:len(req)-1]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d.cfg = defaultConfig()
			if tc.cfg != nil {
				tc.cfg(&d.cfg)
			}
			s := d.NewStream().(*stream)
			var c observe.Collector
			for _, p := range tc.c2s {
				s.Data(meta(true), true, p, &c)
			}
			if len(c.Obs) != tc.want || s.dir[0].done != tc.c2sDone {
				t.Errorf("%d observations, done %v; want %d, %v", len(c.Obs), s.dir[0].done, tc.want, tc.c2sDone)
			}
			s.End(meta(true), &c)
		})
	}
}

// TestAllocs: once its caches are warm, the dissector allocates nothing
// for datagrams on port 88 that are not Kerberos, nor for repeated
// messages (a KRB-ERROR storm of failed logins), nor for a TCP exchange.
func TestAllocs(t *testing.T) {
	d := New()
	m := dissecttest.UDPMeta()
	e := observe.EmitterFunc(func(*observe.Observation) {})
	junk := []byte("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x00\x00\x01\x00\x01")
	if n := testing.AllocsPerRun(100, func() {
		if !d.MatchUDP(40000, Port, junk) {
			_ = d.DissectUDP(m, junk, e)
		}
	}); n != 0 {
		t.Errorf("non-Kerberos datagram: %.1f allocations", n)
	}
	msgs := udpPayloads(t)
	for i, p := range msgs {
		_ = d.DissectUDP(m, p, e)
		if n := testing.AllocsPerRun(100, func() { _ = d.DissectUDP(m, p, e) }); n != 0 {
			t.Errorf("datagram %d (%s) repeated: %.1f allocations", i, messageNames[uint32(p[0]&0x1f)], n)
		}
	}
	convs := conversations(t)
	mc, ms := meta(true), meta(false)
	replay := func() {
		for _, c := range convs {
			s := d.NewStream()
			s.Data(mc, true, c[0], e)
			s.Data(ms, false, c[1], e)
		}
	}
	replay()
	if n := testing.AllocsPerRun(100, replay); n != 0 {
		t.Errorf("TCP exchanges: %.1f allocations", n)
	}
}

func BenchmarkDissectUDP(b *testing.B) {
	dissecttest.BenchUDP(b, New(), dissecttest.UDPMeta(), filepath.Join("testdata", udpCapture+".pcap"))
}

func BenchmarkStream(b *testing.B) {
	dissecttest.BenchTCP(b, newTCP, meta, filepath.Join("testdata", tcpCapture+".pcap"))
}

func BenchmarkMix(b *testing.B) { dissecttest.BenchUDPMix(b, New()) }
