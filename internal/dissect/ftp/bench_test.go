package ftp

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
)

func newTCP() dissect.TCPDissector { return New() }

// BenchmarkCapture replays the test control connections.
func BenchmarkCapture(b *testing.B) {
	dissecttest.BenchTCP(b, newTCP, meta, dissecttest.Testdata(capture+".pcap")...)
}

// TestOneDissectorLikeFresh: a dissector reused across connections gives
// what fresh ones give.
func TestOneDissectorLikeFresh(t *testing.T) {
	dissecttest.AssertTCPLikeFresh(t, newTCP, meta, 2, dissecttest.Testdata(capture+".pcap")...)
}
