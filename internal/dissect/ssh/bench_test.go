package ssh

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
)

var benchCaptures = dissecttest.Testdata("openssh_to_openssh.pcap", "openssh_to_dropbear.pcap", "dropbear_to_openssh.pcap")

func newTCP() dissect.TCPDissector { return New() }

// BenchmarkCapture replays the test conversations into new streams of one
// dissector: banners, KEXINITs and the encrypted bytes after them.
func BenchmarkCapture(b *testing.B) { dissecttest.BenchTCP(b, newTCP, meta, benchCaptures...) }
