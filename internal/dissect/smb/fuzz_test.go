package smb

import (
	"testing"

	"github.com/wardiomt/ward/internal/observe"
)

// FuzzStream feeds both directions, cut at an arbitrary point, through
// NetBIOS framing, SMB1/SMB2 parsing and NTLMSSP.
func FuzzStream(f *testing.F) {
	f.Add(negotiateRequest(0x0202, 0x0311), append(negotiateResponse(0x0311), sessionSetup(true, statusMoreProcessing, ntlmChallenge("S", map[uint16]string{1: "S", 3: "s.x"}))...), uint16(70))
	f.Add(append(smb1SessionSetupUnicode([]byte("NTLMSSP\x00\x01\x00\x00\x00"), "OS", "LM"), sessionSetup(false, 0, ntlmAuthenticate("D", "u", "H"))...), []byte{0x82, 0, 0, 0}, uint16(5))
	f.Fuzz(func(t *testing.T, c2s, s2c []byte, cut uint16) {
		s := New().NewStream()
		var c observe.Collector
		k := int(cut)
		parts := [][]byte{c2s[:min(k, len(c2s))], s2c[:min(k, len(s2c))], c2s[min(k, len(c2s)):], s2c[min(k, len(s2c)):]}
		for i, p := range parts {
			if s.Data(meta(i%2 == 0), i%2 == 0, p, &c) {
				break
			}
		}
		for _, o := range c.Obs {
			for _, fl := range o.Fields {
				if len(fl.Value) > 1024 {
					t.Fatalf("%s: %d bytes", fl.Key, len(fl.Value))
				}
			}
		}
	})
}

// FuzzNTLM feeds arbitrary security blobs to the NTLMSSP reader.
func FuzzNTLM(f *testing.F) {
	f.Add(ntlmAuthenticate("DOM", "user", "HOST"))
	f.Add(ntlmChallenge("T", map[uint16]string{1: "A", 2: "B", 3: "c", 4: "d"}))
	f.Add([]byte("NTLMSSP\x00\x01\x00\x00\x00\x00\x00\x00\x02"))
	f.Fuzz(func(t *testing.T, blob []byte) {
		s := New().NewStream().(*stream)
		var o observe.Observation
		s.ntlm(&o, blob)
	})
}
