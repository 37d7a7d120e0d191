package snmp

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// constants holds every fixed value the dissector emits.
var constants = strings.Join(pduNames[:], " ") + " v1 v2c v2u v3 seen noAuthNoPriv authNoPriv authPriv"

// FuzzDissectUDP: no panic, bounded output, and the community string of the
// input never appears in what is emitted.
func FuzzDissectUDP(f *testing.F) {
	for _, name := range captures {
		for _, p := range dissecttest.MatchedUDPPayloads(f, filepath.Join("testdata", name+".pcap"), New().MatchUDP) {
			f.Add(p)
		}
	}
	d := New()
	m := &dissect.Meta{}
	f.Fuzz(func(t *testing.T, p []byte) {
		// The community leaks if it shows up in output although no byte
		// after it (where every emitted value comes from) repeats it.
		var community string
		if _, body, _, err := readTLV(p); err == nil {
			if _, _, rest, err := readTLV(body); err == nil {
				if tag, c, after, err := readTLV(rest); err == nil && tag == tagOctets && len(c) >= 4 &&
					!bytes.Contains(after, c) && !strings.Contains(constants, string(c)) {
					community = string(c)
				}
			}
		}
		_ = d.DissectUDP(m, p, observe.EmitterFunc(func(o *observe.Observation) {
			for _, fl := range o.Fields {
				if len(fl.Value) > 4*maxText {
					t.Fatalf("%s: %d bytes", fl.Key, len(fl.Value))
				}
				if community != "" && strings.Contains(fl.Value, community) {
					t.Fatalf("community leaked in %s", fl.Key)
				}
			}
		}))
	})
}
