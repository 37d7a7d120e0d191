package http

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
)

// TestOneDissectorLikeFresh replays every conversation of the test
// captures through one dissector, whose caches and reused streams carry
// over from conversation to conversation, and through a fresh dissector
// each, twice over (the second round hits every cache): the observations
// must be the same.
func TestOneDissectorLikeFresh(t *testing.T) {
	dissecttest.AssertTCPLikeFresh(t, func() dissect.TCPDissector { return New() }, metaDir, 2,
		dissecttest.Testdata("http-simple-get.pcap", "http.pcapng", "http_auth.pcap", "ipp_cups.pcap")...)
}

// metaDir is meta() seen from the sending side.
func metaDir(c2s bool) *dissect.Meta {
	m := meta()
	if !c2s {
		r := m.Reverse()
		return &r
	}
	return m
}
