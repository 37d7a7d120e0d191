package reconcile

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
)

// Match methods, in the order they are tried.
const (
	BySerial     = "serial"
	ByMAC        = "mac"
	ByAssetTag   = "asset_tag"
	ByIPModel    = "ip+model"
	BySerialTypo = "serial~1"
)

// Options tune reconciliation.
type Options struct {
	// AssetTags are asset tags already linked to device ids (from an earlier
	// reconciliation); hostnames and HL7 equipment ids are tried as well.
	AssetTags map[string]string
	// Manufacturer canonicalises a manufacturer name (canon.Table.Manufacturer);
	// nil compares normalised spellings.
	Manufacturer func(string) (string, bool)
}

// DeviceView is what the report shows of a device.
type DeviceView struct {
	ID           string    `json:"id"`
	Site         string    `json:"site"`
	MACs         []string  `json:"macs,omitempty"`
	IPs          []string  `json:"ips,omitempty"`
	Hostname     string    `json:"hostname,omitempty"`
	Manufacturer string    `json:"manufacturer,omitempty"`
	Model        string    `json:"model,omitempty"`
	Serial       string    `json:"serial,omitempty"`
	Version      string    `json:"software_version,omitempty"`
	Type         string    `json:"device_type,omitempty"`
	Location     string    `json:"location,omitempty"`
	SwitchPort   string    `json:"switch_port,omitempty"`
	LastSeen     time.Time `json:"last_seen"`
}

// Mismatch is a field the CMMS and the network disagree on (or the CMMS
// lacks), with Ward's evidence and the update to make in the CMMS.
type Mismatch struct {
	Field     string `json:"field"`
	CMMS      string `json:"cmms"`
	Network   string `json:"network"`
	Evidence  string `json:"evidence"`
	Suggested string `json:"suggested_update"`
}

// Match is an asset paired with a device.
type Match struct {
	Asset      Asset      `json:"asset"`
	Device     DeviceView `json:"device"`
	By         string     `json:"matched_by"`
	Reasons    []string   `json:"reasons"`
	Mismatches []Mismatch `json:"mismatches,omitempty"`
	d          *dev
}

// Unmanaged is a device the CMMS does not list.
type Unmanaged struct {
	Device DeviceView `json:"device"`
	Reason string     `json:"reason"`
}

// Ghost is an asset no device matched.
type Ghost struct {
	Asset  Asset  `json:"asset"`
	Reason string `json:"reason"`
}

// Report is the result of a reconciliation.
type Report struct {
	Matched   []Match     `json:"matched"`
	Unmanaged []Unmanaged `json:"unmanaged"`
	Ghosts    []Ghost     `json:"ghosts"`
	Warnings  []string    `json:"warnings,omitempty"`
	Summary   Summary     `json:"summary"`
}

// Summary counts the report.
type Summary struct {
	Assets     int            `json:"assets"`
	Devices    int            `json:"devices"`
	Matched    int            `json:"matched"`
	MatchedBy  map[string]int `json:"matched_by"`
	Mismatched int            `json:"mismatched"` // matched assets with at least one mismatch
	Unmanaged  int            `json:"unmanaged"`
	Ghosts     int            `json:"ghosts"`
}

type dev struct {
	d      *inventory.Device
	view   DeviceView
	serial string
	tags   []string // normalised asset tag candidates
	model  string
	taken  bool
}

// Reconcile matches assets to devices: by serial, then MAC, then asset tag,
// then IP plus model, and last a serial one edit away when another field
// corroborates it. Each pass considers only what earlier passes left, and
// a key shared by several candidates matches none of them (it is reported).
func Reconcile(assets []Asset, devices []*inventory.Device, opt Options) *Report {
	rep := &Report{Summary: Summary{Assets: len(assets), Devices: len(devices), MatchedBy: map[string]int{}}}
	devs := make([]*dev, 0, len(devices))
	linked := map[string][]string{}
	for tag, id := range opt.AssetTags {
		linked[id] = append(linked[id], alnum(tag))
	}
	for _, d := range devices {
		x := &dev{d: d, view: view(d), serial: alnum(d.Attr(fingerprint.Serial)), model: alnum(d.Attr(fingerprint.Model))}
		x.tags = append(x.tags, linked[d.ID]...)
		if h := alnum(d.Attr(fingerprint.Hostname)); h != "" {
			x.tags = append(x.tags, h)
		}
		for _, e := range d.Equipment {
			x.tags = append(x.tags, alnum(e))
		}
		devs = append(devs, x)
	}
	done := make([]bool, len(assets))
	pass := func(by string, keyA func(*Asset) []string, keyD func(*dev) []string, why func(a *Asset, d *dev, k string) string) {
		idx := map[string][]*dev{}
		for _, d := range devs {
			if d.taken {
				continue
			}
			for _, k := range keyD(d) {
				if k != "" && !slices.Contains(idx[k], d) {
					idx[k] = append(idx[k], d)
				}
			}
		}
		// Count each key on the asset side too: two assets claiming one device
		// (a duplicated serial in the CMMS) is ambiguous.
		aCount := map[string]int{}
		for i := range assets {
			if !done[i] {
				for _, k := range keyA(&assets[i]) {
					if k != "" {
						aCount[k]++
					}
				}
			}
		}
		for i := range assets {
			if done[i] {
				continue
			}
			a := &assets[i]
			for _, k := range keyA(a) {
				if k == "" {
					continue
				}
				cands := idx[k]
				free := cands[:0:0]
				for _, d := range cands {
					if !d.taken {
						free = append(free, d)
					}
				}
				if len(free) > 1 || (len(free) == 1 && aCount[k] > 1) {
					rep.Warnings = append(rep.Warnings, fmt.Sprintf("row %d: %s %q is shared by %d devices and %d assets; not used to match", a.Row, by, k, len(free), aCount[k]))
					continue
				}
				if len(free) == 1 {
					d := free[0]
					d.taken, done[i] = true, true
					rep.Matched = append(rep.Matched, Match{Asset: *a, Device: d.view, By: by, Reasons: []string{why(a, d, k)}})
					rep.Matched[len(rep.Matched)-1].d = d
					break
				}
			}
		}
	}
	pass(BySerial, func(a *Asset) []string { return []string{alnum(a.Serial)} }, func(d *dev) []string { return []string{d.serial} },
		func(a *Asset, d *dev, _ string) string {
			return fmt.Sprintf("serial %q equals the serial Ward learned%s", a.Serial, evidenceOf(d.d, fingerprint.Serial))
		})
	pass(ByMAC, func(a *Asset) []string { return []string{a.MAC} }, func(d *dev) []string { return d.view.MACs },
		func(a *Asset, d *dev, _ string) string {
			return fmt.Sprintf("MAC %s is a MAC of the device", a.MAC)
		})
	pass(ByAssetTag, func(a *Asset) []string { return []string{alnum(a.AssetTag)} }, func(d *dev) []string { return d.tags },
		func(a *Asset, d *dev, k string) string {
			src := "the device's hostname or HL7 equipment id"
			if slices.Contains(linked[d.d.ID], k) {
				src = "a link saved by an earlier reconciliation"
			}
			return fmt.Sprintf("asset tag %q matches %s", a.AssetTag, src)
		})
	pass(ByIPModel, func(a *Asset) []string {
		if a.IP == "" || alnum(a.Model) == "" {
			return nil
		}
		return []string{a.IP + "|" + alnum(a.Model)}
	}, func(d *dev) []string {
		if d.model == "" {
			return nil
		}
		var ks []string
		for _, ip := range d.view.IPs {
			ks = append(ks, ip+"|"+d.model)
		}
		return ks
	}, func(a *Asset, d *dev, _ string) string {
		return fmt.Sprintf("IP %s was used by the device and the model %q agrees (no serial, MAC or asset tag matched)", a.IP, a.Model)
	})
	// Typos: one edit on a serial, accepted only with a corroborating field.
	for i := range assets {
		a := &assets[i]
		s := alnum(a.Serial)
		if done[i] || len(s) < 5 {
			continue
		}
		var hit *dev
		var why string
		n := 0
		for _, d := range devs {
			if d.taken || d.serial == "" || editDistance1(s, d.serial) != 1 {
				continue
			}
			if c := corroborate(a, d, opt); c != "" {
				hit, why = d, c
				n++
			}
		}
		switch {
		case n == 1:
			hit.taken, done[i] = true, true
			rep.Matched = append(rep.Matched, Match{Asset: *a, Device: hit.view, By: BySerialTypo, d: hit,
				Reasons: []string{fmt.Sprintf("serial %q is one character from the device's %q (a likely typo), corroborated by %s", a.Serial, hit.view.Serial, why)}})
		case n > 1:
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("row %d: serial %q is one character from %d corroborated devices; not matched", a.Row, a.Serial, n))
		}
	}
	for i := range rep.Matched {
		m := &rep.Matched[i]
		m.Mismatches = mismatches(&m.Asset, m.d, opt)
		rep.Summary.MatchedBy[m.By]++
		if m.d.d.LocationFrom == "dhcp-option-82" && m.Asset.Location != "" {
			m.Reasons = append(m.Reasons, fmt.Sprintf("location not compared: Ward knows only the switch port %s (map subnets to location names in the config to compare)", m.Device.Location))
		}
		if len(m.Mismatches) > 0 {
			rep.Summary.Mismatched++
			m.Reasons = append(m.Reasons, fmt.Sprintf("%d field(s) differ; see mismatches", len(m.Mismatches)))
		}
	}
	matchedRow := map[*dev]int{}
	for _, m := range rep.Matched {
		matchedRow[m.d] = m.Asset.Row
	}
	for i := range assets {
		if !done[i] {
			rep.Ghosts = append(rep.Ghosts, Ghost{Asset: assets[i], Reason: ghostReason(&assets[i], devs, matchedRow)})
		}
	}
	for _, d := range devs {
		if !d.taken {
			rep.Unmanaged = append(rep.Unmanaged, Unmanaged{Device: d.view, Reason: unmanagedReason(d)})
		}
	}
	sort.Slice(rep.Matched, func(i, j int) bool { return rep.Matched[i].Asset.Row < rep.Matched[j].Asset.Row })
	rep.Summary.Matched, rep.Summary.Unmanaged, rep.Summary.Ghosts = len(rep.Matched), len(rep.Unmanaged), len(rep.Ghosts)
	return rep
}

func view(d *inventory.Device) DeviceView {
	v := DeviceView{ID: d.ID, Site: d.Site, Hostname: d.Attr(fingerprint.Hostname), Manufacturer: d.Attr(fingerprint.Manufacturer),
		Model: d.Attr(fingerprint.Model), Serial: d.Attr(fingerprint.Serial), Version: d.Attr(fingerprint.Version),
		Type: d.Attr(fingerprint.DeviceType), Location: d.Location, SwitchPort: d.SwitchPort, LastSeen: d.LastSeen}
	for _, m := range append([]string{d.MAC}, d.MACs...) {
		if n, ok := NormalizeMAC(m); ok && !slices.Contains(v.MACs, n) {
			v.MACs = append(v.MACs, n)
		}
	}
	for _, ip := range d.IPs {
		v.IPs = append(v.IPs, ip.IP)
	}
	return v
}

// evidenceOf summarises how Ward learned an attribute: " (from dhcp
// vendor_class, 12 times, last 2026-11-02)".
func evidenceOf(d *inventory.Device, a fingerprint.Attribute) string {
	at := d.Identity[a]
	if at == nil {
		return ""
	}
	c := at.Current()
	if c == nil || len(c.Evidence) == 0 {
		return ""
	}
	var parts []string
	for _, e := range c.Evidence {
		parts = append(parts, fmt.Sprintf("%s %s, seen %d times, last %s", e.Protocol, e.Field, e.Count, e.Last.UTC().Format("2006-01-02")))
		if len(parts) == 2 {
			break
		}
	}
	return " (from " + strings.Join(parts, "; ") + ")"
}

func sameManufacturer(a, b string, opt Options) bool {
	if a == "" || b == "" {
		return false
	}
	if opt.Manufacturer != nil {
		a, _ = opt.Manufacturer(a)
		b, _ = opt.Manufacturer(b)
	}
	x, y := alnum(a), alnum(b)
	return x == y || strings.HasPrefix(x, y) || strings.HasPrefix(y, x)
}

func sameModel(a, b string) bool {
	x, y := alnum(a), alnum(b)
	return x != "" && y != "" && (x == y || strings.Contains(x, y) || strings.Contains(y, x))
}

// corroborate names the field that backs a fuzzy serial match, "" if none.
func corroborate(a *Asset, d *dev, opt Options) string {
	switch {
	case a.MAC != "" && slices.Contains(d.view.MACs, a.MAC):
		return "the MAC " + a.MAC
	case a.IP != "" && slices.Contains(d.view.IPs, a.IP):
		return "the IP " + a.IP
	case sameModel(a.Model, d.view.Model) && sameManufacturer(a.Manufacturer, d.view.Manufacturer, opt):
		return fmt.Sprintf("manufacturer %q and model %q", d.view.Manufacturer, d.view.Model)
	case sameModel(a.Model, d.view.Model):
		return fmt.Sprintf("the model %q", d.view.Model)
	}
	return ""
}

func mismatches(a *Asset, d *dev, opt Options) []Mismatch {
	var out []Mismatch
	v := d.view
	add := func(field, cmms, net, evidence string) {
		switch {
		case net == "":
			return // Ward does not know: nothing to suggest
		case cmms == "":
			out = append(out, Mismatch{Field: field, CMMS: "", Network: net, Evidence: evidence,
				Suggested: fmt.Sprintf("fill %s with %q (missing in the CMMS)", field, net)})
		case field == "location" && !strings.EqualFold(strings.TrimSpace(cmms), strings.TrimSpace(net)) && alnum(cmms) != alnum(net),
			field != "location" && alnum(cmms) != alnum(net):
			s := fmt.Sprintf("set %s from %q to %q", field, cmms, net)
			if field == "serial" && editDistance1(alnum(cmms), alnum(net)) == 1 {
				s += " (the CMMS value looks like a typo)"
			}
			out = append(out, Mismatch{Field: field, CMMS: cmms, Network: net, Evidence: evidence, Suggested: s})
		}
	}
	add("serial", a.Serial, v.Serial, "serial"+evidenceOf(d.d, fingerprint.Serial))
	add("software_version", a.Version, v.Version, "version"+evidenceOf(d.d, fingerprint.Version))
	locEv := "location"
	if d.d.LocationFrom != "" {
		locEv += " from " + d.d.LocationFrom
	}
	if v.SwitchPort != "" {
		locEv += ", switch port " + v.SwitchPort
	}
	if d.d.Subnet != "" {
		locEv += ", subnet " + d.d.Subnet
	}
	// A location derived from the DHCP relay is a switch port, not a place a
	// CMMS names: proposing it would overwrite "ICU-3" with "sw-007:Gi1/0/12".
	if d.d.LocationFrom != "dhcp-option-82" {
		add("location", a.Location, v.Location, locEv+", last seen "+v.LastSeen.UTC().Format(time.RFC3339))
	}
	if a.MAC != "" && len(v.MACs) > 0 && !slices.Contains(v.MACs, a.MAC) {
		out = append(out, Mismatch{Field: "mac", CMMS: a.MAC, Network: v.MACs[0], Evidence: "MACs seen: " + strings.Join(v.MACs, ", "),
			Suggested: fmt.Sprintf("set mac from %q to %q (NIC replaced, or the CMMS record is wrong)", a.MAC, v.MACs[0])})
	} else if a.MAC == "" && len(v.MACs) > 0 {
		out = append(out, Mismatch{Field: "mac", Network: v.MACs[0], Evidence: "MACs seen: " + strings.Join(v.MACs, ", "),
			Suggested: fmt.Sprintf("fill mac with %q (missing in the CMMS)", v.MACs[0])})
	}
	if a.Model != "" && v.Model != "" && !sameModel(a.Model, v.Model) {
		out = append(out, Mismatch{Field: "model", CMMS: a.Model, Network: v.Model, Evidence: "model" + evidenceOf(d.d, fingerprint.Model),
			Suggested: fmt.Sprintf("check the model: CMMS %q, network %q", a.Model, v.Model)})
	}
	_ = opt
	return out
}

func ghostReason(a *Asset, devs []*dev, matchedRow map[*dev]int) string {
	var tried []string
	if a.Serial != "" {
		tried = append(tried, "serial "+a.Serial)
	}
	if a.MAC != "" {
		tried = append(tried, "MAC "+a.MAC)
	}
	if a.AssetTag != "" {
		tried = append(tried, "asset tag "+a.AssetTag)
	}
	if a.IP != "" && a.Model != "" {
		tried = append(tried, "IP "+a.IP+" with model "+a.Model)
	}
	if len(tried) == 0 {
		return "no serial, MAC, asset tag or IP+model to match on"
	}
	r := "no device seen with " + strings.Join(tried, ", ")
	// Point at near misses so a person can decide.
	s := alnum(a.Serial)
	for _, d := range devs {
		if d.taken && ((s != "" && d.serial == s) || (a.MAC != "" && slices.Contains(d.view.MACs, a.MAC))) {
			r += fmt.Sprintf("; device %s has this identity but was matched to row %d (duplicate CMMS record?)", d.view.ID, matchedRow[d])
			continue
		}
		if s != "" && d.serial != "" && editDistance1(s, d.serial) == 1 {
			if d.taken {
				r += fmt.Sprintf("; serial is one character from device %s (already matched to another asset)", d.view.ID)
			} else {
				r += fmt.Sprintf("; serial is one character from device %s but nothing corroborates it", d.view.ID)
			}
		}
		if a.IP != "" && slices.Contains(d.view.IPs, a.IP) && !sameModel(a.Model, d.view.Model) {
			if d.view.Model == "" {
				r += fmt.Sprintf("; IP %s is used by device %s whose model Ward has not identified", a.IP, d.view.ID)
			} else {
				r += fmt.Sprintf("; IP %s is used by device %s whose model (%q) differs", a.IP, d.view.ID, d.view.Model)
			}
		}
	}
	return r
}

func unmanagedReason(d *dev) string {
	var have []string
	if d.serial != "" {
		have = append(have, "serial "+d.view.Serial)
	}
	if len(d.view.MACs) > 0 {
		have = append(have, "MAC "+strings.Join(d.view.MACs, "/"))
	}
	if d.view.Hostname != "" {
		have = append(have, "hostname "+d.view.Hostname)
	}
	if len(have) == 0 {
		return "seen on the network (IP only); no CMMS asset matched"
	}
	return "no CMMS asset has " + strings.Join(have, ", ")
}

// editDistance1 returns the Damerau-Levenshtein distance of a and b when it
// is 0 or 1, else 2: a swapped pair of adjacent characters counts as one.
func editDistance1(a, b string) int {
	if a == b {
		return 0
	}
	la, lb := len(a), len(b)
	switch {
	case la == lb:
		diff := -1
		for i := 0; i < la; i++ {
			if a[i] != b[i] {
				if diff >= 0 {
					// a transposition: exactly two adjacent differences, swapped
					if i == diff+1 && a[diff] == b[i] && a[i] == b[diff] && a[i+1:] == b[i+1:] {
						return 1
					}
					return 2
				}
				diff = i
			}
		}
		return 1
	case la == lb+1:
		return deletion(a, b)
	case lb == la+1:
		return deletion(b, a)
	}
	return 2
}

// deletion: 1 if removing one byte from long gives short.
func deletion(long, short string) int {
	i := 0
	for i < len(short) && long[i] == short[i] {
		i++
	}
	if long[i+1:] == short[i:] {
		return 1
	}
	return 2
}
