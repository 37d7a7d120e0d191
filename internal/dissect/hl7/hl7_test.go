package hl7

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/medtest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

func meta(c2s bool) *dissect.Meta {
	m := &dissect.Meta{
		Time: time.Unix(1700000000, 0), SrcMAC: net.HardwareAddr{0, 9, 0xfb, 1, 2, 3}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1},
		SrcIP: netip.MustParseAddr("10.1.0.20"), DstIP: netip.MustParseAddr("10.1.0.2"), SrcPort: 50000, DstPort: 2575, Transport: "tcp",
	}
	if !c2s {
		r := m.Reverse()
		return &r
	}
	return m
}

func mllp(msgs ...string) []byte {
	var b []byte
	for _, m := range msgs {
		b = append(b, 0x0B)
		b = append(b, m...)
		b = append(b, 0x1C, 0x0D)
	}
	return b
}

// pcd01 is an IHE PCD-01 report with canary PHI in PID/NK1/PV1/OBR/NTE and a
// canary measurement value; seg joins segments with the given terminator.
func pcd01(term string, f, c, r, e, s byte) string {
	enc := string([]byte{c, r, e, s})
	j := func(fs ...string) string { return strings.Join(fs, string(f)) }
	cs := func(xs ...string) string { return strings.Join(xs, string(c)) }
	segs := []string{
		j("MSH", enc, cs("MONITOR", "0009FB0000000001", "EUI-64"), "ICU"+string(e)+"F"+string(e)+"EAST", cs("GW", "", ""), "HOSP", "20240101000000", "", cs("ORU", "R01", "ORU_R01"), "MSG1", "P", "2.6", "", "", "NE", "AL", "", "", "", "", cs("IHE_PCD_001", "IHE PCD", "1.3.6.1.4.1.19376.1.6.1.1.1", "ISO")),
		j("PID", "", "", cs("CANARYPID77", "", "", "HOSP", "MR"), "", cs("CANARY", "ALICE"), "", "19450607", "F"),
		j("PD1", "", "", "CANARYPD1"),
		j("NK1", "1", cs("CANARY", "BOB"), "SPO"),
		j("PV1", "", "I", cs("ICU", "", "CANARYBED")),
		j("OBR", "1", "CANARYORDER", "", "182777000"),
		j("OBX", "1", "", cs("69965", "MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS", "MDC"), "1.0.0.0", "", "", "", "", "", "", "X", "", "", "", "", "", "", cs("0009FB0000000001", "Philips", "0009FB0000000001", "EUI-64")),
		j("OBX", "2", "ST", cs("67880", "MDC_ATTR_ID_MODEL", "MDC"), "1.0.0.0.1", cs("Philips", "MX450"), "", "", "", "", "", "R"),
		j("OBX", "3", "ST", cs("531969", "MDC_ID_PROD_SPEC_SERIAL", "MDC"), "1.0.0.0.2", "DE12345678", "", "", "", "", "", "R"),
		j("OBX", "4", "ST", cs("531972", "MDC_ID_PROD_SPEC_SW", "MDC"), "1.0.0.0.3", "M.00.03", "", "", "", "", "", "R"),
		j("OBX", "5", "ST", cs("531973", "MDC_ID_PROD_SPEC_FW", "MDC"), "1.0.0.0.4", "FW 2"+string(e)+"T"+string(e)+"1", "", "", "", "", "", "R"),
		j("OBX", "6", "NM", cs("150456", "MDC_PULS_OXIM_SAT_O2", "MDC"), "1.2.1.1", "97.123456", cs("262688", "MDC_DIM_PERCENT", "MDC"), "", "", "", "", "R", "", "", "", "", "", "", cs("0009FB0000000001", "Philips", "0009FB0000000001", "EUI-64")),
		j("OBX", "7", "ST", cs("0", "CANARYNOTE", "99LOCAL"), "", "CANARY^FREE^TEXT"),
		j("NTE", "1", "", "CANARY comment"),
		j("IN1", "1", "CANARYINS"),
		j("GT1", "1", "", cs("CANARY", "GUARANTOR")),
	}
	return strings.Join(segs, term) + term
}

var canaries = []string{"CANARY", "19450607", "97.123456"}

func collect(t *testing.T, d *Dissector, chunks ...[]byte) []observe.Observation {
	t.Helper()
	var c observe.Collector
	st := d.NewStream()
	for _, ch := range chunks {
		st.Data(meta(true), true, ch, &c)
	}
	st.(dissect.Ender).End(meta(true), &c)
	return c.Obs
}

// TestRepeatsCounted: a connection repeating the same header is reported
// once, then as one count per hour; a new header or direction ends a count.
func TestRepeatsCounted(t *testing.T) {
	oru := func(id string) string {
		return "MSH|^~\\&|MON^0009FBFFFE000001^EUI-64|ICU|GW|HOSP|20240101||ORU^R01|" + id + "|P|2.6\rPID|1||CANARY" + id +
			"\rOBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.1.1.1|97|%|||||F\r"
	}
	ack := "MSH|^~\\&|GW|HOSP|MON|ICU|20240101||ACK|A1|P|2.6\rMSA|AA|1\r"
	d := New()
	var c observe.Collector
	st := d.NewStream()
	at := func(sec int64, c2s bool) *dissect.Meta {
		m := meta(c2s)
		m.Time = time.Unix(1700000000+sec, 0) // 22:13:20 UTC: the hour ends at +2800 s
		return m
	}
	for i := 0; i < 5; i++ {
		st.Data(at(int64(i), true), true, mllp(oru(strconv.Itoa(i))), &c)
		st.Data(at(int64(i), false), false, mllp(ack), &c)
	}
	for i := 0; i < 3; i++ { // the next hour
		st.Data(at(3000+int64(i), true), true, mllp(oru("h"+strconv.Itoa(i))), &c)
	}
	st.(dissect.Ender).End(at(3003, true), &c)
	type row struct{ typ, msgs, results string }
	var got []row
	total := 0
	for _, o := range c.Obs {
		if typ, ok := o.Get("hl7.message_type"); ok {
			m, _ := o.Get("hl7.messages")
			r, _ := o.Get("hl7.results")
			got = append(got, row{typ, m, r})
			n, _ := strconv.Atoi(r)
			total += n
		}
	}
	// ORU one way and ACK the other: each direction counts its own
	// repeats; the new hour closes both counts, the end the last one.
	want := []row{
		{"ORU^R01", "", "1"}, {"ACK", "", ""},
		{"ORU^R01", "4", "4"}, {"ACK", "4", ""},
		{"ORU^R01", "", "1"}, {"ORU^R01", "2", "2"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(row{})); diff != "" {
		t.Errorf("message observations (-want +got):\n%s", diff)
	}
	if total != 8 {
		t.Errorf("results sum to %d, want 8 (one per ORU)", total)
	}
	medtest.AssertNoCanary(t, c.Obs, nil, "CANARY")
}

func TestPCD01Delimiters(t *testing.T) {
	wantDev := map[string]string{
		"hl7.equipment_id":        "0009FB0000000001^Philips^0009FB0000000001^EUI-64",
		"hl7.device_type":         "69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC",
		"hl7.device_manufacturer": "Philips",
		"hl7.device_model":        "MX450",
		"hl7.device_serial":       "DE12345678",
		"hl7.device_software":     "M.00.03",
		"hl7.device_firmware":     "FW 2&1",
	}
	cases := []struct {
		name          string
		term          string
		f, c, r, e, s byte
	}{
		{"standard-cr", "\r", '|', '^', '~', '\\', '&'},
		{"lf", "\n", '|', '^', '~', '\\', '&'},
		{"crlf", "\r\n", '|', '^', '~', '\\', '&'},
		{"custom", "\r", '#', '$', '*', '!', '%'},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := New()
			obs := collect(t, d, mllp(pcd01(tc.term, tc.f, tc.c, tc.r, tc.e, tc.s)))
			if len(obs) != 2 {
				t.Fatalf("got %d observations, want message + device: %v", len(obs), obs)
			}
			msgWant := map[string]string{
				"hl7.sending_application":   "MONITOR^0009FB0000000001^EUI-64",
				"hl7.sending_facility":      "ICU|EAST",
				"hl7.receiving_application": "GW^^",
				"hl7.receiving_facility":    "HOSP",
				"hl7.message_type":          "ORU^R01",
				"hl7.version":               "2.6",
				"hl7.profile":               "IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO",
				"hl7.observation_codes":     "69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC,67880^MDC_ATTR_ID_MODEL^MDC,531969^MDC_ID_PROD_SPEC_SERIAL^MDC,531972^MDC_ID_PROD_SPEC_SW^MDC,531973^MDC_ID_PROD_SPEC_FW^MDC,150456^MDC_PULS_OXIM_SAT_O2^MDC",
				"hl7.results":               "1",
			}
			dev := maps.Clone(wantDev)
			if tc.f == '#' {
				// Escapes decode to the message's own delimiter characters.
				msgWant["hl7.sending_facility"] = "ICU#EAST"
				dev["hl7.device_firmware"] = "FW 2%1"
			}
			if diff := cmp.Diff(msgWant, fields(obs[0])); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(dev, fields(obs[1])); diff != "" {
				t.Errorf("device (-want +got):\n%s", diff)
			}
			medtest.AssertNoCanary(t, obs, nil, canaries...)
			if d.guard.Dropped != 0 {
				t.Errorf("PHI guard dropped %d fields", d.guard.Dropped)
			}
		})
	}
}

func fields(o observe.Observation) map[string]string {
	m := map[string]string{}
	for _, f := range o.Fields {
		m[f.Key] = f.Value
	}
	return m
}

// TestFraming: batches, several frames per segment, frames split byte by
// byte, garbage between frames, an oversized frame, a gap.
func TestFraming(t *testing.T) {
	msg := func(id string) string {
		return "MSH|^~\\&|APP|FAC|RCV|RFAC|20240101||ADT^A01|" + id + "|P|2.5\rPID|1||CANARY" + id + "\r"
	}
	ack := "MSH|^~\\&|RCV|RFAC|APP|FAC|20240101||ACK|A1|P|2.5\rMSA|AA|1\r"
	batch := "FHS|^~\\&|APP\rBHS|^~\\&|APP\r" + msg("1") + msg("2") + "BTS|2\rFTS|1\r"
	t.Run("batch", func(t *testing.T) {
		obs := collect(t, New(), mllp(batch))
		if got := medtest.Values(obs, "hl7.message_type"); !cmp.Equal(got, []string{"ADT^A01", "ADT^A01"}) {
			t.Errorf("batch messages = %v", got)
		}
	})
	t.Run("many-per-segment-and-split", func(t *testing.T) {
		all := append([]byte("garbage\x1c\r"), mllp(msg("1"), ack, msg("2"))...)
		all = append(all, "junk between"...)
		all = append(all, mllp(msg("3"))...)
		for _, size := range []int{1, 3, 50, len(all)} {
			var chunks [][]byte
			for b := all; len(b) > 0; {
				n := min(size, len(b))
				chunks = append(chunks, b[:n])
				b = b[n:]
			}
			obs := collect(t, New(), chunks...)
			got := medtest.Values(obs, "hl7.message_type")
			if !cmp.Equal(got, []string{"ADT^A01", "ACK", "ADT^A01", "ADT^A01"}) {
				t.Errorf("chunk %d: messages = %v", size, got)
			}
			if a := medtest.Values(obs, "hl7.ack_code"); !cmp.Equal(a, []string{"AA"}) {
				t.Errorf("chunk %d: ack codes = %v", size, a)
			}
			medtest.AssertNoCanary(t, obs, nil, "CANARY")
		}
	})
	t.Run("oversized-and-gap", func(t *testing.T) {
		d, err := NewWithConfig(Config{MaxMessage: 1024, MaxMessages: 64})
		if err != nil {
			t.Fatal(err)
		}
		var c observe.Collector
		st := d.NewStream()
		big := append([]byte{0x0B}, msg("9")...)
		big = append(big, make([]byte, 4096)...)
		st.Data(meta(true), true, big[:2000], &c)
		st.Data(meta(true), true, big[2000:], &c)
		st.Data(meta(true), true, []byte{0x1C, 0x0D}, &c)
		st.Data(meta(true), true, mllp(msg("1"))[:30], &c)
		st.Gap(true)
		st.Data(meta(true), true, []byte("lost tail\x1c\r"), &c)
		st.Data(meta(true), true, mllp(msg("2")), &c)
		if got := medtest.Values(c.Obs, "hl7.message_type"); !cmp.Equal(got, []string{"ADT^A01"}) {
			t.Errorf("messages = %v, want only the one after the gap", got)
		}
	})
}

func TestPRTAndLabels(t *testing.T) {
	m := "MSH|^~\\&|PUMPGW|ICU|EMR|HOSP|20240101||ORU^R01^ORU_R01|1|P|2.7\r" +
		"PRT|1|UC||RO^Reporting Observer^HL70912||||||PUMP123^BD^00B094FFFE000001^EUI-64||||||(01)00885403123456(21)SN99\r" +
		"OBX|1|ST|531968^MDC_ID_PROD_SPEC_UNSPECIFIED^MDC|1.0.0.0.1|Alaris 8015 SN: 1234 FW:9.1 HW:C||||||R|||||||00B094FFFE000001^BD^00B094FFFE000001^EUI-64\r"
	obs := collect(t, New(), mllp(m))
	if got := medtest.Values(obs, "hl7.device"); !cmp.Equal(got, []string{"PUMP123^BD^00B094FFFE000001^EUI-64", "(01)00885403123456(21)SN99"}) {
		t.Errorf("hl7.device = %v", got)
	}
	var dev map[string]string
	for _, o := range obs {
		if _, ok := o.Get("hl7.equipment_id"); ok {
			dev = fields(o)
		}
	}
	want := map[string]string{
		"hl7.equipment_id": "00B094FFFE000001^BD^00B094FFFE000001^EUI-64", "hl7.device_model": "Alaris 8015",
		"hl7.device_serial": "1234", "hl7.device_firmware": "9.1", "hl7.device_hardware": "C",
	}
	if diff := cmp.Diff(want, dev); diff != "" {
		t.Errorf("device (-want +got):\n%s", diff)
	}
}

// TestSharedCaptures compares with the captures' truth.json and with tshark's
// hl7.message.type / hl7.event.type per frame.
func TestSharedCaptures(t *testing.T) {
	dir := testutil.SharedData(t, "pcaps/hl7")
	oracle := testutil.SharedData(t, "pcaps/oracle")
	var truth struct {
		Captures map[string]struct {
			Msh3                    string `json:"msh_3"`
			Msh4                    string `json:"msh_4"`
			Msh5                    string `json:"msh_5"`
			Msh12                   string `json:"msh_12"`
			Message                 string
			Obx18                   string `json:"obx_18_equipment"`
			DeviceType              string `json:"device_type_mdc"`
			Model, Serial, Software string
			Ack                     string
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	agree, total := map[string]int{}, map[string]int{}
	check := func(field, file, want, got string) {
		total[field]++
		if want == got {
			agree[field]++
			return
		}
		t.Logf("%s %s: want %q got %q", file, field, want, got)
	}
	for name, tr := range truth.Captures {
		obs, _ := medtest.Run(t, decode.DefaultConfig(), medtest.ReadPackets(t, filepath.Join(dir, name)), New())
		medtest.AssertNoCanary(t, obs, nil, "SYNTHETIC^PATIENT", "SYN0001", "19700101", "ICU^^BED01", "SYN9999")
		byKey := map[string]string{}
		for _, o := range obs {
			if v, _ := o.Get("hl7.message_type"); v == "ACK" {
				if a, ok := o.Get("hl7.ack_code"); ok {
					byKey["ack"] = a
				}
				continue
			}
			for _, f := range o.Fields {
				byKey[f.Key] = f.Value
			}
		}
		check("sending_application", name, tr.Msh3, byKey["hl7.sending_application"])
		check("sending_facility", name, tr.Msh4, byKey["hl7.sending_facility"])
		if tr.Msh5 != "" {
			check("receiving_application", name, tr.Msh5, byKey["hl7.receiving_application"])
		}
		check("version", name, tr.Msh12, byKey["hl7.version"])
		mt := strings.Split(tr.Message, "^")
		check("message_type", name, mt[0]+"^"+mt[1], byKey["hl7.message_type"])
		check("ack_code", name, strings.Split(tr.Ack, "|")[1], byKey["ack"])
		if tr.Obx18 != "" {
			check("equipment_id", name, tr.Obx18, byKey["hl7.equipment_id"])
			check("device_type", name, tr.DeviceType+"^MDC", byKey["hl7.device_type"])
			check("device_model", name, tr.Model, byKey["hl7.device_model"])
			check("device_serial", name, tr.Serial, byKey["hl7.device_serial"])
			check("device_software", name, tr.Software, byKey["hl7.device_software"])
		}
	}
	// Oracle: per frame (observation time == frame.time_epoch), tshark's
	// message type and event against Ward's hl7.message_type.
	for _, f := range []string{"hl7/mllp_send_pcd01_infusion_pump.pcap", "hl7/mllp_send_pcd01_patient_monitor.pcap", "hl7/simplehl7_adt_a01.pcap", "ndpi/hl7.pcap"} {
		pcap := testutil.SharedData(t, filepath.Join("pcaps", f))
		obs, _ := medtest.Run(t, decode.DefaultConfig(), medtest.ReadPackets(t, pcap), New())
		got := map[string]string{}
		for _, o := range obs {
			if v, ok := o.Get("hl7.message_type"); ok {
				got[fmt.Sprintf("%.6f", float64(o.Time.UnixMicro())/1e6)] = v
			}
		}
		rows := readTSV(t, filepath.Join(oracle, strings.ReplaceAll(f, "/", "__")+".tsv"))
		for _, r := range rows {
			if r["hl7.message.type"] == "" {
				continue
			}
			want := r["hl7.message.type"]
			if ev := r["hl7.event.type"]; ev != "" {
				want += "^" + ev
			}
			check("oracle.message_type", f+" frame "+r["frame.number"], want, got[r["frame.time_epoch"][:len(r["frame.time_epoch"])-3]])
		}
	}
	for k, n := range total {
		pct := 100 * float64(agree[k]) / float64(n)
		t.Logf("%-24s %d/%d (%.1f%%)", k, agree[k], n, pct)
		if pct < 99 {
			t.Errorf("%s agreement %.1f%% < 99%%", k, pct)
		}
	}
}

func readTSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = '\t', true, -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, v := range rec {
			if i < len(recs[0]) {
				m[recs[0][i]] = v
			}
		}
		out = append(out, m)
	}
	return out
}

// TestGapCutsFrame: a frame a hole cut (a capture's short snap length)
// still gives its whole segments, MSH first, when that side sends again or
// the conversation ends; the cut segment is not read and no patient
// segment's text comes out.
func TestGapCutsFrame(t *testing.T) {
	msg := mllp(pcd01("\r", '|', '^', '~', '\\', '&'))
	// Cut inside the second OBX: MSH, PID..OBR and OBX 1 are whole.
	cut := bytes.Index(msg, []byte("OBX|2|")) + 12
	for _, atEnd := range []bool{false, true} {
		d := New()
		st := d.NewStream()
		var c observe.Collector
		st.Data(meta(true), true, msg[:cut], &c)
		st.Gap(true)
		if atEnd {
			st.(dissect.Ender).End(meta(true), &c)
		} else {
			st.Data(meta(true), true, mllp("MSH|^~\\&|NEXT|F|R|F|20240101||ADT^A01|2|P|2.5\r"), &c)
		}
		var types, senders []string
		for _, o := range c.Obs {
			if v, ok := o.Get("hl7.message_type"); ok {
				types = append(types, v)
			}
			if v, ok := o.Get("hl7.sending_application"); ok {
				senders = append(senders, v)
			}
		}
		if len(types) == 0 || types[0] != "ORU^R01" || senders[0] != "MONITOR^0009FB0000000001^EUI-64" {
			t.Errorf("atEnd=%v: message types %v, senders %v", atEnd, types, senders)
		}
		if !atEnd && (len(types) != 2 || types[1] != "ADT^A01") {
			t.Errorf("the next frame after the cut one: %v", types)
		}
		for _, o := range c.Obs {
			if v, ok := o.Get("hl7.device_model"); ok {
				t.Errorf("the cut OBX was read: model %q", v)
			}
		}
		medtest.AssertNoCanary(t, c.Obs, nil, canaries...)
	}
}
