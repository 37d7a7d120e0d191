// Package fingerprint turns observations into identity claims using
// declarative rules (embedded defaults plus a user directory), the OUI
// table and p0f signatures. It decides nothing about which device a claim
// belongs to, nor how claims combine: that is identity/inventory's job.
package fingerprint

// Attribute is an identity attribute a claim asserts.
type Attribute string

// The attributes rules may claim.
const (
	Manufacturer Attribute = "manufacturer"
	Model        Attribute = "model"
	Version      Attribute = "version"
	Serial       Attribute = "serial"
	DeviceType   Attribute = "type"
	OS           Attribute = "os"
	Hostname     Attribute = "hostname"
)

// Claim is one rule's assertion about the observation's subject, with the
// evidence that produced it.
type Claim struct {
	Attribute  Attribute
	Value      string  // canonical where a canonical form exists (manufacturer, type)
	Confidence float64 // 0..1, the rule's weight for this attribute
	Rule       string  // rule id, e.g. "dicom-manufacturer-tag" or "oui"
	Protocol   string  // observation protocol the evidence came from
	Field      string  // observation field key, e.g. "dicom.manufacturer"
	Observed   string  // the field's value as heard
}
