package astm

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

func TestMatchTCP(t *testing.T) {
	d := New()
	for _, tc := range []struct {
		p    string
		want bool
	}{
		{"\x05\x021H|\\^&|||cobas", true},
		{"\x021H|\\^&|||", true},
		{"\x027H|\\^&\r", true},
		{"\x020H!@#$!!", true},
		{"H|\\^&|||XN-1000", true},
		{"H|\\^&\r\nP|1", true},
		{"H!@#$!", true},
		{"\x05", false}, // a lone ENQ: too common a one-byte payload
		{"\x05\x02", false},
		{"\x05\x021H|\\^", false},
		{"\x028H|\\^&|", false}, // frame numbers are 0-7
		{"\x021P|1|||", false},  // mid-message: only a Header starts
		{"\x0bMSH|^~\\&|APP", false},
		{"MSH|^~\\&|APP|FAC", false},
		{"HTTP/1.1 200 OK\r\n", false},
		{"HEAD / HTTP/1.0\r\n", false},
		{"HELO mail.example\r\n", false},
		{"220 ftp ready\r\n", false},
		{"H|||||", false},   // delimiters must differ
		{"H|\\^\\|", false}, // likewise
		{"H|\\^&x", false},  // the delimiters end at the next field
		{"H|\\^a|", false},  // letters are no delimiters
		{"H 12&|", false},
		{"", false},
	} {
		if got := d.MatchTCP(49152, 5000, true, []byte(tc.p)); got != tc.want {
			t.Errorf("MatchTCP(%q) = %v, want %v", tc.p, got, tc.want)
		}
	}
}

// instrumentFields is what the Sysmex-style Header yields.
var instrumentFields = map[string]string{
	"astm.sender": `CS-2500^01-70^21768^^^Rezus^BV981798`, "astm.sender_name": "CS-2500",
	"astm.sender_version": "01-70", "astm.sender_serial": "21768", "astm.receiver": "LIS",
	"astm.processing_id": "P", "astm.version": "LIS2-A2", "astm.role": "instrument",
}

func with(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
			continue
		}
		out[kv[i]] = kv[i+1]
	}
	return out
}

type tableCase struct {
	name string
	in   []delivery
	want []map[string]string
}

func tableCases() []tableCase {
	framed := with(instrumentFields, "astm.framing", "e1381", "astm.checksum", "ok")
	rawF := with(instrumentFields, "astm.framing", "raw")
	badSum := e1381(240, message(instrumentHeader)...)
	// The Header's frame is the first after the ENQ: corrupt its C2.
	badSum[bytes.IndexByte(badSum, etx)+2] ^= 0x01
	lisF := map[string]string{
		"astm.sender": "LIS", "astm.sender_name": "LIS", "astm.receiver": "CS-2500", "astm.processing_id": "P",
		"astm.version": "1394-97", "astm.framing": "e1381", "astm.checksum": "ok", "astm.role": "host",
	}
	return []tableCase{
		{"e1381 single frames", []delivery{c2s(e1381(240, message(instrumentHeader)...))}, []map[string]string{framed}},
		{"e1381 header over ETB frames", []delivery{c2s(e1381(17, message(instrumentHeader)...))}, []map[string]string{framed}},
		{"e1381 whole message in one frame", []delivery{c2s(append(append([]byte{enq}, frame(1, string(raw("\r", message(instrumentHeader)...)), etx)...), eot))}, []map[string]string{framed}},
		{"bad checksum is reported, the header kept", []delivery{c2s(badSum)}, []map[string]string{with(framed, "astm.checksum", "bad")}},
		{"raw CR", []delivery{c2s(raw("\r", message(instrumentHeader)...))}, []map[string]string{rawF}},
		{"raw CRLF", []delivery{c2s(raw("\r\n", message(instrumentHeader)...))}, []map[string]string{rawF}},
		{"raw LF", []delivery{c2s(raw("\n", message(instrumentHeader)...))}, []map[string]string{rawF}},
		{
			"other delimiters and escapes",
			[]delivery{c2s(e1381(240, `H!@#$!CTL!!XN-1000#00-20$S$A#11223!!!!!HOST!!P!1`, `P!1!!CANARY#X`, `L!1!N`))},
			[]map[string]string{{
				"astm.sender": "XN-1000^00-20#A^11223", "astm.sender_name": "XN-1000", "astm.sender_version": "00-20#A",
				"astm.sender_serial": "11223", "astm.receiver": "HOST", "astm.processing_id": "P", "astm.version": "1",
				"astm.framing": "e1381", "astm.checksum": "ok", "astm.role": "instrument",
			}},
		},
		{
			"instrument then the LIS's answering header",
			[]delivery{c2s(e1381(240, message(instrumentHeader)...)), s2c([]byte{ack}), s2c(e1381(240, lisHeader, `P|1||CANARYPID77`, `O|1|SPEC0042||^^^PT|R`, `L|1|F`))},
			[]map[string]string{framed, lisF},
		},
		{
			"vendor components are passed as they are",
			[]delivery{c2s(raw("\r", `H|\^&|||OCD^VISION^5.13.1|||||||P|LIS2-A2`, `L|1|N`))},
			[]map[string]string{{
				"astm.sender": "OCD^VISION^5.13.1", "astm.sender_name": "OCD", "astm.sender_version": "VISION",
				"astm.sender_serial": "5.13.1", "astm.processing_id": "P", "astm.version": "LIS2-A2",
				"astm.framing": "raw", "astm.role": "instrument",
			}},
		},
		{
			"empty sender to a host: the instrument, unnamed",
			[]delivery{c2s(raw("\r", `H|\^&||||||||Host||P|1`, `L|1`))},
			[]map[string]string{{"astm.receiver": "Host", "astm.processing_id": "P", "astm.version": "1", "astm.framing": "raw", "astm.role": "instrument"}},
		},
		{
			"empty sender and receiver: no role",
			[]delivery{c2s(raw("\r", `H|\^&`, `L|1`))},
			[]map[string]string{{"astm.framing": "raw"}},
		},
		{
			"repeated messages report the header once",
			[]delivery{c2s(e1381(240, message(instrumentHeader)...)), c2s(e1381(240, message(instrumentHeader)...)), c2s(e1381(240, message(instrumentHeader)...))},
			[]map[string]string{framed},
		},
		{
			"a header that changes is reported again",
			[]delivery{c2s(raw("\r", `H|\^&|||cobas 8000^01-02|||||LIS||P|1`, `L|1`)), c2s(raw("\r", `H|\^&|||cobas 8000^01-03|||||LIS||P|1`, `L|1`))},
			[]map[string]string{
				{"astm.sender": "cobas 8000^01-02", "astm.sender_name": "cobas 8000", "astm.sender_version": "01-02", "astm.receiver": "LIS", "astm.processing_id": "P", "astm.version": "1", "astm.framing": "raw", "astm.role": "instrument"},
				{"astm.sender": "cobas 8000^01-03", "astm.sender_name": "cobas 8000", "astm.sender_version": "01-03", "astm.receiver": "LIS", "astm.processing_id": "P", "astm.version": "1", "astm.framing": "raw", "astm.role": "instrument"},
			},
		},
		{
			"truncated header frame: nothing",
			[]delivery{c2s(e1381(240, message(instrumentHeader)...)[:60])},
			nil,
		},
		{
			"garbage: nothing",
			[]delivery{c2s([]byte("\x02\x02\x029\x03\x17garbage\x00\xff\r\n\x05\x04|||^^^\x021\x02")), c2s(bytes.Repeat([]byte{0x02, 0x31, 0x03}, 50))},
			nil,
		},
		{
			"a header longer than the bound is skipped",
			[]delivery{c2s(raw("\r", `H|\^&|||`+string(bytes.Repeat([]byte("A"), 9000)), `L|1`))},
			nil,
		},
	}
}

func TestTable(t *testing.T) {
	for _, tc := range tableCases() {
		t.Run(tc.name, func(t *testing.T) {
			obs := collect(t, New(), tc.in...)
			if diff := cmp.Diff(tc.want, dissecttest.FieldMaps(obs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			dissecttest.NoCanary(t, obs, canaries...)
			for _, o := range obs {
				if o.Protocol != "astm" {
					t.Errorf("protocol %q", o.Protocol)
				}
			}
		})
	}
}

// TestGolden pins whole observations (addressing, time, field order) of
// the main exchanges.
func TestGolden(t *testing.T) {
	for _, g := range []struct {
		name string
		in   []delivery
	}{
		{"e1381_instrument_and_lis", []delivery{
			c2s([]byte{enq}), s2c([]byte{ack}), c2s(e1381(64, message(instrumentHeader)...)), s2c([]byte{ack}),
			s2c(e1381(240, lisHeader, `P|1||CANARYPID77`, `L|1|F`)),
		}},
		{"raw_crlf_instrument", []delivery{c2s(raw("\r\n", message(`H|\^&|||ImmunoCAP Data Manager^1.00^1.00|||||LIS||P|LIS2-A2|20240102030405`)...))}},
		{"e1381_bad_checksum", []delivery{c2s(tableCases()[3].in[0].b)}},
	} {
		t.Run(g.name, func(t *testing.T) {
			obs := collect(t, New(), g.in...)
			dissecttest.NoCanary(t, obs, canaries...)
			testutil.Golden(t, g.name, obs)
		})
	}
}

// conversation is the instrument's framed message then the LIS's.
func conversation() (inst, lis []byte) {
	return e1381(31, message(instrumentHeader)...), e1381(23, lisHeader, `P|1||CANARYPID77||CANARY^ALICE||19450607`, `O|1|SPEC0042||^^^PT|R`, `L|1|F`)
}

// TestSplitEverywhere delivers each direction cut at every byte offset,
// and one byte at a time: the same observations come out, and no canary.
func TestSplitEverywhere(t *testing.T) {
	opts := cmpopts.EquateComparable(netip.Addr{})
	for _, mode := range []struct {
		name      string
		inst, lis []byte
	}{
		{"e1381", nil, nil},
		{"raw", raw("\r\n", message(instrumentHeader)...), raw("\r", lisHeader, `P|1||CANARYPID77||CANARY^ALICE||19450607`, `L|1|F`)},
	} {
		inst, lis := mode.inst, mode.lis
		if inst == nil {
			inst, lis = conversation()
		}
		want := collect(t, New(), c2s(inst), s2c(lis))
		if len(want) != 2 {
			t.Fatalf("%s: %d observations, want 2", mode.name, len(want))
		}
		d := New()
		for cut := 0; cut <= max(len(inst), len(lis)); cut++ {
			var c observe.Collector
			st := d.NewStream()
			dissecttest.FeedInTurns(st, meta, true, inst, lis, cut, &c)
			// The two sides' Headers may complete in either order.
			if diff := cmp.Diff(want, c.Obs, opts, cmpopts.SortSlices(func(a, b observe.Observation) bool { return a.SrcPort < b.SrcPort })); diff != "" {
				t.Fatalf("%s cut at %d (-whole +split):\n%s", mode.name, cut, diff)
			}
			dissecttest.NoCanary(t, c.Obs, canaries...)
		}
		var bytewise []delivery
		for i := range inst {
			bytewise = append(bytewise, c2s(inst[i:i+1]))
		}
		for i := range lis {
			bytewise = append(bytewise, s2c(lis[i:i+1]))
		}
		if diff := cmp.Diff(want, collect(t, d, bytewise...), opts); diff != "" {
			t.Errorf("%s byte by byte (-whole +split):\n%s", mode.name, diff)
		}
	}
}

// TestGapResync: a gap anywhere in the first message (bytes lost, the
// stream told so) loses at most that message; the second one's Header
// is reported, the same as without the gap.
func TestGapResync(t *testing.T) {
	for _, mode := range []struct {
		name string
		msg  []byte
	}{
		{"e1381", e1381(29, message(instrumentHeader)...)},
		{"raw", raw("\r", message(instrumentHeader)...)},
	} {
		want := collect(t, New(), c2s(mode.msg))
		for from := 1; from < len(mode.msg); from += 3 {
			for _, lost := range []int{1, 7, 40} {
				to := min(from+lost, len(mode.msg))
				obs := collect(t, New(), c2s(mode.msg[:from]), delivery{c2s: true, gap: true}, c2s(mode.msg[to:]), c2s(mode.msg))
				if len(obs) == 0 {
					t.Fatalf("%s gap %d..%d: nothing reported", mode.name, from, to)
				}
				if diff := cmp.Diff(dissecttest.FieldMaps(want), dissecttest.FieldMaps(obs[len(obs)-1:])); diff != "" {
					t.Fatalf("%s gap %d..%d (-want +got):\n%s", mode.name, from, to, diff)
				}
				dissecttest.NoCanary(t, obs, canaries...)
			}
		}
	}
}

// TestStopsInspecting: once both sides' Headers are reported, or after
// MaxMessages Headers, Data says done.
func TestStopsInspecting(t *testing.T) {
	inst, lis := conversation()
	st := New().NewStream()
	var c observe.Collector
	if st.Data(meta(true), true, inst, &c) {
		t.Fatal("done after one side")
	}
	if !st.Data(meta(false), false, lis, &c) {
		t.Fatal("not done after both sides' headers")
	}
	st = New().NewStream()
	done := false
	for i := 0; i < DefaultConfig().MaxMessages && !done; i++ {
		done = st.Data(meta(true), true, inst, &c)
	}
	if !done {
		t.Fatal("not done after MaxMessages messages")
	}
	// Records without any Header stop inspection too.
	st = New().NewStream()
	r := raw("\r", body...)
	for i := 0; i < DefaultConfig().MaxRecords && !done; i++ {
		done = st.Data(meta(true), true, r, &c)
	}
	if !done {
		t.Fatal("not done after MaxRecords records")
	}
}

// TestRetransmittedFrame: an intermediate frame sent again after a NAK
// (same frame number) is not appended twice.
func TestRetransmittedFrame(t *testing.T) {
	h := `H|\^&|||cobas 6000^05-01^A12345|||||LIS||P|1`
	f1 := frame(1, h[:20], etb)
	f2 := frame(2, h[20:]+"\r", etx)
	in := append(append(append(append([]byte{enq}, f1...), f1...), f2...), eot)
	obs := collect(t, New(), c2s(in))
	want := []map[string]string{{
		"astm.sender": "cobas 6000^05-01^A12345", "astm.sender_name": "cobas 6000", "astm.sender_version": "05-01",
		"astm.sender_serial": "A12345", "astm.receiver": "LIS", "astm.processing_id": "P", "astm.version": "1",
		"astm.framing": "e1381", "astm.checksum": "ok", "astm.role": "instrument",
	}}
	if diff := cmp.Diff(want, dissecttest.FieldMaps(obs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestNoPHIKept: after a message, nothing but the Header was ever copied
// into the stream's buffers.
func TestNoPHIKept(t *testing.T) {
	d := New()
	st := d.NewStream().(*stream)
	inst, _ := conversation()
	for i := range inst { // byte by byte: every record straddles calls
		st.Data(meta(true), true, inst[i:i+1], observe.EmitterFunc(func(*observe.Observation) {}))
		for _, c := range canaries[:4] {
			if bytes.Contains(bytes.ToLower(st.dir[0].buf[:cap(st.dir[0].buf)]), bytes.ToLower([]byte(c))) {
				t.Fatalf("canary %q in the stream buffer after byte %d", c, i)
			}
		}
	}
}
