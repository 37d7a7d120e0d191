package phi

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/observe"
)

func TestGuard(t *testing.T) {
	var g Guard
	var c observe.Collector
	o := &observe.Observation{Protocol: "hl7", Fields: []observe.Field{
		{Key: "hl7.sending_application", Value: "MONITOR"},
		{Key: "hl7.patient_name", Value: "CANARY^PATIENT"},
		{Key: "hl7.equipment_id", Value: "0009FB0000000001"},
		{Key: "dicom.patient_id", Value: "CANARY42"},
	}}
	backing := o.Fields
	g.Emit(&c, o)
	want := []observe.Field{{Key: "hl7.sending_application", Value: "MONITOR"}, {Key: "hl7.equipment_id", Value: "0009FB0000000001"}}
	if len(c.Obs) != 1 {
		t.Fatalf("emitted %d observations, want 1", len(c.Obs))
	}
	if diff := cmp.Diff(want, c.Obs[0].Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if g.Dropped != 2 {
		t.Errorf("Dropped = %d, want 2", g.Dropped)
	}
	for _, f := range backing[2:] {
		if f.Value != "" {
			t.Errorf("dropped value %q still in the reused buffer", f.Value)
		}
	}
	// Nothing allowed left: nothing emitted.
	o = &observe.Observation{Protocol: "dicom", Fields: []observe.Field{{Key: "dicom.patient_name", Value: "X"}}}
	g.Emit(&c, o)
	if len(c.Obs) != 1 {
		t.Errorf("an observation with only disallowed fields was emitted")
	}
}

// TestContractKeys: the field names the contract fixes are allowed, and
// nothing patient-shaped is.
func TestContractKeys(t *testing.T) {
	for _, k := range []string{
		"dicom.calling_ae", "dicom.called_ae", "dicom.implementation_class_uid", "dicom.implementation_version_name",
		"dicom.abstract_syntax", "dicom.role", "dicom.result", "dicom.pdu", "dicom.max_pdu", "dicom.transfer_syntax",
		"dicom.command", "dicom.manufacturer", "dicom.model", "dicom.serial", "dicom.software_versions",
		"dicom.station_name", "dicom.modality", "dicom.institution", "dicom.stores",
		"hl7.sending_application", "hl7.sending_facility", "hl7.receiving_application", "hl7.message_type",
		"hl7.version", "hl7.equipment_id", "hl7.device", "hl7.observation_codes", "hl7.ack_code",
		"hl7.device_model", "hl7.device_serial", "hl7.device_software", "hl7.device_firmware",
		"hl7.device_hardware", "hl7.device_manufacturer", "hl7.results",
	} {
		if !Allowed(k) {
			t.Errorf("contract key %s is not allowed", k)
		}
	}
	for _, k := range Keys() {
		for _, bad := range []string{"patient", "name", "pid", "birth", "study", "accession", "value"} {
			if containsFold(k, bad) && k != "dicom.implementation_version_name" && k != "dicom.station_name" {
				t.Errorf("allowlisted key %s looks like PHI (%s)", k, bad)
			}
		}
	}
}

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
