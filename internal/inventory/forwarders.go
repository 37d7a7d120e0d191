package inventory

import (
	"slices"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/observe"
)

// A C-STORE dataset names the equipment that made the object, which is the
// sender only when the sender is that modality. A PACS forwarding studies to
// an archive or a reading workstation sends objects of many devices. A
// sender that has sent objects of two different devices is such a
// forwarder: the dataset fields stop counting as evidence about it, and
// what they already lent it is forgotten.

// maxSources bounds Device.DICOMSources and HL7Senders; two already decide.
const maxSources = 4

// datasetFields are the DICOM fields read from a stored object's dataset.
var datasetFields = map[string]bool{
	"dicom.manufacturer": true, "dicom.model": true, "dicom.serial": true, "dicom.software_versions": true,
	"dicom.station_name": true, "dicom.modality": true, "dicom.institution": true,
}

func isDatasetField(f string) bool { return datasetFields[f] }

// forwarder reports whether d has sent objects of more than one device.
func (d *Device) forwarder() bool { return len(d.DICOMSources) > 1 }

// dicomSource records the equipment whose object d sent in o, and turns d
// into a forwarder at the second distinct one.
func (b *batch) dicomSource(d *Device, o *observe.Observation, t time.Time) error {
	var parts [3]string
	for i, k := range []string{"dicom.manufacturer", "dicom.model", "dicom.serial"} {
		v, _ := o.Get(k)
		parts[i] = strings.ToLower(strings.TrimSpace(v))
	}
	if parts == [3]string{} {
		return nil // an association without a dataset
	}
	key := strings.Join(parts[:], "|")
	if slices.Contains(d.DICOMSources, key) || len(d.DICOMSources) >= maxSources {
		return nil
	}
	d.DICOMSources = append(d.DICOMSources, key)
	b.dirty[d.ID] = true
	if len(d.DICOMSources) != 2 {
		return nil
	}
	if err := b.forgetBorrowed(d, isDatasetField); err != nil {
		return err
	}
	b.s.opt.Policy.Apply(d.Identity, fingerprint.Claim{Attribute: fingerprint.DeviceType, Value: "pacs", Confidence: 0.5,
		Rule: "dicom-forwards-objects", Protocol: "dicom", Field: "dicom.sources", Observed: "objects of 2 devices"}, t)
	return nil
}

// forgetBorrowed drops the evidence of the fields that turned out to
// describe other devices, and the serial key it lent d: that serial must not
// pull its real owner into d when the owner is heard directly.
func (b *batch) forgetBorrowed(d *Device, fields func(string) bool) error {
	serial := d.Attr(fingerprint.Serial)
	for _, ch := range b.s.opt.Policy.Forget(d.Identity, fields) {
		if ch.Attribute != fingerprint.Serial || serial == "" {
			continue
		}
		if err := b.releaseKey(d, serialKey(serial)); err != nil {
			return err
		}
	}
	return nil
}

// releaseKey removes k when it points to d.
func (b *batch) releaseKey(d *Device, k Key) error {
	owner, err := b.lookup(k)
	if err != nil {
		return err
	}
	if owner != nil && owner.ID == d.ID {
		b.removeKey(k)
	}
	return nil
}

// An HL7 interface engine or monitoring gateway can pass on messages whose
// MSH-3 names the bedside device by EUI-64 (IHE PCD-01). A sender that
// names two different EUI-64s there is such a forwarder, not either device:
// what MSH-3 and the device segments lent it is forgotten, the EUI-64 keys
// are released, and the devices it reports for are filed behind it.

// hl7DeviceFields describe the sending equipment in IHE PCD messages.
var hl7DeviceFields = map[string]bool{
	"hl7.sending_application": true, "hl7.equipment_id": true, "hl7.device_type": true, "hl7.device_model": true,
	"hl7.device_serial": true, "hl7.device_software": true, "hl7.device_firmware": true, "hl7.device_hardware": true,
	"hl7.device_manufacturer": true, "hl7.device": true,
}

func isHL7DeviceField(f string) bool { return hl7DeviceFields[f] }

// hl7Forwarder reports whether d has named two devices in MSH-3.
func (d *Device) hl7Forwarder() bool { return len(d.HL7Senders) > 1 }

// hl7Source records the EUI-64 that o's MSH-3 names for d, and turns d into
// a forwarder at the second distinct one.
func (b *batch) hl7Source(d *Device, o *observe.Observation) error {
	eui := mshEUI64(o)
	if eui == "" || slices.Contains(d.HL7Senders, eui) || len(d.HL7Senders) >= maxSources {
		return nil
	}
	d.HL7Senders = append(d.HL7Senders, eui)
	b.dirty[d.ID] = true
	if len(d.HL7Senders) != 2 {
		return nil
	}
	for _, e := range d.HL7Senders {
		if err := b.releaseKey(d, Key{KeyEUI64, e}); err != nil {
			return err
		}
	}
	d.EUI64 = ""
	return b.forgetBorrowed(d, isHL7DeviceField)
}

// mshEUI64 is the EUI-64 that MSH-3 names the sending equipment by
// ("IntelliVue_MX800^0009FB00001A2B3C^EUI-64"), or "".
func mshEUI64(o *observe.Observation) string {
	app, ok := o.Get("hl7.sending_application")
	if !ok {
		return ""
	}
	parts := strings.Split(app, "^")
	if len(parts) < 3 || !strings.EqualFold(strings.TrimSpace(parts[2]), "EUI-64") {
		return ""
	}
	if eui, _ := parseEquipment(parts[1]); len(eui) == 16 {
		return eui
	}
	return ""
}

// serialKey is the key of an established serial number.
func serialKey(serial string) Key { return Key{KeySerial, strings.ToUpper(strings.TrimSpace(serial))} }

// syslogRelay reports whether d's syslog messages named two hosts.
func (d *Device) syslogRelay() bool { return len(d.SyslogHosts) > 1 }

// syslogHost records the HOSTNAME o carries for d; at the second distinct
// one d is a relay, and what its messages' HOSTNAME said about it is
// forgotten.
func (b *batch) syslogHost(d *Device, o *observe.Observation) error {
	h, _ := o.Get("syslog.hostname")
	h = strings.ToLower(strings.TrimSpace(h))
	if h == "" || slices.Contains(d.SyslogHosts, h) || len(d.SyslogHosts) >= maxSources {
		return nil
	}
	d.SyslogHosts = append(d.SyslogHosts, h)
	b.dirty[d.ID] = true
	if len(d.SyslogHosts) != 2 {
		return nil
	}
	return b.forgetBorrowed(d, func(f string) bool { return f == "syslog.hostname" })
}
