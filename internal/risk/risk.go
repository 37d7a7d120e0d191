// Package risk ranks vulnerability findings by how likely they are to be
// exploited on the specific device and what that would do to patients,
// patient data and the hospital's work, decides with the official CERT/CC
// SSVC Deployer table, and plans remediation that prefers switching off or
// fencing in what is not needed over patching and segmentation.
//
// Likelihood comes from threat intelligence (CISA KEV and ransomware use,
// EPSS, CVSS exploitability per source, CISA ADP SSVC options) and from
// Ward's own observation of the device: whether the vulnerable service was
// ever seen in use, by whom, from where, and whether the device talks to
// the internet. Every input of every decision says where it came from.
package risk

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/canon"
	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/risk/ssvc"
	"github.com/wardiomt/ward/internal/vuln"
)

// Engine assesses findings. Build it once with New; it is safe for
// concurrent use.
type Engine struct {
	cfg      Config
	services *ServiceMap
	deployer *ssvc.Table
	human    *ssvc.Table
}

// New loads the SSVC tables and the service map. services nil means the
// embedded map.
func New(cfg Config, services *ServiceMap) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("risk: %w", err)
	}
	if services == nil {
		var err error
		if services, err = DefaultServiceMap(); err != nil {
			return nil, err
		}
	}
	dep, err := ssvc.Deployer()
	if err != nil {
		return nil, fmt.Errorf("risk: %w", err)
	}
	hi, err := ssvc.HumanImpact()
	if err != nil {
		return nil, fmt.Errorf("risk: %w", err)
	}
	return &Engine{cfg: cfg, services: services, deployer: dep, human: hi}, nil
}

// Input is everything one assessment reads.
type Input struct {
	Devices  []*inventory.Device       // every device of the site: fleet sizes and subnets come from all of them
	Findings []vuln.Finding            // affected / under-investigation findings of those devices
	Texts    map[string]FindingText    // advisory id -> descriptions and CPEs (optional)
	EPSS     map[string]vuln.EPSSScore // CVE -> EPSS with percentile (optional; Finding.EPSS otherwise)
	Controls []Control                 // applied compensating controls
	At       time.Time                 // decision time for the SSVC vectors
}

// Item is the risk of one finding on one device.
type Item struct {
	ID           string            `json:"id"` // device_id "|" advisory
	DeviceID     string            `json:"device_id"`
	Device       string            `json:"device"` // hostname, model or IP: what a technician recognizes
	Manufacturer string            `json:"manufacturer"`
	Model        string            `json:"model"`
	Type         string            `json:"type"`
	IP           string            `json:"ip"`
	Location     string            `json:"location"`
	Advisory     string            `json:"advisory"`
	Title        string            `json:"title"`
	CVEs         []string          `json:"cves"`
	Status       vuln.Status       `json:"status"`
	Confidence   vuln.Confidence   `json:"match_confidence"`
	Services     []ServiceEvidence `json:"services"`
	Likelihood   Likelihood        `json:"likelihood"`
	Impact       Impact            `json:"impact"`
	Decision     Decision          `json:"decision"`
	Score        float64           `json:"score"` // 0-100, orders items within a priority
	Residual     Residual          `json:"residual"`
	Explanation  []Explanation     `json:"explanation"`
	Remediations []Option          `json:"remediations"`
	Actions      []string          `json:"actions"` // ids of plan actions that mitigate it
}

// Likelihood gathers what says the finding will (not) be exploited here.
type Likelihood struct {
	KEV            bool             `json:"kev"`
	KEVCVEs        []string         `json:"kev_cves"`
	Ransomware     bool             `json:"ransomware"`
	EPSS           *float64         `json:"epss"`
	EPSSPercentile *float64         `json:"epss_percentile"`
	CVSS           []Exploitability `json:"cvss"`
	// BareScore is the highest CVSS base score published without a vector
	// (an advisory index gives only the number): it says how severe, not how.
	BareScore      float64        `json:"bare_cvss,omitempty"`
	ADP            []vuln.CVESSVC `json:"cisa_adp_ssvc"`
	NetworkLikely  bool           `json:"network_likely"` // some score allows attack over a network
	PublicContacts []string       `json:"public_contacts"`
	Factor         float64        `json:"factor"` // 0..1 as used in the score
}

// Impact is what exploitation of this device would cost.
type Impact struct {
	Criticality   string   `json:"criticality"`
	Safety        string   `json:"safety_impact"`         // SSVC SI key
	Mission       string   `json:"mission_impact"`        // SSVC MI key for this finding (device baseline raised by PHI, single point, spread)
	DeviceMission string   `json:"device_mission_impact"` // SSVC MI key of the device alone
	PHI           bool     `json:"phi"`
	PHIProtocols  []string `json:"phi_protocols"`
	FleetSize     int      `json:"fleet_size"`     // devices of this model (or type) at the site
	FleetAffected int      `json:"fleet_affected"` // of those, how many have this finding
	Dependents    int      `json:"dependents"`     // distinct clients of its services
	SinglePoint   bool     `json:"single_point"`
	Overrides     []string `json:"overrides"` // notes of site overrides applied
	Factor        float64  `json:"factor"`
}

// Decision is the SSVC Deployer decision.
type Decision struct {
	Exploitation string `json:"exploitation"` // E: N, P, A
	Exposure     string `json:"exposure"`     // EXP: S, C, O
	Automatable  string `json:"automatable"`  // A: N, Y
	HumanImpact  string `json:"human_impact"` // HI: L, M, H, VH
	Priority     string `json:"priority"`     // D, S, O, I
	PriorityName string `json:"priority_name"`
	Vector       string `json:"vector"`
}

// Residual is the risk left once applied controls are counted.
type Residual struct {
	Priority     string   `json:"priority"` // "" when resolved
	PriorityName string   `json:"priority_name"`
	Vector       string   `json:"vector,omitempty"`
	Score        float64  `json:"score"`
	Resolved     bool     `json:"resolved"`
	Controls     []string `json:"controls"` // action ids of the applied controls that cover it
}

// Explanation is one input of a decision in plain words.
type Explanation struct {
	Input  string `json:"input"`
	Value  string `json:"value"`
	Why    string `json:"why"`
	Source string `json:"source"`
}

// priorityRank orders SSVC outcomes, most urgent highest.
var priorityRank = map[string]int{"I": 4, "O": 3, "S": 2, "D": 1, "": 0}

// Less orders items: most urgent priority, then highest score, then id.
func Less(a, b *Item) bool {
	if ra, rb := priorityRank[a.Decision.Priority], priorityRank[b.Decision.Priority]; ra != rb {
		return ra > rb
	}
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.ID < b.ID
}

// effects are what applied controls change in the evidence.
type effects struct {
	restricted, disabled                      map[string]bool // by service key
	noPublic, segmented, workaround, resolved bool
	controls                                  []string
}

// Assess scores every finding; items come out most urgent first.
func (e *Engine) Assess(in Input) ([]Item, error) {
	st := newSite(in.Devices)
	byID := make(map[string]*inventory.Device, len(in.Devices))
	for _, d := range in.Devices {
		byID[d.ID] = d
	}
	ctl := indexControls(in.Controls)
	at := in.At
	if at.IsZero() {
		at = time.Now()
	}
	c := &assessCache{services: map[string][]ServiceMatch{}, options: map[string][]Option{}, affected: map[string]int{}}
	for i := range in.Findings {
		f := &in.Findings[i]
		if d, ok := byID[f.DeviceID]; ok && f.Status != vuln.NotAffected {
			c.affected[f.Advisory+"\x00"+fleetKey(d)]++
		}
	}
	out := make([]Item, 0, len(in.Findings))
	for i := range in.Findings {
		f := &in.Findings[i]
		if f.Status == vuln.NotAffected {
			continue
		}
		d, ok := byID[f.DeviceID]
		if !ok {
			return nil, fmt.Errorf("risk: finding %s names unknown device %s", f.Advisory, f.DeviceID)
		}
		it, err := e.assessOne(st, c, d, f, in, ctl[ItemID(d.ID, f.Advisory)], at)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	sort.SliceStable(out, func(i, j int) bool { return Less(&out[i], &out[j]) })
	return out, nil
}

// ItemID is the stable id of a (device, advisory) pair.
func ItemID(device, advisory string) string { return device + "|" + advisory }

func deviceLabel(d *inventory.Device) string {
	for _, s := range []string{d.Attr(fingerprint.Hostname), strings.TrimSpace(d.Attr(fingerprint.Manufacturer) + " " + d.Attr(fingerprint.Model)), d.IP(), d.MAC} {
		if s != "" {
			return s
		}
	}
	return d.ID
}

// assessCache keeps per-advisory work across the devices it concerns.
type assessCache struct {
	services map[string][]ServiceMatch
	options  map[string][]Option
	affected map[string]int // advisory + fleet -> devices with the finding
}

func (e *Engine) assessOne(st *site, c *assessCache, d *inventory.Device, f *vuln.Finding, in Input, fx effects, at time.Time) (Item, error) {
	it := Item{
		ID: ItemID(d.ID, f.Advisory), DeviceID: d.ID, Device: deviceLabel(d),
		Manufacturer: d.Attr(fingerprint.Manufacturer), Model: d.Attr(fingerprint.Model), Type: d.Attr(fingerprint.DeviceType),
		IP: d.IP(), Location: d.Location, Advisory: f.Advisory, Title: f.Title, CVEs: slices.Clone(f.CVEs),
		Status: f.Status, Confidence: f.Confidence, Services: []ServiceEvidence{}, Actions: []string{},
	}
	if it.CVEs == nil {
		it.CVEs = []string{}
	}
	// Platform findings share an advisory id but not always remediations.
	key := f.Advisory + "\x00" + remediationKey(f)
	sm, ok := c.services[key]
	if !ok {
		sm = e.services.Match(findingText(f, in.Texts[f.Advisory]))
		c.services[key] = sm
		c.options[key] = options(f)
	}
	for _, m := range sm {
		it.Services = append(it.Services, st.serviceEvidence(d, m.Service, m.Reason, e.cfg.MinObservation))
	}
	it.Likelihood = likelihood(d, f, in.EPSS)
	it.Impact = e.impact(st, d, it.Type)
	it.Impact.DeviceMission = it.Impact.Mission
	it.Impact.FleetAffected = max(c.affected[f.Advisory+"\x00"+fleetKey(d)], 1)
	it.Remediations = slices.Clone(c.options[key])
	base, err := e.decide(d, &it, effects{}, at)
	if err != nil {
		return it, err
	}
	it.Decision, it.Score, it.Explanation = base.dec, base.score, base.explain
	it.Likelihood.Factor, it.Impact.Factor = round3(base.lf), round3(base.imf)
	it.Impact.Mission = base.mission
	it.Residual = Residual{Priority: base.dec.Priority, PriorityName: base.dec.PriorityName, Vector: base.dec.Vector, Score: base.score, Controls: []string{}}
	if len(fx.controls) > 0 {
		it.Residual.Controls = fx.controls
		if fx.resolved {
			it.Residual = Residual{Resolved: true, Controls: fx.controls}
		} else {
			r, err := e.decide(d, &it, fx, at)
			if err != nil {
				return it, err
			}
			it.Residual.Priority, it.Residual.PriorityName, it.Residual.Vector, it.Residual.Score = r.dec.Priority, r.dec.PriorityName, r.dec.Vector, r.score
		}
	}
	return it, nil
}

func remediationKey(f *vuln.Finding) string {
	var b strings.Builder
	for _, r := range f.Remediations {
		b.WriteString(r.Category + "\x00" + r.Text + "\x00" + r.URL + "\x01")
	}
	b.WriteString(f.Title + "\x00" + f.Product + "\x00" + strings.Join(f.CWE, ","))
	return b.String()
}

func findingText(f *vuln.Finding, extra FindingText) FindingText {
	ft := FindingText{Text: f.Title + "\n" + f.Product + "\n" + f.Advisory + "\n" + extra.Text, CWE: append(slices.Clone(f.CWE), extra.CWE...), CPEs: extra.CPEs}
	for _, r := range f.Remediations {
		ft.Remediations = append(ft.Remediations, r.Text)
	}
	return ft
}

func likelihood(d *inventory.Device, f *vuln.Finding, epss map[string]vuln.EPSSScore) Likelihood {
	l := Likelihood{KEV: f.KEV, KEVCVEs: slices.Clone(f.KEVCVEs), Ransomware: f.Ransomware, EPSS: f.EPSS,
		CVSS: []Exploitability{}, ADP: slices.Clone(f.SSVC), PublicContacts: publicContacts(d)}
	if l.KEVCVEs == nil {
		l.KEVCVEs = []string{}
	}
	if l.ADP == nil {
		l.ADP = []vuln.CVESSVC{}
	}
	for _, c := range f.CVEs {
		if s, ok := epss[c]; ok {
			if l.EPSS == nil || s.EPSS >= *l.EPSS {
				v, p := s.EPSS, s.Percentile
				l.EPSS, l.EPSSPercentile = &v, &p
			}
		}
	}
	for _, s := range f.CVSS {
		if x, ok := parseExploitability(s); ok {
			l.CVSS = append(l.CVSS, x)
			if x.AV == "N" || x.AV == "A" {
				l.NetworkLikely = true
			}
		} else if s.Vector == "" {
			l.BareScore = max(l.BareScore, s.Score)
		}
	}
	if len(l.CVSS) == 0 {
		l.NetworkLikely = true // unknown: assume reachable rather than hide it
	}
	return l
}

var (
	safetyNames  = map[string]string{"N": "Negligible", "M": "Marginal", "R": "Critical", "C": "Catastrophic"}
	missionNames = map[string]string{"D": "Degraded", "MSC": "MEF Support Crippled", "MEF": "MEF Failure", "MF": "Mission Failure"}
	missionOrder = []string{"D", "MSC", "MEF", "MF"}
	missionPlain = map[string]string{
		"D":   "work is slowed down but care goes on",
		"MSC": "work that supports patient care is badly disrupted",
		"MEF": "an essential clinical function stops",
		"MF":  "several essential clinical functions stop and are hard to restore",
	}
)

func (e *Engine) impact(st *site, d *inventory.Device, typ string) Impact {
	im := Impact{Criticality: d.Criticality(), PHIProtocols: phiProtocols(d), Dependents: dependents(d), Overrides: []string{}}
	if im.PHIProtocols == nil {
		im.PHIProtocols = []string{}
	}
	im.PHI = len(im.PHIProtocols) > 0
	if k := modelKey(d); k != "" {
		im.FleetSize = st.byModel[k]
	} else if typ != "" {
		im.FleetSize = st.byType[typ]
	} else {
		im.FleetSize = 1
	}
	im.SinglePoint = typ == string(canon.PACS) ||
		(typ != "" && st.byType[typ] == 1 && im.Dependents >= e.cfg.HubPeers)
	switch canon.Criticality(im.Criticality) {
	case canon.LifeSustaining:
		im.Safety, im.Mission = "C", "MEF"
	case canon.Therapeutic:
		im.Safety, im.Mission = "R", "MEF"
	case canon.Diagnostic:
		im.Safety, im.Mission = "R", "MSC"
	case canon.ClinicalSupport:
		im.Safety, im.Mission = "M", "MSC"
	default:
		im.Safety, im.Mission = "N", "D"
	}
	for _, o := range e.cfg.overridesFor(d.ID, d.Attr(fingerprint.Manufacturer), d.Attr(fingerprint.Model), typ) {
		if o.Sole != nil {
			im.SinglePoint = *o.Sole
		}
		if o.PHI != nil {
			im.PHI = *o.PHI
		}
		if o.Safety != "" {
			im.Safety = safetyKeys[o.Safety]
		}
		if o.Mission != "" {
			im.Mission = missionKeys[o.Mission]
		}
		note := o.Note
		if note == "" {
			note = "site override"
		}
		im.Overrides = append(im.Overrides, note)
	}
	return im
}

func stepUp(mi string, n int) string {
	i := slices.Index(missionOrder, mi) + n
	return missionOrder[min(max(i, 0), len(missionOrder)-1)]
}

type decided struct {
	dec     Decision
	mission string
	score   float64
	lf, imf float64
	explain []Explanation
}

// decide runs the SSVC tables on the item's evidence as changed by fx.
func (e *Engine) decide(d *inventory.Device, it *Item, fx effects, at time.Time) (decided, error) {
	var r decided
	x := &r.explain
	add := func(input, value, why, source string) { *x = append(*x, Explanation{input, value, why, source}) }
	l, im := it.Likelihood, it.Impact

	// Exploitation.
	exploit, adpExploit, adpAuto := "N", "", ""
	for _, a := range l.ADP {
		switch strings.ToLower(a.Exploitation) {
		case "active":
			adpExploit = "A"
		case "poc", "public poc":
			if adpExploit != "A" {
				adpExploit = "P"
			}
		}
		if strings.EqualFold(a.Automatable, "yes") {
			adpAuto = "Y"
		} else if adpAuto == "" && strings.EqualFold(a.Automatable, "no") {
			adpAuto = "N"
		}
	}
	switch {
	case l.KEV:
		exploit = "A"
		why := fmt.Sprintf("CISA lists %s as exploited in real attacks", strings.Join(l.KEVCVEs, ", "))
		if l.Ransomware {
			why += ", and ransomware gangs are known to use it"
		}
		add("Exploitation", "Active", why+".", "CISA Known Exploited Vulnerabilities catalog")
	case adpExploit != "":
		exploit = adpExploit
		add("Exploitation", map[string]string{"A": "Active", "P": "Public PoC"}[adpExploit],
			map[string]string{"A": "CISA reports attacks using this flaw.", "P": "Working attack code is public, but no attacks are reported."}[adpExploit],
			"CISA ADP SSVC (Vulnrichment)")
	default:
		add("Exploitation", "None", "No reported attacks and no public attack code in CISA's catalog or its SSVC data.", "CISA KEV, CISA ADP SSVC")
	}
	ef := map[string]float64{"A": 0.9, "P": 0.6, "N": 0.25}[exploit]
	if l.Ransomware {
		ef += 0.1
	}
	if l.EPSSPercentile != nil {
		ef = max(ef, 0.25+0.5**l.EPSSPercentile)
		add("Exploit prediction", fmt.Sprintf("EPSS %.3f (percentile %.1f)", *l.EPSS, 100**l.EPSSPercentile),
			fmt.Sprintf("FIRST's model gives a %.1f %% chance of attacks in the next 30 days; higher than %.1f %% of all CVEs.", 100**l.EPSS, 100**l.EPSSPercentile), "FIRST EPSS")
	} else if l.EPSS != nil {
		ef = max(ef, min(0.25+*l.EPSS*2, 0.75))
		add("Exploit prediction", fmt.Sprintf("EPSS %.3f", *l.EPSS), fmt.Sprintf("FIRST's model gives a %.1f %% chance of attacks in the next 30 days.", 100**l.EPSS), "FIRST EPSS")
	}

	// How easy (CVSS): the easiest path any source publishes.
	ease, netAuto := 0.0, false
	var easiest *Exploitability
	var srcs []string
	localOnly := len(l.CVSS) > 0 && !l.NetworkLikely
	for i, c := range l.CVSS {
		if easiest == nil || c.Ease > ease {
			ease, easiest = c.Ease, &l.CVSS[i]
		}
		netAuto = netAuto || c.automatable()
		if n := sourceName(c.Source); !slices.Contains(srcs, n) {
			srcs = append(srcs, n)
		}
	}
	if easiest != nil {
		add("How it is attacked", avWords[easiest.AV]+conditions(*easiest),
			fmt.Sprintf("The easiest of %d published CVSS score(s) (from %s) is CVSS %s by %s: %s.", len(l.CVSS), strings.Join(srcs, ", "), easiest.Version, sourceName(easiest.Source), easiest.Vector),
			"CVSS ("+strings.Join(srcs, ", ")+")")
	} else if l.BareScore > 0 {
		add("How it is attacked", "unknown", fmt.Sprintf("A CVSS base score of %.1f is published without its vector, so how it is attacked is not known; Ward assumes a network attack is possible.", l.BareScore), "CVSS")
	} else {
		add("How it is attacked", "unknown", "No CVSS score is published; Ward assumes a network attack is possible.", "none")
	}
	cf := 0.7
	if easiest != nil {
		cf = 0.4 + 0.6*ease
	}
	if localOnly {
		add("Network attack", "unlikely", "Every published score says an attacker needs to be at the device or logged in to it, so it is not a network risk.", "CVSS")
	}

	// Exposure, from Ward's own observation.
	exposure, xf := e.exposure(d, it, fx, localOnly, add)

	// Automatable.
	auto := "N"
	switch {
	case adpAuto != "":
		auto = adpAuto
	case netAuto:
		auto = "Y"
	}
	autoWhy, autoSrc := "", "CVSS"
	if adpAuto != "" {
		autoSrc = "CISA ADP SSVC"
	}
	if auto == "Y" {
		autoWhy = "An attacker's tool can find and attack it without anyone's help (network, no login, no click)."
		if exposure == "S" && (localOnly || fx.segmented || serviceQuiet(it.Services, fx)) {
			auto = "N"
			autoWhy = "It could be automated in general, but the service it needs is not reachable on this device, so an automated attack would not get in."
			autoSrc += ", Ward observation"
		}
	} else {
		autoWhy = "An attack needs a person's help or steps a tool cannot repeat reliably (login, user click or a hard-to-hit condition)."
	}
	add("Automatable", map[string]string{"Y": "Yes", "N": "No"}[auto], autoWhy, autoSrc)
	af := map[string]float64{"Y": 1, "N": 0.75}[auto]

	// Human impact.
	mission := im.DeviceMission // decide may run again on the same item (residuals, plans)
	var missionWhy []string
	if im.PHI {
		mission = stepUp(mission, 1)
		missionWhy = append(missionWhy, "it handles patient data ("+strings.ToUpper(strings.Join(im.PHIProtocols, ", "))+")")
	}
	if im.SinglePoint {
		mission = stepUp(mission, 1)
		missionWhy = append(missionWhy, "it is a single point of failure that others depend on")
	}
	if im.FleetAffected >= e.cfg.FleetSize && exposure != "S" {
		mission = stepUp(mission, 1)
		missionWhy = append(missionWhy, fmt.Sprintf("%d devices like it share the flaw, so one attack could take all of them out at once", im.FleetAffected))
	}
	spread := auto == "Y" && exposure != "S" && maxPeers(it.Services) >= e.cfg.HubPeers
	if spread {
		mission = stepUp(mission, 1)
		missionWhy = append(missionWhy, fmt.Sprintf("%d other devices use the vulnerable service, so an automated attack could spread to them", maxPeers(it.Services)))
	}
	if len(im.Overrides) > 0 {
		missionWhy = append(missionWhy, "site settings: "+strings.Join(im.Overrides, "; "))
	}
	hi, err := e.human.Decide(map[string]string{"SI": im.Safety, "MI": mission})
	if err != nil {
		return r, fmt.Errorf("risk: human impact of %s: %w", it.ID, err)
	}
	crit := im.Criticality
	if crit == "" {
		crit = "unknown type"
	}
	swhy := fmt.Sprintf("The device is %s, clinical criticality %s; this is the worst harm to a patient if it is taken over or stops working.", orWord(it.Type, ""), crit)
	if it.Type == "" {
		swhy = "Ward does not know what kind of device this is, so it assumes no direct patient harm; set its type to be sure."
	}
	add("Safety impact", safetyNames[im.Safety], swhy, "Ward device type, clinical criticality")
	mwhy := fmt.Sprintf("If it is attacked, %s. %d device(s) of this model at the site.", missionPlain[mission], im.FleetSize)
	if len(missionWhy) > 0 {
		mwhy = fmt.Sprintf("If it is attacked, %s: raised from %q because %s. %d device(s) of this model at the site.",
			missionPlain[mission], missionNames[im.DeviceMission], strings.Join(missionWhy, "; "), im.FleetSize)
	}
	add("Mission impact", missionNames[mission], mwhy, "Ward inventory (protocols, clients, fleet), site config")
	add("Human impact", hi.Name, "Safety impact combined with mission impact by the official SSVC Human Impact table.", "CERT/CC SSVC Human Impact 2.0.2")

	in := map[string]string{"E": exploit, "EXP": exposure, "A": auto, "HI": hi.Key}
	out, err := e.deployer.Decide(in)
	if err != nil {
		return r, fmt.Errorf("risk: deployer decision of %s: %w", it.ID, err)
	}
	r.mission = mission
	r.dec = Decision{Exploitation: exploit, Exposure: exposure, Automatable: auto, HumanImpact: hi.Key,
		Priority: out.Key, PriorityName: out.Name, Vector: e.deployer.Vector(in, out, at)}
	add("Decision", out.Name, "The official SSVC Deployer table for these four inputs: "+priorityWords[out.Key], "CERT/CC SSVC Deployer Patch Application Priority 1.0.0")

	r.lf = clamp01(min(ef, 1) * cf * xf * af)
	// Within one Human Impact class, mission steps and patient data order devices.
	r.imf = clamp01(map[string]float64{"L": 0.25, "M": 0.5, "H": 0.75, "VH": 0.9}[hi.Key] + 0.03*float64(slices.Index(missionOrder, mission)) + 0.03*b2f(im.PHI))
	r.score = math.Round(1000*r.lf*r.imf) / 10
	return r, nil
}

var priorityWords = map[string]string{
	"I": "act now, even outside normal maintenance windows.",
	"O": "act sooner than the next regular maintenance, out of cycle.",
	"S": "handle in the regular maintenance schedule.",
	"D": "no action needed for now; look again when something changes.",
}

// serviceQuiet: every network service the flaw needs is unused or off.
func serviceQuiet(ss []ServiceEvidence, fx effects) bool {
	if len(ss) == 0 {
		return false
	}
	for _, s := range ss {
		if s.Status != StatusNeverSeen && !s.Local && !fx.disabled[s.Key] {
			return false
		}
	}
	return true
}

func maxPeers(ss []ServiceEvidence) int {
	n := 0
	for _, s := range ss {
		n = max(n, len(s.Peers))
	}
	return n
}

func (e *Engine) exposure(d *inventory.Device, it *Item, fx effects, localOnly bool, add func(string, string, string, string)) (string, float64) {
	obs := span(observed(d))
	src := "Ward observation"
	net := slices.DeleteFunc(slices.Clone(it.Services), func(s ServiceEvidence) bool { return s.Local })
	exp, xf, why := "C", 0.55, ""
	switch {
	case localOnly:
		exp, xf, why = "S", 0.15, "The flaw needs local or physical access; the network does not reach it."
		src = "CVSS"
	case len(it.Services) > 0 && len(net) == 0:
		exp, xf, why = "S", 0.15, fmt.Sprintf("It is reached through %s, not the hospital network.", it.Services[0].Name)
		src = "Ward service map"
	case len(net) == 0:
		pub := len(it.Likelihood.PublicContacts) > 0 && !fx.noPublic
		if pub {
			exp, xf, why = "O", 1, fmt.Sprintf("Ward cannot tell which service the flaw is in, and the device talks to %d internet address(es) (%s), a path attackers can use.", len(it.Likelihood.PublicContacts), strings.Join(first(it.Likelihood.PublicContacts, 3), ", "))
		} else {
			why = "Ward cannot tell which network service the flaw is in, so it assumes the device is reachable on the hospital network only."
		}
	default:
		best, bestF := -1, 0.0
		var parts []string
		for _, s := range net {
			rank, f, sw := 1, 0.55, ""
			restricted := fx.restricted[s.Key]
			pub := len(s.PublicPeers) > 0 && !fx.noPublic && !restricted
			switch {
			case fx.disabled[s.Key]:
				rank, f = 0, 0.08
				sw = fmt.Sprintf("%s (%s) has been switched off on this device (applied control)", s.Name, joinPorts(s.Ports))
			case s.Status == StatusSeen:
				sw = fmt.Sprintf("%s (%s) is in use on this device by %d client(s) from %d subnet(s)", s.Name, joinPorts(s.SeenPorts), len(s.Peers), len(s.PeerSubnets))
				if s.Stack {
					sw = fmt.Sprintf("Every packet to this device reaches its TCP/IP stack, open port or not; %d device(s) from %d subnet(s) exchanged traffic with it", len(s.Peers), len(s.PeerSubnets))
				}
				switch {
				case pub:
					rank, f = 2, 1
					sw += fmt.Sprintf(", including internet address(es) %s", strings.Join(first(s.PublicPeers, 3), ", "))
				case restricted:
					f = 0.45
					sw += "; an access list now limits it to those clients (applied control)"
				case s.OutsideSegment && len(s.Peers) >= e.cfg.HubPeers:
					rank, f = 2, 1
					sw += ", reaching it from outside its own segment, so it is widely accessible"
				}
			case s.Status == StatusClientOnly:
				sw = fmt.Sprintf("%s was spoken by this device as a client, but Ward never saw it accept connections on %s", s.Name, joinPorts(s.Ports))
			case s.Status == StatusNeverSeen:
				rank, f = 0, 0.2
				sw = fmt.Sprintf("%s (%s) was never seen in use on this device in %s of observation", s.Name, joinPorts(s.Ports), obs)
			default:
				sw = fmt.Sprintf("%s (%s) was not seen, but Ward has watched this device for only %s, too short to be sure", s.Name, joinPorts(s.Ports), obs)
			}
			if len(s.Signals) > 0 {
				sw += fmt.Sprintf(" (Ward also saw %s)", strings.ReplaceAll(strings.Join(s.Signals, ", "), "_", " "))
			}
			best, bestF = max(best, rank), max(bestF, f)
			parts = append(parts, sw)
		}
		exp, xf = []string{"S", "C", "O"}[best], bestF
		why = strings.Join(parts, "; ") + "."
	}
	// Controls on the whole device.
	switch {
	case fx.segmented:
		exp, xf, why = "S", min(xf, 0.12), why+" The device has been moved to its own segment (applied control)."
	case fx.workaround && exp == "O":
		exp, xf = "C", 0.45
		why += " The published workaround has been applied."
	case fx.workaround:
		xf *= 0.8
		why += " The published workaround has been applied."
	}
	if fx.noPublic && len(it.Likelihood.PublicContacts) > 0 {
		why += " Internet destinations are blocked (applied control)."
	}
	add("System exposure", map[string]string{"S": "Small", "C": "Controlled", "O": "Open"}[exp], why, src)
	return exp, xf
}

func joinPorts(ps []PortRef) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(slices.Clone(s[:n]), fmt.Sprintf("and %d more", len(s)-n))
	}
	return s
}

func orWord(s, alt string) string {
	if s == "" {
		return alt
	}
	s = strings.ReplaceAll(s, "_", " ")
	if strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func clamp01(v float64) float64 { return min(max(v, 0), 1) }

// sourceName turns a score's source into words: NVD, CISA, or the CVE's
// assigner (CNAs are named by UUID in CVE 5 records).
func sourceName(s string) string {
	switch {
	case strings.EqualFold(s, "nvd@nist.gov") || strings.EqualFold(s, "nvd"):
		return "NVD"
	case strings.Contains(strings.ToLower(s), "cisa"):
		return "CISA"
	case len(s) == 36 && strings.Count(s, "-") == 4:
		return "the CVE's assigner"
	case s == "":
		return "unknown source"
	}
	return s
}

func conditions(e Exploitability) string {
	var c []string
	if e.PR == "N" {
		c = append(c, "no login")
	} else if e.PR != "" {
		c = append(c, "needs a login")
	}
	if e.UI == "N" {
		c = append(c, "no user action")
	} else if e.UI != "" {
		c = append(c, "needs a user to click or open something")
	}
	if e.AC == "H" {
		c = append(c, "hard to pull off")
	}
	if len(c) == 0 {
		return ""
	}
	return ", " + strings.Join(c, ", ")
}
