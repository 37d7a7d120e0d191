// Package phi is the one place that decides which fields may leave a medical
// dissector (DICOM, HL7). Medical protocols carry protected health
// information: patient names, IDs, birth dates, study identifiers, clinical
// measurements. Ward only needs device identity, so the rule is an allowlist
// of field keys: anything not listed here is dropped (and counted) on its way
// out, whatever a dissector does by mistake. Dissectors must also avoid
// turning PHI into strings in the first place; the guard is the backstop.
package phi

import (
	"github.com/wardiomt/ward/internal/observe"
)

// allowed lists every key a medical dissector may emit. Each value is either
// device/software identity, protocol metadata (AE titles, UIDs of SOP
// classes and transfer syntaxes, message types) or a count. Adding a key here
// is a privacy decision: say in the commit why the value cannot be PHI.
var allowed = map[string]bool{
	// DICOM Upper Layer and DIMSE metadata.
	"dicom.pdu":                         true,
	"dicom.calling_ae":                  true, // application entity titles name devices, not people
	"dicom.called_ae":                   true,
	"dicom.implementation_class_uid":    true,
	"dicom.implementation_version_name": true,
	"dicom.max_pdu":                     true,
	"dicom.abstract_syntax":             true, // SOP class UID + name (a class, never an instance)
	"dicom.transfer_syntax":             true,
	"dicom.role":                        true,
	"dicom.result":                      true,
	"dicom.abort":                       true,
	"dicom.command":                     true,
	"dicom.sop_class":                   true,
	// DICOM device identity from the dataset of a C-STORE.
	"dicom.modality":          true,
	"dicom.manufacturer":      true,
	"dicom.model":             true,
	"dicom.serial":            true,
	"dicom.software_versions": true,
	"dicom.station_name":      true,
	"dicom.institution":       true,
	// DICOM utilisation counts.
	"dicom.associations": true,
	"dicom.stores":       true,

	// HL7 v2 message header and acknowledgement.
	"hl7.sending_application":   true,
	"hl7.sending_facility":      true,
	"hl7.receiving_application": true,
	"hl7.receiving_facility":    true,
	"hl7.message_type":          true,
	"hl7.version":               true,
	"hl7.profile":               true,
	"hl7.ack_code":              true,
	"hl7.observation_codes":     true, // MDC codes of OBX-3 (what is measured, never the value)
	// HL7 device identity (OBX-18, PRT, PCD-01 device attribute rows).
	"hl7.equipment_id":        true,
	"hl7.device":              true,
	"hl7.device_type":         true,
	"hl7.device_model":        true,
	"hl7.device_serial":       true,
	"hl7.device_software":     true,
	"hl7.device_firmware":     true,
	"hl7.device_hardware":     true,
	"hl7.device_manufacturer": true,
	// HL7 utilisation counts.
	"hl7.messages": true,
	"hl7.results":  true,
}

// Allowed reports whether key may leave a medical dissector.
func Allowed(key string) bool { return allowed[key] }

// Keys returns the allowlist (a copy), for documentation and tests.
func Keys() []string {
	ks := make([]string, 0, len(allowed))
	for k := range allowed {
		ks = append(ks, k)
	}
	return ks
}

// Guard filters observations on their way out of a medical dissector. Each
// dissector owns one; Dropped counts fields that were not on the allowlist
// (a bug in the dissector: tests require it to stay zero).
type Guard struct {
	Dropped uint64
}

// Emit removes every field whose key is not allowed, in place, and passes
// the observation on when anything is left. It never allocates.
func (g *Guard) Emit(e observe.Emitter, o *observe.Observation) {
	kept := o.Fields[:0]
	for _, f := range o.Fields {
		if allowed[f.Key] {
			kept = append(kept, f)
			continue
		}
		g.Dropped++
	}
	// Clear the tail so dropped values do not linger in the reused buffer.
	for i := len(kept); i < len(o.Fields); i++ {
		o.Fields[i] = observe.Field{}
	}
	o.Fields = kept
	if len(kept) == 0 {
		return
	}
	e.Emit(o)
}
