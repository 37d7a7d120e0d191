package hl7

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzHL7 drives the MLLP framer and the message parser with chunked input.
func FuzzHL7(f *testing.F) {
	f.Add(mllp(pcd01("\r", '|', '^', '~', '\\', '&')), uint16(1500))
	f.Add(mllp(pcd01("\n", '#', '$', '*', '!', '%')), uint16(7))
	f.Add(mllp("FHS|^~\\&|A\rBHS|^~\\&\rMSH|^~\\&|A|B|C|D|||ACK|1|P|2.3\rMSA|AA|1\rBTS|1\rFTS|1\r"), uint16(3))
	f.Add(mllp("MSH|^~\\&|GW|F|||||ORU^R01|1|P|2.7\rPRT|1|UC||||||||PUMP^BD^00B094^EUI-64||||||UDI\rOBX|1|ST|67880^MDC_ATTR_ID_MODEL^MDC|1.0.0.0.1|A^B SN:1 SW: 2 FW:|\r"), uint16(5))
	f.Add([]byte("MSH|"), uint16(1))
	f.Fuzz(func(t *testing.T, b []byte, chunk uint16) {
		d, err := NewWithConfig(Config{MaxMessage: 4096, MaxMessages: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		st := d.NewStream()
		var c observe.Collector
		n := int(chunk%2048) + 1
		for first := true; len(b) > 0; first = false {
			k := min(n, len(b))
			st.Data(meta(true), true, b[:k], &c)
			b = b[k:]
			if first && chunk&0x8000 != 0 { // a hole after the first piece
				st.Gap(true)
			}
		}
		st.(dissect.Ender).End(meta(true), &c)
		if d.guard.Dropped != 0 {
			t.Fatalf("guard dropped %d fields", d.guard.Dropped)
		}
	})
}
