package modbus

import (
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzModbus feeds a client and a server direction, cut at an arbitrary
// point, on 502 or (odd cuts) off it, after asking MatchTCP about the
// server's bytes. Seeds are the captures' conversations.
func FuzzModbus(f *testing.F) {
	for _, conv := range dissecttest.RecordTCP(f, New(), dissecttest.Testdata(upsCapture+".pcap", offCapture+".pcap")...) {
		var c2s, s2c []byte
		for _, dl := range conv {
			if dl.C2S {
				c2s = append(c2s, dl.Data...)
			} else {
				s2c = append(s2c, dl.Data...)
			}
		}
		f.Add(c2s, s2c, uint16(9))
		f.Add(c2s[:12], s2c[:min(len(s2c), 300)], uint16(3))
	}
	f.Add(poll, cat(polled, mbap(2, 1, vendorID...), mbap(3, 1, fcDevID|exception, 1)), uint16(4))
	keys := map[string]bool{"modbus.role": true, "modbus.unit_id": true, "modbus.writes": true}
	for _, k := range objectKeys {
		keys[k] = true
	}
	ports := [2]func(bool) *dissect.Meta{meta, dissecttest.TCPMeta(50000, 5020)}
	f.Fuzz(func(t *testing.T, c2s, s2c []byte, cut uint16) {
		d := New()
		d.MatchTCP(5020, 50000, false, s2c)
		d.MatchTCP(50000, Port, true, c2s)
		s := d.NewStream()
		var c observe.Collector
		done := dissecttest.FeedInTurns(s, ports[cut%2], true, c2s, s2c, int(cut), &c)
		if done && !s.Data(meta(false), false, s2c, &c) {
			t.Fatal("not done after done")
		}
		writes := 0
		for _, o := range c.Obs {
			if o.Protocol != "modbus" {
				t.Fatalf("protocol %q", o.Protocol)
			}
			unit, ok := o.Get("modbus.unit_id")
			if n, err := strconv.Atoi(unit); !ok || err != nil || n < 0 || n > 255 {
				t.Fatalf("unit id %q", unit)
			}
			for _, fl := range o.Fields {
				if !keys[fl.Key] || len(fl.Value) > maxText || !utf8.ValidString(fl.Value) {
					t.Fatalf("%s=%q", fl.Key, fl.Value)
				}
				if fl.Key == "modbus.writes" {
					writes++
				}
			}
		}
		if writes > 1 {
			t.Fatalf("writes reported %d times", writes)
		}
	})
}
