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
	// Software names a software stack the device runs that is not its own
	// product identity (a DICOM toolkit, a web server). It must not be read
	// as the device's model or manufacturer.
	Software Attribute = "software"
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
	// Note qualifies the claim for whoever merges claims, e.g. "nic" when
	// an OUI names the network-module maker rather than the device's.
	Note string
}

// Notes a claim may carry.
const (
	// NoteNIC marks an OUI manufacturer claim whose registrant mostly makes
	// network modules embedded in other vendors' devices.
	NoteNIC = "nic"
	// NoteToolkit marks a claim about a software toolkit (dcmtk) that many
	// products embed: evidence of the stack, not of the product.
	NoteToolkit = "toolkit"
	// NoteOSBuild marks a version claim that is the build of the operating
	// system (a Windows build from NTLM or sysDescr): the device's version
	// when the product is the PC itself, not an appliance's own release.
	NoteOSBuild = "os_build"
)
