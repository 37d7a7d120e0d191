package nbns

import (
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

func check(t *testing.T) observe.Emitter {
	return observe.EmitterFunc(func(o *observe.Observation) {
		for _, fl := range o.Fields {
			if len(fl.Value) > 1024 || !utf8.ValidString(fl.Value) {
				t.Fatalf("%s: bad value %q", fl.Key, fl.Value)
			}
		}
	})
}

// FuzzDissectUDP: the name service never panics and emits clean values.
func FuzzDissectUDP(f *testing.F) {
	for _, name := range goldens {
		for _, p := range dissecttest.MatchedUDPPayloads(f, filepath.Join("testdata", name+".pcap"), New().MatchUDP) {
			f.Add(p)
		}
	}
	d := New()
	m := &dissect.Meta{}
	f.Fuzz(func(t *testing.T, p []byte) { _ = d.DissectUDP(m, p, check(t)) })
}

// FuzzBrowser: the datagram/SMB/browser walk never panics.
func FuzzBrowser(f *testing.F) {
	for _, name := range goldens {
		for _, p := range dissecttest.MatchedUDPPayloads(f, filepath.Join("testdata", name+".pcap"), NewBrowser().MatchUDP) {
			f.Add(p)
		}
	}
	d := NewBrowser()
	m := &dissect.Meta{}
	f.Fuzz(func(t *testing.T, p []byte) { _ = d.DissectUDP(m, p, check(t)) })
}

// FuzzBrowserFrame: the NetBEUI path never panics.
func FuzzBrowserFrame(f *testing.F) {
	for _, fr := range dissecttest.FramePayloads(f, filepath.Join("testdata", "dos_win98_smb_netbeui.pcap")) {
		if len(fr) > 17 && fr[12] < 0x06 && fr[14] == sapNetBIOS {
			f.Add(fr[14:])
		}
	}
	d := NewBrowser()
	m := &dissect.Meta{}
	f.Fuzz(func(t *testing.T, p []byte) { _ = d.DissectFrame(m, p, check(t)) })
}
