package poct

import (
	"bytes"
	"net/netip"
	"strings"
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
		{glucoseHello, true},
		{bloodGasHello, true},
		{obs, true},
		{dst, true},
		{ack("X"), true},
		{eot, true},
		{"\xef\xbb\xbf" + glucoseHello, true},
		{"\r\n  <HEL.R01>\r\n<HDR>", true},
		{"<EOT.R01/>", true},
		{`<?xml version="1.0"?><!-- device --><REQ.R01 xmlns:x="y">`, true},
		{"<?xml version='1.0' encoding='utf-8'?>\n<HEL.R01\n>", true},
		{"<HEL.R01", false},   // too short to tell the name ends
		{"<HEL.R1>", false},   // two digits
		{"<hel.r01>", false},  // upper case
		{"<HELO.R01>", false}, // three letters
		{"<HEL.X01>", false},  // R
		{"<HEL.R012>", false}, // the name ends
		{"<HEL.R01x>", false}, // likewise
		{`<?xml version="1.0"?>` + strings.Repeat(" ", 250) + "<HEL.R01>", false}, // past the window
		{`<?xml version="1.0"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">`, false},
		{`<?xml version="1.0"?><stream:stream to="example.com" xmlns="jabber:client">`, false},
		{`<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion>`, false},
		{`<?xml version="1.0" encoding="utf-8"?><soap:Envelope><soap:Header><wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe`, false},
		{`<?xml version="1.0"?><HL7Message><MSH.1>`, false},
		{`<?xml version="1.0"?>`, false},
		{"GET / HTTP/1.1\r\n\r\n", false},
		{"H|\\^&|||", false},
		{"", false},
	} {
		if got := d.MatchTCP(50123, 7020, true, []byte(tc.p)); got != tc.want {
			t.Errorf("MatchTCP(%q) = %v, want %v", tc.p, got, tc.want)
		}
	}
}

type tableCase struct {
	name string
	in   []delivery
	want []map[string]string
}

func tableCases() []tableCase {
	big := decl + "<HEL.R01>" + hdr("HEL.R01", "CTRLID4242") + `<DEV><DEV.model_id V="TooBig"/>` +
		strings.Repeat(`<DSC.topics_supported_cd V="OPL"/>`, 600) + "</DEV></HEL.R01>"
	return []tableCase{
		{"glucose meter hello", []delivery{c2s([]byte(glucoseHello))}, []map[string]string{glucoseFields}},
		{"blood gas hello: other order, quotes, escapes, aliases", []delivery{c2s([]byte(bloodGasHello))}, []map[string]string{bloodGasFields}},
		{
			"the whole conversation in single segments",
			func() []delivery { a, b := conversation(); return []delivery{c2s(a), s2c(b)} }(),
			[]map[string]string{glucoseFields},
		},
		{
			"several messages in one segment, hello not first",
			[]delivery{c2s(cat(dst, glucoseHello, obs)), s2c(cat(ack("x"), ack("y")))},
			[]map[string]string{glucoseFields},
		},
		{"observations alone: nothing", []delivery{c2s(cat(obs, obs, dst, eot)), s2c(cat(opl, ack("x")))}, nil},
		{"device status alone: nothing", []delivery{c2s([]byte(dst))}, nil},
		{
			"repeated hello reported once",
			[]delivery{c2s(cat(glucoseHello, glucoseHello)), c2s([]byte(glucoseHello))},
			[]map[string]string{glucoseFields},
		},
		{
			"a hello that changes is reported again",
			[]delivery{c2s(cat(glucoseHello, strings.Replace(glucoseHello, "03.02.05", "03.03.00", 1)))},
			[]map[string]string{glucoseFields, with(glucoseFields, "poct.sw_version", "03.03.00")},
		},
		{
			"truncated hello then a whole one: only the whole one",
			[]delivery{c2s(cat(strings.Replace(glucoseHello[:len(glucoseHello)-200], "Inform II", "Broken", 1), glucoseHello))},
			[]map[string]string{glucoseFields},
		},
		{
			"truncated hello without a declaration after it: the next root resynchronises",
			[]delivery{c2s(cat(strings.Replace(glucoseHello[:300], "Inform II", "Broken", 1), bloodGasHello))},
			[]map[string]string{bloodGasFields},
		},
		{
			"hello cut inside a value",
			[]delivery{c2s(cat(glucoseHello[:strings.Index(glucoseHello, "Inform")+3], "\r\n", bloodGasHello))},
			[]map[string]string{bloodGasFields},
		},
		{"truncated hello at the end: nothing", []delivery{c2s([]byte(glucoseHello[:len(glucoseHello)-20]))}, nil},
		{"a hello over the size bound is skipped", []delivery{c2s([]byte(big)), c2s([]byte(bloodGasHello))}, []map[string]string{bloodGasFields}},
		{
			"garbage: nothing",
			[]delivery{c2s([]byte("<<<<>>>><?<!--<![CDATA[\x00\xff</></HEL.R01><HEL.R01 V=\"x\"<DEV.model_id V='a")), c2s(bytes.Repeat([]byte("<HEL.R01 "), 40))},
			nil,
		},
		{
			"a hello with only a header",
			[]delivery{c2s([]byte(`<HEL.R01><HDR><HDR.version_id V="POCT1"/></HDR></HEL.R01>`))},
			[]map[string]string{{"poct.message": "HEL.R01", "poct.version": "POCT1"}},
		},
		{
			"values: empty, blank, control characters, long, bad UTF-8 and references",
			[]delivery{c2s([]byte(`<HEL.R01><DEV><DEV.model_id V=""/><DEV.serial_id V="   "/>` +
				`<DEV.device_name V="a&#0;b&#x202E;c&#1;&bogus;d&e&#xD800;f` + "\x01\xff\u00e9" + `"/>` +
				`<DEV.sw_version V="` + strings.Repeat("v", 126) + "\u00e9\u00e9" + `"/></DEV></HEL.R01>`))},
			[]map[string]string{{"poct.message": "HEL.R01", "poct.device_name": "abcd&ef\u00e9", "poct.sw_version": strings.Repeat("v", 126) + "\u00e9"}},
		},
		{
			"element text and other attributes are not values",
			[]delivery{c2s([]byte(`<HEL.R01><DEV><DEV.model_id SN="CANARY1">CANARY2</DEV.model_id><DEV.serial_id Vx="CANARY3" V="S1"/></DEV></HEL.R01>`))},
			[]map[string]string{{"poct.message": "HEL.R01", "poct.serial": "S1"}},
		},
		{
			"patient and operator elements inside a hello are not read",
			[]delivery{c2s([]byte(`<HEL.R01><PT><PT.patient_id V="CANARYPT0042"/></PT><OPR><OPR.name V="Nurse Canaryname"/></OPR><DEV><DEV.model_id V="M"/></DEV></HEL.R01>`))},
			[]map[string]string{{"poct.message": "HEL.R01", "poct.model": "M"}},
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
				if o.Protocol != "poct" {
					t.Errorf("protocol %q", o.Protocol)
				}
			}
		})
	}
}

// TestGolden pins whole observations (addressing, time, field order).
func TestGolden(t *testing.T) {
	dev, dm := conversation()
	for _, g := range []struct {
		name string
		in   []delivery
	}{
		{"glucose_meter_conversation", []delivery{c2s(dev[:100]), c2s(dev[100:]), s2c(dm)}},
		{"blood_gas_hello", []delivery{c2s([]byte(bloodGasHello)), s2c([]byte(ack("CTRLID4242")))}},
		{"observations_only", []delivery{c2s(cat(dst, obs, eot)), s2c(cat(ack("x"), opl))}},
	} {
		t.Run(g.name, func(t *testing.T) {
			obs := collect(t, New(), g.in...)
			dissecttest.NoCanary(t, obs, canaries...)
			testutil.Golden(t, g.name, obs)
		})
	}
}

// TestSplitEverywhere delivers each direction cut at every byte offset,
// and one byte at a time: the same observations come out, and no canary.
func TestSplitEverywhere(t *testing.T) {
	opts := cmpopts.EquateComparable(netip.Addr{})
	for _, mode := range []struct {
		name    string
		dev, dm []byte
	}{
		{"glucose", nil, nil},
		{"blood gas, obs first", cat(obs, bloodGasHello, obs), cat(ack("x"), opl)},
	} {
		dev, dm := mode.dev, mode.dm
		if dev == nil {
			dev, dm = conversation()
		}
		want := collect(t, New(), c2s(dev), s2c(dm))
		if len(want) != 1 {
			t.Fatalf("%s: %d observations, want 1", mode.name, len(want))
		}
		d := New()
		for cut := 0; cut <= max(len(dev), len(dm)); cut++ {
			var c observe.Collector
			st := d.NewStream()
			dissecttest.FeedInTurns(st, meta, true, dev, dm, cut, &c)
			if diff := cmp.Diff(want, c.Obs, opts); diff != "" {
				t.Fatalf("%s cut at %d (-whole +split):\n%s", mode.name, cut, diff)
			}
			dissecttest.NoCanary(t, c.Obs, canaries...)
		}
		var bytewise []delivery
		for i := range dev {
			bytewise = append(bytewise, c2s(dev[i:i+1]))
		}
		for i := range dm {
			bytewise = append(bytewise, s2c(dm[i:i+1]))
		}
		if diff := cmp.Diff(want, collect(t, d, bytewise...), opts); diff != "" {
			t.Errorf("%s byte by byte (-whole +split):\n%s", mode.name, diff)
		}
	}
}

// TestGapResync: a gap anywhere in a first Hello loses at most that
// message; the next Hello is reported as without the gap.
func TestGapResync(t *testing.T) {
	for _, msg := range []string{glucoseHello, bloodGasHello} {
		want := dissecttest.FieldMaps(collect(t, New(), c2s([]byte(bloodGasHello))))
		first := strings.ReplaceAll(msg, "V=\"", "V=\"X") // a Hello that differs
		for from := 1; from < len(first); from += 3 {
			for _, lost := range []int{1, 7, 40} {
				to := min(from+lost, len(first))
				obs := collect(t, New(), c2s([]byte(first[:from])), delivery{c2s: true, gap: true}, c2s([]byte(first[to:])), c2s([]byte(bloodGasHello)))
				if len(obs) == 0 {
					t.Fatalf("gap %d..%d: nothing reported", from, to)
				}
				if diff := cmp.Diff(want, dissecttest.FieldMaps(obs[len(obs)-1:])); diff != "" {
					t.Fatalf("gap %d..%d (-want +got):\n%s", from, to, diff)
				}
			}
		}
	}
}

// TestStopsInspecting: a few messages after the Hello, after MaxMessages
// messages or after MaxBytes, Data says done.
func TestStopsInspecting(t *testing.T) {
	var c observe.Collector
	st := New().NewStream()
	if st.Data(meta(true), true, []byte(glucoseHello), &c) {
		t.Fatal("done right after the hello")
	}
	done := false
	n := 0
	for ; n < 10 && !done; n++ {
		done = st.Data(meta(n%2 == 0), n%2 == 0, []byte(ack("x")), &c)
	}
	if !done || n != DefaultConfig().AfterHello {
		t.Fatalf("done=%v after %d more messages, want %d", done, n, DefaultConfig().AfterHello)
	}
	st = New().NewStream()
	done, n = false, 0
	for ; n < 100 && !done; n++ {
		done = st.Data(meta(true), true, []byte(obs), &c)
	}
	if !done || n != DefaultConfig().MaxMessages {
		t.Fatalf("done=%v after %d observation messages", done, n)
	}
	st = New().NewStream()
	done, n = false, 0
	junk := bytes.Repeat([]byte("x"), 4096)
	for ; n < 1000 && !done; n++ {
		done = st.Data(meta(true), true, junk, &c)
	}
	if !done || n*len(junk) != DefaultConfig().MaxBytes {
		t.Fatalf("done=%v after %d bytes", done, n*len(junk))
	}
	if len(c.Obs) != 1 {
		t.Fatalf("%d observations", len(c.Obs))
	}
}

// TestNoPHIKept: delivered byte by byte (every value straddles calls),
// nothing of an observation message is ever in the stream's buffers.
func TestNoPHIKept(t *testing.T) {
	d := New()
	st := d.NewStream().(*stream)
	in := cat(glucoseHello, obs, opl, dst, obs)
	for i := range in {
		st.Data(meta(true), true, in[i:i+1], observe.EmitterFunc(func(*observe.Observation) {}))
		for _, sd := range st.dir {
			for _, b := range [][]byte{sd.vbuf[:cap(sd.vbuf)], sd.name[:], d.norm[:cap(d.norm)]} {
				for _, c := range canaries {
					if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(c))) {
						t.Fatalf("canary %q in a buffer after byte %d", c, i)
					}
				}
			}
		}
	}
}
