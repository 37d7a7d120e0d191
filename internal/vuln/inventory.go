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
		Version:      d.Attr(fingerprint.Version),
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
