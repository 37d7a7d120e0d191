package vuln

import (
	"testing"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/identity"
	"github.com/wardiomt/ward/internal/inventory"
)

// TestFromInventoryOSBuild: a version known only as a Windows build is not
// the appliance's version (its advisories name its own releases); any other
// evidence for the same value, or a Microsoft product, keeps it.
func TestFromInventoryOSBuild(t *testing.T) {
	dev := func(mfr string, notes ...string) *inventory.Device {
		var ev []identity.Evidence
		for _, n := range notes {
			ev = append(ev, identity.Evidence{Rule: "r-" + n, Note: n, Confidence: 0.3, Count: 1})
		}
		return &inventory.Device{ID: "d", Identity: identity.Identity{
			fingerprint.Manufacturer: {Value: mfr, Confidence: 0.8, Candidates: []identity.Candidate{{Value: mfr}}},
			fingerprint.Version:      {Value: "10.0.17763", Confidence: 0.3, Candidates: []identity.Candidate{{Value: "10.0.17763", Evidence: ev}}},
		}}
	}
	for _, tt := range []struct {
		name string
		d    *inventory.Device
		want string
	}{
		{"only OS builds", dev("GE HealthCare", fingerprint.NoteOSBuild, fingerprint.NoteOSBuild), ""},
		{"also the device's own statement", dev("GE HealthCare", fingerprint.NoteOSBuild, ""), "10.0.17763"},
		{"a Microsoft product", dev("Microsoft", fingerprint.NoteOSBuild), "10.0.17763"},
	} {
		if got := FromInventory(tt.d).Version; got != tt.want {
			t.Errorf("%s: version %q, want %q", tt.name, got, tt.want)
		}
	}
}
