package export

import (
	"crypto/sha256"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/risk"
	"github.com/wardiomt/ward/internal/vuln"
)

// Property names Ward writes on CycloneDX components and vulnerabilities.
const propPrefix = "ward:"

// BOM is the inventory as a CycloneDX 1.6 BOM: each device a component of
// type device (bom-ref = Ward device id) with nested firmware, operating
// system and software components.
func BOM(in *Input) *cdx.BOM {
	b := &cdx.BOM{
		JSONSchema:   "http://cyclonedx.org/schema/bom-1.6.schema.json",
		BOMFormat:    cdx.BOMFormat,
		SpecVersion:  cdx.SpecVersion1_6,
		Version:      1,
		SerialNumber: serialNumber(in, "cyclonedx"),
		Metadata:     metadata(in),
	}
	comps := make([]cdx.Component, 0, len(in.Devices))
	for _, d := range sortedDevices(in.Devices) {
		comps = append(comps, deviceComponent(d, in.AssetTags[d.ID]))
	}
	b.Components = &comps
	return b
}

// VEXBOM is the inventory with one CycloneDX vulnerability per finding
// and CVE on each device (per device, because the analysis -- the evidence
// -- is the device's), affects pointing at the device's bom-ref.
func VEXBOM(in *Input) *cdx.BOM {
	b := BOM(in)
	b.SerialNumber = serialNumber(in, "cyclonedx-vex")
	devs := deviceIndex(in.Devices)
	var vs []cdx.Vulnerability
	for _, st := range Statements(in) {
		d := devs[st.DeviceID]
		if d == nil {
			continue
		}
		ids := st.Finding.CVEs
		if len(ids) == 0 {
			ids = []string{st.Finding.Advisory}
		}
		for _, id := range ids {
			vs = append(vs, vexVulnerability(in, d, &st, id, len(ids) == 1))
		}
	}
	if len(vs) > 0 {
		b.Vulnerabilities = &vs
	}
	return b
}

func writeCycloneDX(w io.Writer, b *cdx.BOM) error {
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.EncodeVersion(b, cdx.SpecVersion1_6); err != nil {
		return fmt.Errorf("export: encode CycloneDX: %w", err)
	}
	return nil
}

// serialNumber is a name-based urn:uuid of the site, format and time: two
// exports of the same moment are the same document.
func serialNumber(in *Input, kind string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + in.Site + "\x00" + in.At.UTC().Format(time.RFC3339Nano)))
	h[6] = h[6]&0x0f | 0x80 // version 8 (custom, RFC 9562)
	h[8] = h[8]&0x3f | 0x80 // variant 10
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func metadata(in *Input) *cdx.Metadata {
	tools := []cdx.Component{{Type: cdx.ComponentTypeApplication, Name: "ward", Version: in.toolVersion(),
		Description: "passive IoMT security platform: inventory and findings from network observation"}}
	props := []cdx.Property{{Name: propPrefix + "site", Value: siteName(in.Site)}, {Name: propPrefix + "devices", Value: strconv.Itoa(len(in.Devices))}}
	if in.Feeds != "" {
		props = append(props, cdx.Property{Name: propPrefix + "feeds", Value: in.Feeds})
	}
	return &cdx.Metadata{
		Timestamp:  in.At.UTC().Format(time.RFC3339),
		Lifecycles: &[]cdx.Lifecycle{{Phase: cdx.LifecyclePhaseOperations}},
		Tools:      &cdx.ToolsChoice{Components: &tools},
		Properties: &props,
	}
}

func siteName(s string) string {
	if s == "" {
		return "all sites"
	}
	return s
}

func sortedDevices(ds []*inventory.Device) []*inventory.Device {
	out := slices.Clone(ds)
	slices.SortFunc(out, func(a, b *inventory.Device) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// deviceName is what CycloneDX requires as name: the model, else the type,
// else the hostname, else a placeholder (the bom-ref still identifies it).
func deviceName(d *inventory.Device) string {
	for _, s := range []string{d.Attr(fingerprint.Model), d.Attr(fingerprint.DeviceType), d.Attr(fingerprint.Hostname)} {
		if s != "" {
			return s
		}
	}
	return "unidentified device"
}

func deviceComponent(d *inventory.Device, assetTag string) cdx.Component {
	c := cdx.Component{Type: cdx.ComponentTypeDevice, BOMRef: d.ID, Name: deviceName(d), Version: d.Attr(fingerprint.Version)}
	if m := d.Attr(fingerprint.Manufacturer); m != "" {
		c.Manufacturer = &cdx.OrganizationalEntity{Name: m}
	}
	var desc []string
	if t := d.Attr(fingerprint.DeviceType); t != "" {
		desc = append(desc, t)
	}
	if h := d.Attr(fingerprint.Hostname); h != "" {
		desc = append(desc, h)
	}
	if ip := d.IP(); ip != "" {
		desc = append(desc, ip)
	}
	c.Description = strings.Join(desc, ", ")
	var props []cdx.Property
	add := func(k, v string) {
		if v != "" {
			props = append(props, cdx.Property{Name: propPrefix + k, Value: v})
		}
	}
	add("site", d.Site)
	add("type", d.Attr(fingerprint.DeviceType))
	add("criticality", d.Criticality())
	add("serial", d.Attr(fingerprint.Serial))
	add("hostname", d.Attr(fingerprint.Hostname))
	add("asset_tag", assetTag)
	macs := slices.Clone(d.MACs)
	if d.MAC != "" && !slices.Contains(macs, d.MAC) {
		macs = append([]string{d.MAC}, macs...)
	}
	for _, m := range macs {
		add("mac", m)
	}
	for _, r := range d.IPs {
		add("ip", r.IP)
	}
	add("location", d.Location)
	add("switch_port", d.SwitchPort)
	add("subnet", d.Subnet)
	if !d.FirstSeen.IsZero() {
		add("first_seen", d.FirstSeen.UTC().Format(time.RFC3339))
		add("last_seen", d.LastSeen.UTC().Format(time.RFC3339))
	}
	if len(props) > 0 {
		c.Properties = &props
	}
	var sub []cdx.Component
	if v := d.Attr(fingerprint.Version); v != "" {
		sub = append(sub, cdx.Component{Type: cdx.ComponentTypeFirmware, BOMRef: d.ID + "#firmware",
			Name: strings.TrimSpace(d.Attr(fingerprint.Model) + " firmware"), Version: v, Manufacturer: c.Manufacturer})
	}
	if osName := d.Attr(fingerprint.OS); osName != "" {
		sub = append(sub, cdx.Component{Type: cdx.ComponentTypeOS, BOMRef: d.ID + "#os", Name: osName})
	}
	if sw := d.Attr(fingerprint.Software); sw != "" {
		name, ver := splitVersion(sw)
		sub = append(sub, cdx.Component{Type: cdx.ComponentTypeApplication, BOMRef: d.ID + "#software", Name: name, Version: ver})
	}
	if len(sub) > 0 {
		c.Components = &sub
	}
	return c
}

// splitVersion cuts "OFFIS DCMTK 3.6.7" into name and trailing version.
func splitVersion(s string) (string, string) {
	f := strings.Fields(s)
	if n := len(f); n > 1 {
		last := strings.TrimPrefix(strings.TrimPrefix(f[n-1], "v"), "V")
		if last != "" && last[0] >= '0' && last[0] <= '9' {
			return strings.Join(f[:n-1], " "), last
		}
	}
	return strings.TrimSpace(s), ""
}

func vexVulnerability(in *Input, d *inventory.Device, st *Statement, id string, single bool) cdx.Vulnerability {
	f := st.Finding
	ref := in.Advisories[f.Advisory]
	v := cdx.Vulnerability{BOMRef: "vex:" + d.ID + ":" + id, ID: id, Description: f.Title}
	if isCVE(id) {
		v.Source = &cdx.Source{Name: "NVD", URL: "https://nvd.nist.gov/vuln/detail/" + id}
		if f.Advisory != id {
			refs := []cdx.VulnerabilityReference{{ID: f.Advisory, Source: &cdx.Source{Name: orWord(ref.Publisher, string(f.Source)), URL: ref.URL}}}
			v.References = &refs
		}
	} else {
		v.Source = &cdx.Source{Name: orWord(ref.Publisher, string(f.Source)), URL: ref.URL}
	}
	if ref.URL != "" {
		v.Advisories = &[]cdx.Advisory{{Title: orWord(ref.Title, f.Title), URL: ref.URL}}
	}
	// An advisory's scores belong to its CVEs together; give them to a
	// CVE only when the advisory has just that one.
	if single {
		var rs []cdx.VulnerabilityRating
		for _, s := range f.CVSS {
			if r, ok := rating(s); ok {
				rs = append(rs, r)
			}
		}
		if len(rs) > 0 {
			v.Ratings = &rs
		}
	}
	var cwes []int
	for _, c := range f.CWE {
		if n, err := strconv.Atoi(strings.TrimPrefix(c, "CWE-")); err == nil && n > 0 {
			cwes = append(cwes, n)
		}
	}
	if len(cwes) > 0 {
		v.CWEs = &cwes
	}
	if !f.Published.IsZero() {
		v.Published = f.Published.UTC().Format(time.RFC3339)
	}
	a := &cdx.VulnerabilityAnalysis{State: cdx.ImpactAnalysisState(st.State), Detail: st.Detail, LastUpdated: in.At.UTC().Format(time.RFC3339)}
	if st.State == NotAffected {
		a.Justification = cdx.ImpactAnalysisJustification(st.Justification.CycloneDX)
	}
	if rs := responses(st); len(rs) > 0 {
		a.Response = &rs
	}
	v.Analysis = a
	if st.Item != nil {
		v.Recommendation, v.Workaround = advice(st.Item.Remediations)
	}
	status := cdx.VulnerabilityStatusAffected
	switch st.State {
	case NotAffected, Resolved:
		status = cdx.VulnerabilityStatusNotAffected
	case InTriage:
		status = cdx.VulnerabilityStatusUnknown
	}
	aff := cdx.Affects{Ref: d.ID}
	if ver := d.Attr(fingerprint.Version); ver != "" {
		aff.Range = &[]cdx.AffectedVersions{{Version: ver, Status: status}}
	}
	v.Affects = &[]cdx.Affects{aff}
	props := []cdx.Property{{Name: propPrefix + "advisory", Value: f.Advisory}, {Name: propPrefix + "match_status", Value: string(f.Status)},
		{Name: propPrefix + "match_confidence", Value: string(f.Confidence)}}
	if f.MatchedRange != "" {
		props = append(props, cdx.Property{Name: propPrefix + "matched_range", Value: f.MatchedRange})
	}
	if st.Evidence != "" {
		props = append(props, cdx.Property{Name: propPrefix + "evidence", Value: string(st.Evidence)})
	}
	for _, c := range st.Controls {
		props = append(props, cdx.Property{Name: propPrefix + "control", Value: c})
	}
	if f.KEV {
		props = append(props, cdx.Property{Name: propPrefix + "kev", Value: "true"})
	}
	if it := st.Item; it != nil {
		props = append(props, cdx.Property{Name: propPrefix + "ssvc_priority", Value: it.Decision.PriorityName},
			cdx.Property{Name: propPrefix + "ssvc_vector", Value: it.Decision.Vector},
			cdx.Property{Name: propPrefix + "risk_score", Value: strconv.FormatFloat(it.Score, 'f', 1, 64)})
	}
	v.Properties = &props
	return v
}

// responses says what can be done about an open finding, from the
// classified remediation sentences.
func responses(st *Statement) []cdx.ImpactAnalysisResponse {
	if st.Item == nil || (st.State != Exploitable && st.State != InTriage) {
		return nil
	}
	var out []cdx.ImpactAnalysisResponse
	add := func(r cdx.ImpactAnalysisResponse) {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	for _, o := range st.Item.Remediations {
		switch o.Kind {
		case "vendor_fix":
			add(cdx.IARUpdate)
		case "workaround":
			add(cdx.IARWorkaroundAvailable)
		case "no_fix":
			add(cdx.IARWillNotFix)
		}
	}
	return out
}

// advice joins the fix sentences and the workaround sentences.
func advice(os []risk.Option) (fix, workaround string) {
	var f, w []string
	for _, o := range os {
		switch o.Kind {
		case "vendor_fix", "contact_vendor":
			f = append(f, o.Text)
		case "workaround":
			w = append(w, o.Text)
		}
	}
	return strings.Join(f, " "), strings.Join(w, " ")
}

func rating(s vuln.Score) (cdx.VulnerabilityRating, bool) {
	var m cdx.ScoringMethod
	switch {
	case strings.HasPrefix(s.Version, "2"):
		m = cdx.ScoringMethodCVSSv2
	case s.Version == "3.0":
		m = cdx.ScoringMethodCVSSv3
	case strings.HasPrefix(s.Version, "3"):
		m = cdx.ScoringMethodCVSSv31
	case strings.HasPrefix(s.Version, "4"):
		m = cdx.ScoringMethodCVSSv4
	default:
		return cdx.VulnerabilityRating{}, false
	}
	score := s.Score
	r := cdx.VulnerabilityRating{Score: &score, Method: m, Vector: s.Vector, Severity: severity(m, score)}
	if s.Source != "" {
		r.Source = &cdx.Source{Name: s.Source}
	}
	return r, true
}

// severity is the qualitative rating of the method's specification.
func severity(m cdx.ScoringMethod, s float64) cdx.Severity {
	if m == cdx.ScoringMethodCVSSv2 {
		switch {
		case s >= 7:
			return cdx.SeverityHigh
		case s >= 4:
			return cdx.SeverityMedium
		}
		return cdx.SeverityLow
	}
	switch {
	case s >= 9:
		return cdx.SeverityCritical
	case s >= 7:
		return cdx.SeverityHigh
	case s >= 4:
		return cdx.SeverityMedium
	case s > 0:
		return cdx.SeverityLow
	}
	return cdx.SeverityNone
}

func isCVE(id string) bool { return strings.HasPrefix(id, "CVE-") }

func orWord(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
