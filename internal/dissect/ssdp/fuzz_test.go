package ssdp

import (
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzDissectUDP: no panic; every value is valid UTF-8 and bounded.
func FuzzDissectUDP(f *testing.F) {
	for _, name := range []string{"ssdp-m-search-ua", "ssdp-m-search"} {
		for _, p := range dissecttest.MatchedUDPPayloads(f, filepath.Join("testdata", name+".pcap"), New().MatchUDP) {
			f.Add(p)
		}
	}
	f.Add([]byte("NOTIFY * HTTP/1.1\r\nSERVER: a\r\nLOCATION: b\r\nUSN: c\r\nNT: d\r\nNTS: e\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nST: x\r\nSERVER: y\r\n\r\n"))
	d := New()
	m := &dissect.Meta{}
	f.Fuzz(func(t *testing.T, p []byte) {
		_ = d.DissectUDP(m, p, observe.EmitterFunc(func(o *observe.Observation) {
			for _, fl := range o.Fields {
				if len(fl.Value) > 4*maxText || !utf8.ValidString(fl.Value) {
					t.Fatalf("%s: bad value %q", fl.Key, fl.Value)
				}
			}
		}))
	})
}
