package assess

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/risk"
	"github.com/wardiomt/ward/internal/version"
	"github.com/wardiomt/ward/internal/vuln"
)

// ModelRecord is what the feeds say about the candidate model itself.
type ModelRecord struct {
	Advisories []ModelAdvisory `json:"advisories"`
	KEV        []string        `json:"kev"`
}

// ModelAdvisory is one advisory matched to the model (version unknown).
type ModelAdvisory struct {
	ID         string          `json:"id"`
	Title      string          `json:"title"`
	Published  time.Time       `json:"published"`
	Product    string          `json:"product"`
	Range      string          `json:"range"`
	Confidence vuln.Confidence `json:"confidence"`
	CVEs       []string        `json:"cves"`
	MaxCVSS    float64         `json:"max_cvss"`
	KEV        []string        `json:"kev"`
}

func (a *Assessor) modelRecord(ctx context.Context, c Candidate) (*ModelRecord, error) {
	fs, err := a.d.Matcher.Match(ctx, []vuln.Device{{ID: "candidate", Manufacturer: c.Manufacturer, Model: c.Model}})
	if err != nil {
		return nil, fmt.Errorf("match model: %w", err)
	}
	m := &ModelRecord{Advisories: []ModelAdvisory{}, KEV: []string{}}
	for _, f := range fs {
		if f.Status == vuln.NotAffected {
			continue
		}
		m.Advisories = append(m.Advisories, ModelAdvisory{ID: f.Advisory, Title: f.Title, Published: f.Published, Product: f.Product,
			Range: f.MatchedRange, Confidence: f.Confidence, CVEs: nonNil(f.CVEs), MaxCVSS: f.MaxCVSS(), KEV: nonNil(f.KEVCVEs)})
		m.KEV = append(m.KEV, f.KEVCVEs...)
	}
	slices.Sort(m.KEV)
	m.KEV = slices.Compact(m.KEV)
	return m, nil
}

// Field is the evidence from the hospital's own inventory.
type Field struct {
	Devices    []FieldDevice `json:"devices"`
	Behaviours []Behaviour   `json:"behaviours"`
	// OpenFindings counts affected/under-investigation findings on these devices.
	OpenFindings int         `json:"open_findings"`
	KEVFindings  int         `json:"kev_findings"`
	Tiers        []TierCount `json:"tiers"`
	// RiskSource says how tiers were decided ("" when there are no tiers).
	RiskSource string       `json:"risk_source"`
	VersionLag []VersionLag `json:"version_lag"`
}

// FieldDevice is one device of the candidate seen in the network.
type FieldDevice struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Model      string   `json:"model"`
	Version    string   `json:"version"`
	OS         string   `json:"os"`
	IP         string   `json:"ip"`
	Location   string   `json:"location"`
	Behaviours []string `json:"behaviours"` // Behaviour kinds
	Findings   int      `json:"findings"`
	Top        string   `json:"top_priority,omitempty"` // highest SSVC priority of its findings
}

// Behaviour kinds.
const (
	BehaviourCleartextHL7   = "cleartext_hl7"
	BehaviourCleartextDICOM = "cleartext_dicom"
	BehaviourSMBv1          = "smbv1"
	BehaviourLegacyTLS      = "legacy_tls"
	BehaviourBadCert        = "bad_certificate"
	BehaviourTelnet         = "telnet"
	BehaviourFTP            = "ftp"
	BehaviourSNMP           = "snmp_cleartext_community"
	BehaviourPublicIP       = "public_destinations"
	BehaviourOutdatedOS     = "outdated_os"
	BehaviourOtherSignal    = "other_weak_practice"
)

var behaviourLabels = map[string]string{
	BehaviourCleartextHL7:   "HL7 (patient data) sent without TLS",
	BehaviourCleartextDICOM: "DICOM (patient images) sent without TLS",
	BehaviourSMBv1:          "SMBv1 in use",
	BehaviourLegacyTLS:      "TLS 1.0 or older",
	BehaviourBadCert:        "expired or self-signed TLS certificate",
	BehaviourTelnet:         "Telnet service",
	BehaviourFTP:            "FTP service",
	BehaviourSNMP:           "SNMP v1/v2c with a cleartext community",
	BehaviourPublicIP:       "contact with public internet addresses",
	BehaviourOutdatedOS:     "operating system past its end of support",
	BehaviourOtherSignal:    "other weak security practice",
}

// BehaviourLabel describes a behaviour kind in plain words.
func BehaviourLabel(kind string) string { return cmp.Or(behaviourLabels[kind], kind) }

// Behaviour is one risky behaviour and the devices that showed it.
type Behaviour struct {
	Kind    string   `json:"kind"`
	Label   string   `json:"label"`
	Devices []string `json:"devices"` // device names
	Detail  []string `json:"detail"`  // what exactly was seen
}

// TierCount counts findings of one risk tier (SSVC Deployer priority).
type TierCount struct {
	Tier  string `json:"tier"`
	Count int    `json:"count"`
}

// VersionLag lists devices running older software than the newest seen of the same model.
type VersionLag struct {
	Model  string   `json:"model"`
	Newest string   `json:"newest"`
	Behind []string `json:"behind"` // "name (version)"
}

// eol lists operating systems with the date their (extended) support ended.
var eol = []struct {
	re   func() *regexp.Regexp
	name string
	end  time.Time
}{
	{lazyRegexp(`(?i)windows\s+(nt|2000|me|98|95)\b`), "Windows NT/2000/9x", time.Date(2010, 7, 13, 0, 0, 0, 0, time.UTC)},
	{lazyRegexp(`(?i)windows\s+xp|windows embedded standard 2009|wepos`), "Windows XP", time.Date(2014, 4, 8, 0, 0, 0, 0, time.UTC)},
	{lazyRegexp(`(?i)windows\s+(server\s+)?2003`), "Windows Server 2003", time.Date(2015, 7, 14, 0, 0, 0, 0, time.UTC)},
	{lazyRegexp(`(?i)windows\s+vista`), "Windows Vista", time.Date(2017, 4, 11, 0, 0, 0, 0, time.UTC)},
	{lazyRegexp(`(?i)windows\s+(embedded\s+standard\s+)?7\b`), "Windows 7", time.Date(2020, 1, 14, 0, 0, 0, 0, time.UTC)},
	{lazyRegexp(`(?i)windows\s+(server\s+)?2008`), "Windows Server 2008", time.Date(2020, 1, 14, 0, 0, 0, 0, time.UTC)},
	{lazyRegexp(`(?i)windows\s+8(\.1)?\b`), "Windows 8/8.1", time.Date(2023, 1, 10, 0, 0, 0, 0, time.UTC)},
	{lazyRegexp(`(?i)windows\s+(server\s+)?2012`), "Windows Server 2012", time.Date(2023, 10, 10, 0, 0, 0, 0, time.UTC)},
	{lazyRegexp(`(?i)windows\s+10\b`), "Windows 10", time.Date(2025, 10, 14, 0, 0, 0, 0, time.UTC)},
}

// OutdatedOS returns the name of the end-of-support OS that os names as of at, "" if none.
func OutdatedOS(os string, at time.Time) string {
	if strings.Contains(strings.ToLower(os), " or later") {
		return "" // "Windows Server 2016 or later": the fingerprint cannot tell
	}
	for _, e := range eol {
		if e.re().MatchString(os) && at.After(e.end) {
			return e.name + " (support ended " + e.end.Format("2006-01-02") + ")"
		}
	}
	return ""
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (a *Assessor) field(ctx context.Context, c Candidate, canonical string, fleet []*inventory.Device) (*Field, error) {
	f := &Field{Devices: []FieldDevice{}, Behaviours: []Behaviour{}, Tiers: []TierCount{}, VersionLag: []VersionLag{}}
	vw := a.d.Norm.VendorWords(c.Manufacturer)
	want := vuln.ModelTokens(c.Model, vw)
	var devs []*inventory.Device
	for _, d := range fleet {
		s := d.Summarize()
		if !strings.EqualFold(a.d.Norm.Manufacturer(str(s.Manufacturer)), canonical) || str(s.Manufacturer) == "" {
			continue
		}
		if c.Model != "" && vuln.MatchModel(want, vuln.ModelTokens(str(s.Model), vw)) == vuln.NoMatch {
			continue
		}
		devs = append(devs, d)
	}
	if len(devs) == 0 {
		return f, nil
	}
	now := a.d.Now()
	beh := map[string]*Behaviour{}
	add := func(kind, dev, detail string) {
		b := beh[kind]
		if b == nil {
			b = &Behaviour{Kind: kind, Label: BehaviourLabel(kind), Devices: []string{}, Detail: []string{}}
			beh[kind] = b
		}
		if !slices.Contains(b.Devices, dev) {
			b.Devices = append(b.Devices, dev)
		}
		if detail != "" && !slices.Contains(b.Detail, detail) && len(b.Detail) < 12 {
			b.Detail = append(b.Detail, detail)
		}
	}
	idx := map[string]int{}
	for _, d := range devs {
		s := d.Summarize()
		fd := FieldDevice{ID: d.ID, Model: str(s.Model), Version: str(s.Version), OS: str(s.OS), IP: d.IP(), Location: str(s.Location), Behaviours: []string{}}
		fd.Name = cmp.Or(str(s.Hostname), fd.IP, d.ID)
		kinds := map[string]bool{}
		mark := func(kind, detail string) {
			kinds[kind] = true
			add(kind, fd.Name, detail)
		}
		for _, p := range d.Protocols {
			switch p.Name {
			case "hl7":
				mark(BehaviourCleartextHL7, fmt.Sprintf("%s: %d HL7 observations in cleartext", fd.Name, p.Count))
			case "dicom":
				mark(BehaviourCleartextDICOM, fmt.Sprintf("%s: %d DICOM observations in cleartext", fd.Name, p.Count))
			}
		}
		for _, sg := range d.Signals {
			switch {
			case sg.Name == "smbv1":
				mark(BehaviourSMBv1, fd.Name+": "+cmp.Or(sg.Value, sg.Field))
			case sg.Name == "tls_legacy_version":
				mark(BehaviourLegacyTLS, fd.Name+": "+cmp.Or(sg.Value, sg.Field))
			case strings.HasPrefix(sg.Name, "tls_cert") || sg.Name == "tls_self_signed":
				mark(BehaviourBadCert, fd.Name+": "+strings.ReplaceAll(sg.Name, "_", " "))
			case sg.Name == "telnet":
				mark(BehaviourTelnet, fd.Name+": Telnet")
			case sg.Name == "ftp":
				mark(BehaviourFTP, fd.Name+": FTP")
			case strings.HasPrefix(sg.Name, "ftp_"):
				mark(BehaviourFTP, fd.Name+": "+strings.ReplaceAll(sg.Name, "_", " "))
			case sg.Name == "snmp_cleartext_community":
				mark(BehaviourSNMP, fd.Name+": community sent in cleartext")
			default:
				mark(BehaviourOtherSignal, fd.Name+": "+strings.ReplaceAll(sg.Name, "_", " "))
			}
		}
		for _, sv := range d.Services {
			if sv.Transport != "tcp" {
				continue
			}
			switch sv.Port {
			case 23:
				mark(BehaviourTelnet, fd.Name+": listens on tcp/23")
			case 21:
				mark(BehaviourFTP, fd.Name+": listens on tcp/21")
			}
		}
		for _, e := range d.External {
			mark(BehaviourPublicIP, fd.Name+" → "+e.IP+":"+strconv.Itoa(int(e.Port)))
		}
		if o := OutdatedOS(fd.OS, now); o != "" {
			mark(BehaviourOutdatedOS, fd.Name+": "+o)
		}
		for k := range kinds {
			fd.Behaviours = append(fd.Behaviours, k)
		}
		slices.Sort(fd.Behaviours)
		idx[d.ID] = len(f.Devices)
		f.Devices = append(f.Devices, fd)
	}
	for _, b := range beh {
		f.Behaviours = append(f.Behaviours, *b)
	}
	slices.SortFunc(f.Behaviours, func(x, y Behaviour) int {
		return cmp.Or(cmp.Compare(len(y.Devices), len(x.Devices)), cmp.Compare(x.Kind, y.Kind))
	})
	f.VersionLag = versionLag(f.Devices)
	if err := a.fieldFindings(ctx, f, devs, fleet, idx, now); err != nil {
		return nil, err
	}
	return f, nil
}

// fieldFindings matches the devices and, with a risk engine, tiers the findings.
func (a *Assessor) fieldFindings(ctx context.Context, f *Field, devs, fleet []*inventory.Device, idx map[string]int, now time.Time) error {
	vds := risk.VulnDevices(devs)
	if len(vds) == 0 {
		return nil
	}
	fs, err := a.d.Matcher.Match(ctx, vds)
	if err != nil {
		return fmt.Errorf("match field devices: %w", err)
	}
	open := fs[:0:0]
	for _, x := range fs {
		if x.Status == vuln.Affected || x.Status == vuln.UnderInvestigation {
			open = append(open, x)
		}
	}
	f.OpenFindings = len(open)
	for _, x := range open {
		f.Devices[idx[x.DeviceID]].Findings++
		if x.KEV {
			f.KEVFindings++
		}
	}
	if a.d.Risk == nil || len(open) == 0 {
		if len(open) > 0 {
			f.RiskSource = "no risk engine: open findings counted by the vulnerability matcher, without tiers"
		}
		return nil
	}
	texts, err := risk.Texts(ctx, a.d.Provider, open)
	if err != nil {
		return fmt.Errorf("risk texts: %w", err)
	}
	epss, err := risk.EPSS(ctx, a.d.Provider, open)
	if err != nil {
		return fmt.Errorf("risk epss: %w", err)
	}
	items, err := a.d.Risk.Assess(risk.Input{Devices: fleet, Findings: open, Texts: texts, EPSS: epss, At: now.UTC().Truncate(time.Second)})
	if err != nil {
		return fmt.Errorf("risk: %w", err)
	}
	f.RiskSource = "Ward risk engine (CERT/CC SSVC Deployer priority with field exposure)"
	tiers := map[string]int{}
	rank := map[string]int{"Immediate": 4, "Out-of-Cycle": 3, "Scheduled": 2, "Defer": 1}
	for _, it := range items {
		name := cmp.Or(it.Decision.PriorityName, it.Decision.Priority)
		tiers[name]++
		if i, ok := idx[it.DeviceID]; ok && rank[name] > rank[f.Devices[i].Top] {
			f.Devices[i].Top = name
		}
	}
	for t, n := range tiers {
		f.Tiers = append(f.Tiers, TierCount{Tier: t, Count: n})
	}
	slices.SortFunc(f.Tiers, func(x, y TierCount) int {
		return cmp.Or(cmp.Compare(rank[y.Tier], rank[x.Tier]), cmp.Compare(x.Tier, y.Tier))
	})
	return nil
}

// versionLag finds devices of a model running older versions than the newest seen.
func versionLag(devs []FieldDevice) []VersionLag {
	byModel := map[string][]FieldDevice{}
	for _, d := range devs {
		if d.Model != "" && d.Version != "" {
			byModel[d.Model] = append(byModel[d.Model], d)
		}
	}
	out := []VersionLag{}
	for m, ds := range byModel {
		var newest version.Version
		ok := false
		for _, d := range ds {
			v, err := version.Parse(d.Version)
			if err != nil {
				continue
			}
			if !ok {
				newest, ok = v, true
				continue
			}
			if c, err := version.Compare(v, newest); err == nil && c > 0 {
				newest = v
			}
		}
		if !ok {
			continue
		}
		lag := VersionLag{Model: m, Newest: newest.Raw, Behind: []string{}}
		for _, d := range ds {
			v, err := version.Parse(d.Version)
			if err != nil {
				continue
			}
			if c, err := version.Compare(v, newest); err == nil && c < 0 {
				lag.Behind = append(lag.Behind, d.Name+" ("+d.Version+")")
			}
		}
		if len(lag.Behind) > 0 {
			slices.Sort(lag.Behind)
			out = append(out, lag)
		}
	}
	slices.SortFunc(out, func(x, y VersionLag) int { return cmp.Compare(x.Model, y.Model) })
	return out
}
