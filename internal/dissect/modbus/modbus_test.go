package modbus

import (
	"encoding/binary"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/dissect/medtest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

var meta = dissecttest.TCPMeta(50000, Port)

func newTCP() dissect.TCPDissector { return New() }

// The captures made by testdata/capture-modbus.sh: pymodbus's client
// against its server, as an invented UPS, on 502 and on 5020.
const (
	upsCapture  = "pymodbus_ups"
	offCapture  = "pymodbus_5020"
	identityUPS = "OR-3 theatre UPS (east riser)"
)

var upsIdentity = map[string]string{
	"modbus.unit_id": "1", "modbus.vendor_name": "Eaton", "modbus.product_code": "9PX6KIRTN",
	"modbus.revision": "v2.14.3", "modbus.vendor_url": "https://www.eaton.com/ups", "modbus.product_name": "9PX UPS 6kVA",
	"modbus.model_name": "9PX6KiRT", "modbus.user_application_name": identityUPS,
}

func run(t *testing.T, name string) []observe.Observation {
	t.Helper()
	var obs []observe.Observation
	for _, f := range dissecttest.RunChecked(t, filepath.Join("testdata", name+".pcap"), New()) {
		obs = append(obs, f.Obs)
	}
	return obs
}

// TestGolden: on 502, three polls, two writes, the identification read as
// basic, regular, one object, basic again and extended (three rounds, the
// last two only private objects), two exceptions and more polls; on 5020
// (found by content) polls of unit 17 and a regular read. Repeats and
// private objects add nothing; every observation comes from the server.
func TestGolden(t *testing.T) {
	basic := map[string]string{"modbus.unit_id": "1", "modbus.vendor_name": "Eaton", "modbus.product_code": "9PX6KIRTN", "modbus.revision": "v2.14.3"}
	off := map[string]string{}
	for k, v := range upsIdentity {
		off[k] = v
	}
	off["modbus.unit_id"] = "17"
	tests := []struct {
		name string
		port uint16
		want []map[string]string
	}{
		{upsCapture, Port, []map[string]string{
			{"modbus.role": "server", "modbus.unit_id": "1"},
			{"modbus.role": "server", "modbus.unit_id": "1", "modbus.writes": "1"},
			basic,
			upsIdentity,
			{"modbus.unit_id": "1", "modbus.model_name": "9PX6KiRT"},
		}},
		{offCapture, 5020, []map[string]string{{"modbus.role": "server", "modbus.unit_id": "17"}, off}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obs := run(t, tc.name)
			testutil.Golden(t, tc.name, obs)
			if diff := cmp.Diff(tc.want, dissecttest.FieldMaps(obs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, o := range obs {
				if o.SrcPort != tc.port || o.Protocol != "modbus" {
					t.Errorf("%s observation from port %d", o.Protocol, o.SrcPort)
				}
			}
		})
	}
}

// TestOracle: every identification value tshark read from a server's
// response was reported by then, in that direction and with that unit;
// exception responses carried none; the server and its accepted writes
// were reported by their first response.
func TestOracle(t *testing.T) {
	for _, tc := range []struct {
		name   string
		port   string
		values int
	}{{upsCapture, "502", 7 + 7 + 3 + 1 + 3}, {offCapture, "5020", 7}} {
		t.Run(tc.name, func(t *testing.T) {
			oracle := dissecttest.ReadOracle(t, filepath.Join("testdata", tc.name+".oracle.tsv"))
			// ours: "unit|key=value" -> first frame it was reported in.
			ours := map[string]int{}
			byFrame := map[int][]observe.Observation{}
			for _, f := range dissecttest.RunChecked(t, filepath.Join("testdata", tc.name+".pcap"), New()) {
				if strconv.Itoa(int(f.Obs.SrcPort)) != tc.port {
					t.Errorf("frame %d: observation from port %d", f.Frame, f.Obs.SrcPort)
				}
				byFrame[f.Frame] = append(byFrame[f.Frame], f.Obs)
				unit, _ := f.Obs.Get("modbus.unit_id")
				for _, fl := range f.Obs.Fields {
					k := unit + "|" + fl.Key + "=" + fl.Value
					if _, ok := ours[k]; !ok {
						ours[k] = f.Frame
					}
				}
			}
			reported := func(frame int, unit, key, value string) bool {
				at, ok := ours[unit+"|"+key+"="+value]
				return ok && at <= frame
			}
			values, responses := 0, 0
			for frame, row := range oracle {
				if dissecttest.First(row["tcp.srcport"]) != tc.port {
					continue // a request
				}
				responses++
				unit, fc := dissecttest.First(row["mbtcp.unit_id"]), dissecttest.First(row["modbus.func_code"])
				failed := len(row["modbus.exception_code"]) > 0
				if !reported(frame, unit, "modbus.role", "server") && !reported(frame, unit, "modbus.writes", "1") {
					t.Errorf("frame %d: server of unit %s not reported", frame, unit)
				}
				if n, _ := strconv.Atoi(fc); !failed && isWrite(byte(n)) && !reported(frame, unit, "modbus.writes", "1") {
					t.Errorf("frame %d: accepted write (function %s) not reported", frame, fc)
				}
				if failed {
					for _, o := range byFrame[frame] {
						if _, ok := o.Get("modbus.vendor_name"); ok {
							t.Errorf("frame %d: identity from an exception response", frame)
						}
					}
					continue
				}
				if fc != "43" || dissecttest.First(row["modbus.mei"]) != "14" {
					continue
				}
				// tshark shows string values for the standard objects only.
				strs := row["modbus.object_str_value"]
				for _, id := range row["modbus.object_id"] {
					n, err := strconv.Atoi(id)
					if err != nil {
						t.Fatalf("frame %d: object id %q", frame, id)
					}
					if n >= objects {
						continue
					}
					if len(strs) == 0 {
						t.Fatalf("frame %d: no string value for object %d", frame, n)
					}
					values++
					if !reported(frame, unit, objectKeys[n], strs[0]) {
						t.Errorf("frame %d: %s=%q (unit %s) not reported", frame, objectKeys[n], strs[0], unit)
					}
					strs = strs[1:]
				}
			}
			if values != tc.values || responses == 0 {
				t.Errorf("compared %d identification values in %d responses, want %d", values, responses, tc.values)
			}
		})
	}
}

// mbap frames a PDU.
func mbap(tid uint16, unit byte, pdu ...byte) []byte {
	f := binary.BigEndian.AppendUint16(nil, tid)
	f = append(f, 0, 0)
	f = binary.BigEndian.AppendUint16(f, uint16(1+len(pdu)))
	f = append(f, unit)
	return append(f, pdu...)
}

// devID is a Read Device Identification response PDU with the objects
// given as id, value pairs.
func devID(more, next byte, objs ...any) []byte {
	p := []byte{fcDevID, meiDevID, 2, 0x83, more, next, byte(len(objs) / 2)}
	for i := 0; i < len(objs); i += 2 {
		v := objs[i+1].(string)
		p = append(p, objs[i].(byte), byte(len(v)))
		p = append(p, v...)
	}
	return p
}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

var (
	poll     = mbap(1, 1, 3, 0, 0, 0, 2)
	polled   = mbap(1, 1, 3, 4, 0, 230, 0, 50)
	role1    = map[string]string{"modbus.role": "server", "modbus.unit_id": "1"}
	vendorID = devID(0, 0, byte(0), "Vendor", byte(1), "P-1", byte(2), "1.0")
	vendor   = map[string]string{"modbus.unit_id": "1", "modbus.vendor_name": "Vendor", "modbus.product_code": "P-1", "modbus.revision": "1.0"}
)

func TestStream(t *testing.T) {
	tests := []struct {
		name     string
		server   [][]byte // server deliveries, each after a poll from the client
		gapAfter int      // a gap in the server's bytes after this delivery (0: none)
		want     []map[string]string
		done     bool
	}{
		{name: "polls only", server: [][]byte{polled, polled}, want: []map[string]string{role1}},
		{
			name:   "header split in three, two frames and a half in one segment",
			server: [][]byte{polled[:2], polled[2:5], cat(polled[5:], mbap(2, 1, vendorID...), polled, polled[:9]), polled[9:]},
			want:   []map[string]string{role1, vendor},
		},
		{
			name:   "private, reserved and repeated objects skipped; a repeat of the same content not reported",
			server: [][]byte{mbap(1, 1, devID(0xff, 0x81, byte(0), "Vendor", byte(0x80), "serial", byte(0), "Other", byte(7), "r", byte(5), "M")...), mbap(2, 1, devID(0, 0, byte(0), "Vendor", byte(5), "M")...)},
			want:   []map[string]string{role1, {"modbus.unit_id": "1", "modbus.vendor_name": "Vendor", "modbus.model_name": "M"}},
		},
		{
			name:   "only private objects",
			server: [][]byte{mbap(1, 1, devID(0, 0, byte(0x80), "serial")...)},
			want:   []map[string]string{role1},
		},
		{
			name:   "new content is reported, per unit",
			server: [][]byte{mbap(1, 1, vendorID...), mbap(2, 2, vendorID...), mbap(3, 1, vendorID...)},
			want:   []map[string]string{role1, vendor, {"modbus.unit_id": "2", "modbus.vendor_name": "Vendor", "modbus.product_code": "P-1", "modbus.revision": "1.0"}},
		},
		{
			name:   "exception responses: a server, no identity, no write",
			server: [][]byte{mbap(1, 1, fcDevID|exception, 1), mbap(2, 1, 6|exception, 2)},
			want:   []map[string]string{role1},
		},
		{
			name:   "an accepted write is flagged once, unit in decimal",
			server: [][]byte{mbap(1, 255, 6, 0, 1, 0, 51), mbap(2, 255, 16, 0, 4, 0, 2), polled},
			want:   []map[string]string{{"modbus.role": "server", "modbus.unit_id": "255", "modbus.writes": "1"}},
		},
		{
			name:   "a write after polls",
			server: [][]byte{polled, mbap(2, 1, 5, 0, 1, 0xff, 0)},
			want:   []map[string]string{role1, {"modbus.role": "server", "modbus.unit_id": "1", "modbus.writes": "1"}},
		},
		{
			name:   "function 43 alone, in step (a fuzz crasher)",
			server: [][]byte{polled, mbap(2, 1, fcDevID), mbap(3, 1, fcDevID, meiDevID)},
			want:   []map[string]string{role1},
		},
		{
			name:   "object count past the objects",
			server: [][]byte{mbap(1, 1, append(vendorID[:6:6], 4, 0, 1, 'V')...)},
			want:   []map[string]string{role1},
		},
		{
			name:   "object length past the frame",
			server: [][]byte{mbap(1, 1, append(vendorID[:6:6], 1, 0, 9, 'V')...)},
			want:   []map[string]string{role1},
		},
		{
			name:   "non-printable and invalid UTF-8 values cleaned",
			server: [][]byte{mbap(1, 1, devID(0, 0, byte(0), "\x00Ven\x01dor\xff ", byte(1), "\x00\x00")...)},
			want:   []map[string]string{role1, {"modbus.unit_id": "1", "modbus.vendor_name": "Vendor\uFFFD"}},
		},
		// A first delivery that is no frame is skipped (a capture may start
		// mid-frame), a few times.
		{name: "HTTP on 502", server: [][]byte{[]byte("HTTP/1.1 200 OK\r\n\r\n")}},
		{name: "HTTP on 502, again and again", server: [][]byte{[]byte("HTTP/1.1 200 OK\r\n"), []byte("Server: x\r\n"), []byte("\r\n"), []byte("<html>"), []byte("</html>")}, done: true},
		{name: "protocol id 1", server: [][]byte{{0, 1, 0, 1, 0, 5, 1, 3, 2, 0, 0}}},
		{name: "length 1", server: [][]byte{{0, 1, 0, 0, 0, 1, 1}}},
		{name: "function 0", server: [][]byte{mbap(1, 1, 0, 0)}},
		{name: "implausible first PDU", server: [][]byte{mbap(1, 1, 3, 9, 1)}},
		{name: "truncated MBAP frame", server: [][]byte{mbap(1, 1, vendorID...)[:20]}},
		{name: "truncated header", server: [][]byte{polled[:5]}},
		{
			name:   "in step, then not Modbus",
			server: [][]byte{polled, []byte("garbage!")},
			want:   []map[string]string{role1},
			done:   true,
		},
		{
			name:     "a gap inside the first frame",
			server:   [][]byte{polled[:9], polled[3:], mbap(2, 1, vendorID...)},
			gapAfter: 1,
			want:     []map[string]string{role1, vendor},
		},
		{
			name:     "a gap mid-frame: skipped until a frame starts",
			server:   [][]byte{polled, polled[3:], polled[5:], mbap(2, 1, vendorID...)},
			gapAfter: 1,
			want:     []map[string]string{role1, vendor},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New().NewStream()
			var c observe.Collector
			done := false
			for i, p := range tc.server {
				if done = s.Data(meta(true), true, poll, &c); done {
					t.Fatal("done on a poll")
				}
				done = s.Data(meta(false), false, p, &c)
				if i+1 == tc.gapAfter {
					s.Gap(false)
				}
			}
			if diff := cmp.Diff(tc.want, dissecttest.FieldMaps(c.Obs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if done != tc.done {
				t.Errorf("done = %v, want %v", done, tc.done)
			}
			for _, o := range c.Obs {
				if o.SrcPort != Port {
					t.Errorf("observation from port %d", o.SrcPort)
				}
			}
		})
	}
}

// TestServerSide: the side on 502 is the server whichever side began the
// conversation; off 502 the initiator is the client.
func TestServerSide(t *testing.T) {
	// 502 is the "client" here: a capture whose handshake was missed.
	backwards := dissecttest.TCPMeta(Port, 50000)
	s := New().NewStream()
	var c observe.Collector
	s.Data(backwards(false), false, poll, &c)
	s.Data(backwards(true), true, polled, &c)
	if len(c.Obs) != 1 || c.Obs[0].SrcPort != Port {
		t.Errorf("got %v", c.Obs)
	}
	off := dissecttest.TCPMeta(50000, 5020)
	s, c = New().NewStream(), observe.Collector{}
	s.Data(off(true), true, poll, &c)
	s.Data(off(false), false, polled, &c)
	if len(c.Obs) != 1 || c.Obs[0].SrcPort != 5020 {
		t.Errorf("got %v", c.Obs)
	}
}

func TestMatchTCP(t *testing.T) {
	tests := []struct {
		name   string
		sp, dp uint16
		p      []byte
		want   bool
	}{
		{"poll on 502", 50000, Port, poll, true},
		{"response on 502", Port, 50000, polled, true},
		{"first bytes of a poll on 502", 50000, Port, poll[:3], true},
		{"two polls on 5020", 50000, 5020, cat(poll, poll), true},
		{"device identification response on 5020", 5020, 50000, mbap(1, 1, vendorID...), true},
		{"exception on 5020", 5020, 50000, mbap(1, 1, 0x83, 2), true},
		{"HTTP on 502", 50000, Port, []byte("GET / HTTP/1.1\r\n"), false},
		{"protocol id 1 on 502", 50000, Port, []byte{0, 1, 0, 1, 0, 6, 1, 3, 0, 0, 0, 2}, false},
		{"length 300 on 502", 50000, Port, []byte{0, 1, 0, 0, 1, 44, 1, 3}, false},
		{"function 0 on 502", 50000, Port, mbap(1, 1, 0, 0, 0, 0, 2), false},
		{"half a poll on 5020", 50000, 5020, poll[:8], false},
		{"a poll and a half on 5020", 50000, 5020, cat(poll, poll[:8]), false},
		{"read with a wrong byte count on 5020", 5020, 50000, mbap(1, 1, 3, 6, 0, 230, 0, 50), false},
		{"user-defined function on 5020", 50000, 5020, mbap(1, 1, 100, 1, 2, 3), false},
		{"exception code 0 on 5020", 5020, 50000, mbap(1, 1, 0x83, 0), false},
		{"zeros on 5020", 50000, 5020, make([]byte, 12), false},
		{"empty", 50000, Port, nil, false},
	}
	d := New()
	for _, tc := range tests {
		if got := d.MatchTCP(tc.sp, tc.dp, true, tc.p); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSegmentation: the conversations of the captures, re-cut into
// segments of every size up to a frame and more, or with all of the
// server's frames in one delivery, give the same observations.
func TestSegmentation(t *testing.T) {
	for _, name := range []string{upsCapture, offCapture} {
		convs := dissecttest.RecordTCP(t, New(), filepath.Join("testdata", name+".pcap"))
		if len(convs) != 1 {
			t.Fatalf("%s: %d conversations", name, len(convs))
		}
		m := dissecttest.TCPMeta(50000, Port)
		want, _ := dissecttest.ReplayTCP(New(), m, convs[0])
		if len(want) < 2 {
			t.Fatalf("%s: %d observations", name, len(want))
		}
		for size := 1; size <= 130; size++ {
			var cut dissecttest.Conversation
			for _, dl := range convs[0] {
				for p := dl.Data; len(p) > 0; p = p[min(size, len(p)):] {
					cut = append(cut, dissecttest.Delivery{C2S: dl.C2S, Data: p[:min(size, len(p))]})
				}
			}
			got, _ := dissecttest.ReplayTCP(New(), m, cut)
			if diff := cmp.Diff(dissecttest.FieldMaps(want), dissecttest.FieldMaps(got)); diff != "" {
				t.Errorf("%s in %d-byte segments (-want +got):\n%s", name, size, diff)
			}
		}
		var client, server []byte
		for _, dl := range convs[0] {
			if dl.C2S {
				client = append(client, dl.Data...)
			} else {
				server = append(server, dl.Data...)
			}
		}
		got, _ := dissecttest.ReplayTCP(New(), m, dissecttest.Conversation{{C2S: true, Data: client}, {C2S: false, Data: server}})
		if diff := cmp.Diff(dissecttest.FieldMaps(want), dissecttest.FieldMaps(got)); diff != "" {
			t.Errorf("%s with the server's frames in one delivery (-want +got):\n%s", name, diff)
		}
	}
}

// TestMessyTCP: through the decoder, with segments swapped, retransmitted
// or cut small, the identity comes out the same.
func TestMessyTCP(t *testing.T) {
	pkts := medtest.ReadPackets(t, filepath.Join("testdata", upsCapture+".pcap"))
	want, _ := medtest.Run(t, decode.DefaultConfig(), pkts, New())
	for _, v := range []struct {
		name    string
		rewrite func() []observe.Observation
	}{
		{"swapped-pairs", func() []observe.Observation {
			o, _ := medtest.Run(t, decode.DefaultConfig(), medtest.SwapPairs(pkts), New())
			return o
		}},
		{"retransmitted", func() []observe.Observation {
			o, _ := medtest.Run(t, decode.DefaultConfig(), medtest.Retransmit(pkts), New())
			return o
		}},
		{"split-1", func() []observe.Observation {
			o, _ := medtest.Run(t, decode.DefaultConfig(), medtest.SplitSegments(t, pkts, 1), New())
			return o
		}},
		{"split-5", func() []observe.Observation {
			o, _ := medtest.Run(t, decode.DefaultConfig(), medtest.SplitSegments(t, pkts, 5), New())
			return o
		}},
	} {
		t.Run(v.name, func(t *testing.T) {
			if diff := cmp.Diff(dissecttest.FieldMaps(want), dissecttest.FieldMaps(v.rewrite())); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestInspectionStops: a poller is let go after firstFrames of the
// server's frames, so is a client that reads the same identity over and
// over; identification with something new keeps the stream afterIdentity
// frames longer. Then Data says done, and stays done.
func TestInspectionStops(t *testing.T) {
	convs := dissecttest.RecordTCP(t, New(), filepath.Join("testdata", upsCapture+".pcap"))
	var conv dissecttest.Conversation
	for range 8 { // the real conversation over and over: a long session
		conv = append(conv, convs[0]...)
	}
	late := make([][]byte, 0, firstFrames+afterIdentity)
	for range firstFrames - 2 {
		late = append(late, polled)
	}
	late = append(late, mbap(2, 1, vendorID...))
	for range 2 * afterIdentity {
		late = append(late, polled)
	}
	for _, tc := range []struct {
		name   string
		server [][]byte
		want   int
	}{
		{"polls", late[: firstFrames-2 : firstFrames-2], 0},
		{"the capture, 8 times", nil, firstFrames},
		{"identity late", late, firstFrames - 1 + afterIdentity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.server == nil {
				for _, dl := range conv {
					if !dl.C2S {
						tc.server = append(tc.server, dl.Data)
					}
				}
			}
			for len(tc.server) < 2*firstFrames {
				tc.server = append(tc.server, polled)
			}
			if tc.want == 0 {
				tc.want = firstFrames
			}
			s := New().NewStream().(*stream)
			var c observe.Collector
			served := 0
			for _, p := range tc.server {
				s.Data(meta(true), true, poll, &c)
				served++
				if s.Data(meta(false), false, p, &c) {
					break
				}
			}
			if served != tc.want || s.frames != tc.want {
				t.Errorf("done after %d server deliveries (%d frames), want %d", served, s.frames, tc.want)
			}
			if !s.Data(meta(false), false, polled, &c) || !s.Data(meta(true), true, poll, &c) {
				t.Error("Data after done is not done")
			}
		})
	}
}

// TestPollingAllocs: once the server and its identity are known, polls
// cost no allocation, whole or split across segments.
func TestPollingAllocs(t *testing.T) {
	convs := dissecttest.RecordTCP(t, New(), filepath.Join("testdata", upsCapture+".pcap"))
	s := New().NewStream().(*stream)
	e := observe.EmitterFunc(func(*observe.Observation) {})
	mc, ms := meta(true), meta(false)
	for _, dl := range convs[0][:22] { // through the identification reads
		s.Data(meta(dl.C2S), dl.C2S, dl.Data, e)
	}
	if !s.role || s.nSeen == 0 {
		t.Fatal("identity not read")
	}
	req, resp := convs[0][0].Data, convs[0][1].Data
	s.limit = 1 << 30
	allocs := testing.AllocsPerRun(100, func() {
		s.Data(mc, true, req, e)
		s.Data(ms, false, resp, e)
		s.Data(ms, false, resp[:4], e)
		s.Data(ms, false, resp[4:], e)
	})
	if allocs != 0 || s.over() {
		t.Errorf("%.1f allocations per poll (over %v)", allocs, s.over())
	}
}

// TestOneDissectorLikeFresh: a dissector reused across connections gives
// what fresh ones give.
func TestOneDissectorLikeFresh(t *testing.T) {
	dissecttest.AssertTCPLikeFresh(t, newTCP, meta, 2, dissecttest.Testdata(upsCapture+".pcap", offCapture+".pcap")...)
}

// BenchmarkCapture replays the test conversations.
func BenchmarkCapture(b *testing.B) {
	dissecttest.BenchTCP(b, newTCP, meta, dissecttest.Testdata(upsCapture+".pcap", offCapture+".pcap")...)
}
