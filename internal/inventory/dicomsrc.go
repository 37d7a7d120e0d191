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

// maxDICOMSources bounds Device.DICOMSources; two already decide.
const maxDICOMSources = 4

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
	if slices.Contains(d.DICOMSources, key) || len(d.DICOMSources) >= maxDICOMSources {
		return nil
	}
	d.DICOMSources = append(d.DICOMSources, key)
	b.dirty[d.ID] = true
	if len(d.DICOMSources) != 2 {
		return nil
	}
	serial := d.Attr(fingerprint.Serial)
	for _, ch := range b.s.opt.Policy.Forget(d.Identity, isDatasetField) {
		if ch.Attribute != fingerprint.Serial || serial == "" {
			continue
		}
		// The serial was another device's: it must not pull that device
		// into this one when it is heard directly.
		k := Key{KeySerial, strings.ToUpper(strings.TrimSpace(serial))}
		owner, err := b.lookup(k)
		if err != nil {
			return err
		}
		if owner != nil && owner.ID == d.ID {
			b.removeKey(k)
		}
	}
	b.s.opt.Policy.Apply(d.Identity, fingerprint.Claim{Attribute: fingerprint.DeviceType, Value: "pacs", Confidence: 0.5,
		Rule: "dicom-forwards-objects", Protocol: "dicom", Field: "dicom.sources", Observed: "objects of 2 devices"}, t)
	return nil
}
