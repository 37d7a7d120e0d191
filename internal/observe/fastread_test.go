package observe

import (
	"net"
	"reflect"
	"testing"
	"time"
)

// fastSeeds are observations as Ward writes them and as people and other
// tools might: spacing, nulls, reordered keys, escapes, odd numbers, case.
func fastSeeds() []string {
	plain := Observation{Time: time.Date(2026, 3, 2, 8, 0, 1, 5000, time.UTC), SrcMAC: net.HardwareAddr{0, 0x10, 0x8d, 1, 2, 3},
		Protocol: "bacnet", Transport: "udp", SrcPort: 47808, DstPort: 47808,
		Fields: []Field{{"bacnet.device_instance", "10060"}, {"bacnet.model_name", "Metasys NAE5510"}}}
	s := sample()
	return []string{
		string(plain.AppendJSON(nil)),
		string(s.AppendJSON(nil)),
		`{"time":"2026-01-01T00:00:00Z","src_mac":null,"src_ip":null,"dst_mac":null,"dst_ip":null,"src_port":null,"dst_port":null,"transport":null,"protocol":"arp","fields":{}}`,
		` { "protocol" : "x" , "time" : "2026-01-01T00:00:00.5+01:00" , "fields" : { "x.a" : "1" , "x.b" : "2" } } `,
		`{"time":"2026-01-01T00:00:00Z","protocol":"x","fields":{"x.b":"1","x.a":"2"}}`,
		`{"time":"2026-01-01T00:00:00Z","protocol":"x","fields":{"x.a":"1","x.a":"2"}}`,
		`{"time":"2026-01-01T00:00:00Z","protocol":"x","protocol":"y"}`,
		`{"Time":"2026-01-01T00:00:00Z","protocol":"x"}`,
		`{"time":"2026-01-01T00:00:00Z","protocol":"x","src_port":080}`,
		`{"time":"2026-01-01T00:00:00Z","protocol":"x","src_port":8e1}`,
		`{"time":"2026-01-01T00:00:00Z","protocol":"x","src_port":65536}`,
		`{"time":"2026-01-01T00:00:00Z","protocol":"x","src_port":-1}`,
		`{"time":"2026-01-01T00:00:00Z","protocol":"x","extra":1}`,
		`{"time":"2026-01-01T00:00:00Z","protocol":"x","fields":null}`,
		`{"time":"2026-01-01T00:00:00Z","protocol":"x",}`,
		`{"time":"2026-01-01T00:00:00Z","protocol":"x"} x`,
		`{"time":"2026-01-01T00:00:00Z","protocol":"\u0078"}`,
		"{\"time\":\"2026-01-01T00:00:00Z\",\"protocol\":\"x\",\"fields\":{\"x.a\":\"\xff\"}}",
		"{\"time\":\"2026-01-01T00:00:00Z\",\"protocol\":\"x\",\"fields\":{\"x.a\":\"a\tb\"}}",
		`{"time":"2026-01-01T00:00:00Z","protocol":""}`,
		`{"protocol":"x"}`,
		`{}`,
		`[]`,
	}
}

// checkAgrees fails when the fast reader accepts what encoding/json's path
// rejects, or reads it differently.
func checkAgrees(t *testing.T, b []byte) {
	var slow, fast Observation
	serr := slow.slowUnmarshal(b)
	if !fastUnmarshal(b, &fast) {
		return
	}
	if serr != nil {
		t.Fatalf("%q: fast path accepted, encoding/json: %v", b, serr)
	}
	if !reflect.DeepEqual(slow, fast) {
		t.Fatalf("%q read differently:\nslow %#v\nfast %#v", b, slow, fast)
	}
}

func TestFastUnmarshalAgrees(t *testing.T) {
	took := 0
	for _, s := range fastSeeds() {
		checkAgrees(t, []byte(s))
		var o Observation
		if fastUnmarshal([]byte(s), &o) {
			took++
		}
	}
	// Ward's own layout, with and without spacing, must take the fast path.
	if took < 4 {
		t.Errorf("the fast path read %d of the seeds, want Ward's own layouts at least", took)
	}
	s := sample()
	s.Fields = s.Fields[:1] // no escapes
	var o Observation
	if !fastUnmarshal(s.AppendJSON(nil), &o) {
		t.Errorf("Ward's own output %s left to encoding/json", s.AppendJSON(nil))
	}
}

func FuzzFastUnmarshalAgrees(f *testing.F) {
	for _, s := range fastSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkAgrees(t, b) })
}

func BenchmarkUnmarshal(b *testing.B) {
	o := Observation{Time: time.Date(2026, 3, 2, 8, 0, 1, 5000, time.UTC), SrcMAC: net.HardwareAddr{0, 0x10, 0x8d, 1, 2, 3},
		Protocol: "hl7", Transport: "tcp", SrcPort: 51000, DstPort: 2575,
		Fields: []Field{{"hl7.message_type", "ORU^R01"}, {"hl7.sending_application", "MX800^00095CFFFE0DA991^EUI-64"}, {"hl7.version", "2.6"}}}
	data := o.AppendJSON(nil)
	b.ReportAllocs()
	for b.Loop() {
		var back Observation
		if err := back.UnmarshalJSON(data); err != nil {
			b.Fatal(err)
		}
	}
}
