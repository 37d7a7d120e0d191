package vuln

import (
	"strings"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
)

// FromInventory describes an inventory device for the matcher: the
// established identity attributes, and every software candidate as a
// component (platform rules look for VxWorks, Treck, ... there).
func FromInventory(d *inventory.Device) Device {
	v := Device{
		ID:           d.ID,
		Manufacturer: d.Attr(fingerprint.Manufacturer),
		Model:        d.Attr(fingerprint.Model),
		Version:      productVersion(d),
		OS:           d.Attr(fingerprint.OS),
		Type:         d.Attr(fingerprint.DeviceType),
	}
	if a := d.Identity[fingerprint.Software]; a != nil {
		seen := map[string]bool{}
		for _, c := range a.Candidates {
			if n := strings.TrimSpace(c.Value); n != "" && !seen[n] {
				seen[n] = true
				v.Components = append(v.Components, Component{Name: n})
			}
		}
		if n := strings.TrimSpace(a.Value); n != "" && !seen[n] {
			v.Components = append(v.Components, Component{Name: n})
		}
		names := make([]string, len(v.Components))
		for i, c := range v.Components {
			names[i] = c.Name
		}
		if kept := newestPackages(names); len(kept) < len(names) {
			v.Components = v.Components[:0]
			for _, n := range kept {
				v.Components = append(v.Components, Component{Name: n})
			}
		}
	}
	return v
}

// productVersion is the device's version for matching its advisories, or ""
// when everything behind it is an operating-system build (a Windows build
// from NTLM or sysDescr) on a product that is not the operating system: an
// appliance's advisories name its own releases, and a build number like
// 17763 would be "outside" a range such as "7.0 and earlier" when nothing
// is known.
func productVersion(d *inventory.Device) string {
	a := d.Identity[fingerprint.Version]
	if a == nil || a.Value == "" {
		return ""
	}
	if strings.EqualFold(d.Attr(fingerprint.Manufacturer), "Microsoft") {
		return a.Value
	}
	c := a.Current()
	if c == nil {
		return a.Value
	}
	for _, e := range c.Evidence {
		if e.Note != fingerprint.NoteOSBuild {
			return a.Value
		}
	}
	return ""
}
