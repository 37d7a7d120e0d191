package smb

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
)

// benchCaptures are the test captures the capture benchmark and the
// like-fresh test replay.
var benchCaptures = dissecttest.Testdata("smb-smb1-ascii.pcap", "smb-smbclient.pcap", "smbv1.pcap", "wireshark-smb-on-windows10.pcap")

// newTCP is New as the shared helpers take it.
func newTCP() dissect.TCPDissector { return New() }

// BenchmarkCapture replays the TCP conversations of the test captures, as
// the decoder delivered them, into new streams of one dissector.
func BenchmarkCapture(b *testing.B) { dissecttest.BenchTCP(b, newTCP, meta, benchCaptures...) }
