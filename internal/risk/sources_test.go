package risk

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/identity"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/vuln"
)

// The risk view matches devices exactly as the findings API does: every
// software candidate is a component (a platform such as VxWorks seen only
// as a candidate still counts), and a device with nothing to match is left out.
func TestVulnDevicesAgreeWithFindings(t *testing.T) {
	pump := &inventory.Device{ID: "pump", Identity: identity.Identity{
		fingerprint.Manufacturer: {Value: "BD"},
		fingerprint.Model:        {Value: "Alaris 8015"},
		fingerprint.Software:     {Value: "OFFIS DCMTK 3.6.7", Candidates: []identity.Candidate{{Value: "VxWorks 6.9"}, {Value: "OFFIS DCMTK 3.6.7"}}},
	}}
	bare := &inventory.Device{ID: "bare", Identity: identity.Identity{fingerprint.Hostname: {Value: "ws-12"}}}
	swOnly := &inventory.Device{ID: "sw", Identity: identity.Identity{fingerprint.Software: {Candidates: []identity.Candidate{{Value: "Treck TCP/IP"}}}}}
	got := VulnDevices([]*inventory.Device{pump, bare, swOnly})
	want := []vuln.Device{vuln.FromInventory(pump), vuln.FromInventory(swOnly)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("VulnDevices differs from vuln.FromInventory (-want +got):\n%s", diff)
	}
	if len(got[0].Components) != 2 || len(got[1].Components) != 1 {
		t.Fatalf("components: %+v", got)
	}
}
