package bacnet

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// FuzzBACnet feeds datagrams seeded from the captures (and the shared one
// when it is there) to both MatchUDP and DissectUDP: no panic, at most one
// observation, and only bounded, valid UTF-8 values and device instances
// that fit 22 bits.
func FuzzBACnet(f *testing.F) {
	paths := []string{filepath.Join("testdata", capture+".pcap")}
	shared := filepath.Join(testutil.RepoRoot(f), "..", "shared", "data", "pcaps", "ndpi", "bacnet.pcap")
	if _, err := os.Stat(shared); err == nil {
		paths = append(paths, shared)
	}
	for _, p := range paths {
		for _, pl := range dissecttest.UDPPayloads(f, p) {
			f.Add(pl)
		}
	}
	f.Add(bvll(0x0b, unhex("0128 ffff 00 0bb8 06 0a0b0c0dbac0 fe"), unhex(iAmAPDU)))
	f.Add(bvll(0x04, unhex("0a140207bac0"), unhex(npduAHU+iAmAPDU)))
	f.Add(bvll(0x0a, unhex("0100 3c05 0004 0e"), rpmACK()[:47]))
	f.Add(rpACK(8, 7, 58, appStr(4, unhex("fffe 4f00 5200 2000 3300"))))
	d := New() // one dissector throughout: its reused buffers must not leak between datagrams
	f.Fuzz(func(t *testing.T, p []byte) {
		_ = d.MatchUDP(47808, Port, p)
		var c observe.Collector
		_ = d.DissectUDP(dissecttest.UDPMeta(), p, &c)
		if len(c.Obs) > 1 {
			t.Fatalf("%d observations", len(c.Obs))
		}
		for _, o := range c.Obs {
			inst, ok := o.Get("bacnet.device_instance")
			if n, err := strconv.ParseUint(inst, 10, 32); !ok || err != nil || n > 0x3fffff {
				t.Fatalf("device instance %q", inst)
			}
			for _, fl := range o.Fields {
				if fl.Value == "" || len(fl.Value) > maxText || !utf8.ValidString(fl.Value) {
					t.Fatalf("%s = %q", fl.Key, fl.Value)
				}
			}
		}
	})
}
