// Package canon holds the names every stage shares: canonical manufacturer
// names (with their aliases) and the device-type taxonomy with clinical
// criticality. Fingerprinting writes these names and vulnerability matching
// reads them, so a device and an advisory meet on the same spelling.
package canon

import (
	"strings"
	"unicode"
)

// Criticality is the clinical criticality class of a device type.
type Criticality string

// Criticality classes, most critical first.
const (
	LifeSustaining  Criticality = "life-sustaining"
	Therapeutic     Criticality = "therapeutic"
	Diagnostic      Criticality = "diagnostic"
	ClinicalSupport Criticality = "clinical-support"
	NonClinical     Criticality = "non-clinical"
)

// DeviceType is one entry of the taxonomy.
type DeviceType string

// The device-type taxonomy.
const (
	CT                 DeviceType = "ct"
	MR                 DeviceType = "mr"
	Ultrasound         DeviceType = "ultrasound"
	XRay               DeviceType = "xray"
	PACS               DeviceType = "pacs"
	ImagingWorkstation DeviceType = "imaging_workstation"
	PatientMonitor     DeviceType = "patient_monitor"
	MonitoringGateway  DeviceType = "monitoring_gateway"
	InfusionPump       DeviceType = "infusion_pump"
	Ventilator         DeviceType = "ventilator"
	LabAnalyzer        DeviceType = "lab_analyzer"
	Printer            DeviceType = "printer"
	Switch             DeviceType = "switch"
	IPPhone            DeviceType = "ip_phone"
	BuildingAutomation DeviceType = "building_automation" // BACnet/Modbus controllers: HVAC, pressure rooms, refrigeration, power
	Workstation        DeviceType = "workstation"
	Server             DeviceType = "server"
	Other              DeviceType = "other"
)

var criticality = map[DeviceType]Criticality{
	Ventilator:         LifeSustaining,
	InfusionPump:       LifeSustaining,
	PatientMonitor:     LifeSustaining,
	MonitoringGateway:  Therapeutic,
	CT:                 Diagnostic,
	MR:                 Diagnostic,
	Ultrasound:         Diagnostic,
	XRay:               Diagnostic,
	LabAnalyzer:        Diagnostic,
	PACS:               ClinicalSupport,
	ImagingWorkstation: ClinicalSupport,
	// Operating-room and isolation-room pressure, pharmacy and blood-bank
	// refrigeration run on these controllers.
	BuildingAutomation: ClinicalSupport,
	Workstation:        NonClinical,
	Server:             NonClinical,
	Printer:            NonClinical,
	Switch:             NonClinical,
	IPPhone:            NonClinical,
	Other:              NonClinical,
}

// Types lists the taxonomy in a stable order.
func Types() []DeviceType {
	return []DeviceType{CT, MR, Ultrasound, XRay, PACS, ImagingWorkstation, PatientMonitor,
		MonitoringGateway, InfusionPump, Ventilator, LabAnalyzer, Printer, Switch, IPPhone,
		BuildingAutomation, Workstation, Server, Other}
}

// CriticalityOf returns the clinical criticality of t; unknown types are non-clinical.
func CriticalityOf(t DeviceType) Criticality {
	if c, ok := criticality[t]; ok {
		return c
	}
	return NonClinical
}

// ValidType reports whether s names a taxonomy entry.
func ValidType(s string) bool {
	_, ok := criticality[DeviceType(s)]
	return ok
}

// Fold reduces a vendor spelling to a comparison key: lower case, letters and
// digits only, legal suffixes removed ("GE Medical Systems, Inc." -> "gemedicalsystems").
func Fold(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		switch w {
		case "inc", "incorporated", "llc", "ltd", "limited", "corp", "corporation", "co", "gmbh", "ag", "sa", "bv", "nv", "plc", "kk", "the", "company":
			continue
		}
		b.WriteString(w)
	}
	return b.String()
}
