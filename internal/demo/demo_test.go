package demo

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The embedded copy must be the capture in testdata/demo; regenerate with
// `go generate ./internal/demo` after `ward simulate` rewrote it.
func TestEmbeddedCaptureIsCurrent(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "..", "testdata", "demo", "hospital-demo.pcap"))
	if err != nil {
		t.Skipf("source tree capture unavailable: %v", err)
	}
	got, err := Capture()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("embedded capture (%d bytes) differs from testdata/demo/hospital-demo.pcap (%d bytes): run go generate ./internal/demo", len(got), len(want))
	}
	p, err := WriteCapture(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); !bytes.Equal(b, want) {
		t.Fatal("WriteCapture wrote something else")
	}
}
