package vuln

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/wardiomt/ward/internal/cpe"
	"github.com/wardiomt/ward/internal/version"
)

// Device is what the matcher needs to know about one device. Manufacturer
// may be canonical or raw; the matcher normalizes it.
type Device struct {
	ID           string      `json:"id"`
	Manufacturer string      `json:"manufacturer"`
	Model        string      `json:"model"`
	Version      string      `json:"version,omitempty"`
	OS           string      `json:"os,omitempty"` // "Windows 7 SP1", "VxWorks 6.9"
	Type         string      `json:"type,omitempty"`
	Components   []Component `json:"components,omitempty"`
}

// Component is software found on a device (an OS, an embedded stack).
type Component struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	CPE     string `json:"cpe,omitempty"`
}

// Status is a finding's VEX-style status.
type Status string

// Statuses.
const (
	Affected           Status = "affected"
	NotAffected        Status = "not_affected"
	UnderInvestigation Status = "under_investigation"
)

// Confidence rates how sure a match is (vuls rates NVD exact/rough/vendor-only alike).
type Confidence string

// Confidences, strongest first.
const (
	Exact      Confidence = "exact"       // model matched and version in the range, or a distribution package judged against its fix
	ModelOnly  Confidence = "model_only"  // model matched, version unknown (or platform matched)
	FamilyOnly Confidence = "family_only" // only the product family matched
)

// Finding is one advisory that concerns one device.
type Finding struct {
	DeviceID     string        `json:"device_id"`
	Status       Status        `json:"status"`
	Advisory     string        `json:"advisory"`
	Source       Source        `json:"source"`
	Title        string        `json:"title,omitempty"`
	Published    time.Time     `json:"published"`
	CVEs         []string      `json:"cves"`
	Manufacturer string        `json:"manufacturer"`
	Product      string        `json:"product"`
	MatchedRange string        `json:"matched_range"`
	Confidence   Confidence    `json:"confidence"`
	Reason       string        `json:"reason"`
	CVSS         []Score       `json:"cvss"`
	KEV          bool          `json:"kev"`
	KEVCVEs      []string      `json:"kev_cves,omitempty"`
	Ransomware   bool          `json:"ransomware,omitempty"`
	EPSS         *float64      `json:"epss"`
	CWE          []string      `json:"cwe"`
	Remediations []Remediation `json:"remediations"`
	SSVC         []CVESSVC     `json:"ssvc,omitempty"`
}

// CVESSVC is the Vulnrichment SSVC input of one CVE of a finding.
type CVESSVC struct {
	CVE string `json:"cve"`
	SSVC
}

// MaxCVSS is the highest base score of a finding, 0 without scores.
func (f *Finding) MaxCVSS() float64 {
	m := 0.0
	for _, s := range f.CVSS {
		m = max(m, s.Score)
	}
	return m
}

// Matcher matches devices against an in-memory index built once from a
// Provider; it is safe for concurrent use.
type Matcher struct {
	byCPE    map[string][]cpeRef // "vendor:product" of CPE products
	names    map[string]*names
	ranges   map[string]parsedRange
	p        Provider
	norm     *Normalizer
	log      *slog.Logger
	byMfr    map[string][]prodRef
	listed   map[string][]int // manufacturer -> advisory-index rows (SourceICSAdv), for History
	advs     []*Advisory
	cveInfo  map[string]*cveAgg
	platform []PlatformRule
	toolkits []Toolkit
}

type prodRef struct {
	adv    int // index into advs
	prod   int
	*names // shared by every entry with the same vendor, name and model list
	rng    version.Constraint
	rngErr error
	cveIdx []int // indices of Vulns that list this product
	det    *detailsSlot
	listed bool // a StatusListed entry: named without versions (see judge)
}

// cpeRef is a product entry with a CPE, for components that carry one.
type cpeRef struct {
	ref prodRef
	wfn cpe.WFN
}

// detailsSlot caches a product entry's finding details, filled by the
// first worker that needs them and then shared read-only.
type detailsSlot struct{ p atomic.Pointer[details] }

// names is a product name reduced to tokens, interned: NVD repeats one
// CPE product across thousands of records, and matching it once per
// device model is enough.
type names struct {
	id       int
	tokens   []string
	alts     [][]string // model names hidden in the version field ("MMT-512 / MMT-712")
	excl     [][]string // "LOGIQ, not including LOGIQ 100 Pro"
	baseNums bool       // the product name itself carries a model number
}

type parsedRange struct {
	c   version.Constraint
	err error
}

var dottedRe = regexp.MustCompile(`\d\.\d`)

var (
	exclusionRe    = regexp.MustCompile(`(?i),?\s*\b(?:not including|excluding|except(?: for)?)\b\s*`)
	exclusionSepRe = regexp.MustCompile(`(?i)\s+and\s+|,`)
)

// splitExclusion cuts "LOGIQ, not including LOGIQ 100 Pro" into the name
// and the excluded models.
func splitExclusion(name string) (string, []string) {
	loc := exclusionRe.FindStringIndex(name)
	if loc == nil {
		return name, nil
	}
	var excl []string
	for _, e := range exclusionSepRe.Split(name[loc[1]:], -1) {
		if e = strings.TrimSpace(e); e != "" {
			excl = append(excl, e)
		}
	}
	return name[:loc[0]], excl
}

// excluded reports whether the device is one of the product's exclusions.
func (r *names) excluded(dt []string) bool {
	for _, e := range r.excl {
		if MatchModel(dt, e) == ModelMatch && MatchModel(e, dt) == ModelMatch {
			return true
		}
	}
	return false
}

type cveAgg struct {
	scores []Score
	listed []Score // from index rows (SourceICSAdv): used only when no record scores the CVE
	cwe    []string
	ssvc   *SSVC
	pub    time.Time
}

// cvss is the CVE's scores: its records', else an index row's.
func (a *cveAgg) cvss() []Score {
	if len(a.scores) > 0 {
		return a.scores
	}
	return a.listed
}

// Options configure a Matcher.
type Options struct {
	Normalizer *Normalizer    // nil: default canon table
	Logger     *slog.Logger   // nil: discard
	Platform   []PlatformRule // nil: DefaultPlatformRules()
	Toolkits   []Toolkit      // nil: DefaultToolkits()
}

// NewMatcher indexes every advisory of p.
func NewMatcher(ctx context.Context, p Provider, o Options) (*Matcher, error) {
	m := &Matcher{byCPE: map[string][]cpeRef{}, names: map[string]*names{}, ranges: map[string]parsedRange{}, p: p, norm: o.Normalizer, log: o.Logger, byMfr: map[string][]prodRef{},
		listed: map[string][]int{}, cveInfo: map[string]*cveAgg{}, platform: o.Platform}
	if m.norm == nil {
		m.norm = NewNormalizer(nil)
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.platform == nil {
		rules, err := DefaultPlatformRules()
		if err != nil {
			return nil, err
		}
		m.platform = rules
	}
	if m.toolkits = o.Toolkits; m.toolkits == nil {
		ts, err := DefaultToolkits()
		if err != nil {
			return nil, err
		}
		m.toolkits = ts
	}
	err := p.Advisories(ctx, func(a *Advisory) error {
		cp := *a
		// Descriptions are not part of a finding; dropping them keeps an
		// NVD-sized index small.
		cp.Vulns = slices.Clone(cp.Vulns)
		for i := range cp.Vulns {
			cp.Vulns[i].Description = ""
		}
		m.index(&cp)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index advisories: %w", err)
	}
	m.pruneListed()
	return m, nil
}

// pruneListed drops from matching the advisory-index rows that a CSAF
// advisory repeats, by number or by CVEs: its product tree decides.
func (m *Matcher) pruneListed() {
	ids, cves := map[string]bool{}, map[string]bool{}
	for _, a := range m.advs {
		if a.Source == SourceCSAF {
			ids[BaseAdvisoryID(a.ID)] = true
			for _, c := range a.CVEs() {
				cves[c] = true
			}
		}
	}
	dup := map[int]bool{}
	for i, a := range m.advs {
		if a.Source == SourceICSAdv {
			dup[i] = repeated(a, ids, cves)
		}
	}
	for k, refs := range m.byMfr {
		m.byMfr[k] = slices.DeleteFunc(refs, func(r prodRef) bool { return dup[r.adv] })
	}
}

// repeated reports whether index row a is an advisory of CSAF ids (by its
// number without the update letter) or lists only CVEs of CSAF advisories.
func repeated(a *Advisory, ids, cves map[string]bool) bool {
	cs := a.CVEs()
	return ids[BaseAdvisoryID(a.ID)] || len(cs) > 0 && !slices.ContainsFunc(cs, func(c string) bool { return !cves[c] })
}

// Advisories returns the number of advisories indexed.
func (m *Matcher) Advisories() int { return len(m.advs) }

func (m *Matcher) index(a *Advisory) {
	ai := len(m.advs)
	m.advs = append(m.advs, a)
	for _, v := range a.Vulns {
		if v.CVE == "" {
			continue
		}
		agg := m.cveInfo[v.CVE]
		if agg == nil {
			agg = &cveAgg{}
			m.cveInfo[v.CVE] = agg
		}
		for _, s := range v.Scores {
			to := &agg.scores
			if a.Source == SourceICSAdv {
				to = &agg.listed
			}
			if !slices.ContainsFunc(*to, func(x Score) bool { return x.Source == s.Source && x.Vector == s.Vector && x.Score == s.Score }) {
				*to = append(*to, s)
			}
		}
		for _, c := range v.CWE {
			if !slices.Contains(agg.cwe, c) {
				agg.cwe = append(agg.cwe, c)
			}
		}
		if v.SSVC != nil {
			agg.ssvc = v.SSVC
		}
		if !v.Published.IsZero() && (agg.pub.IsZero() || v.Published.Before(agg.pub)) {
			agg.pub = v.Published
		}
	}
	for pi := range a.Products {
		p := &a.Products[pi]
		listed := p.Status == StatusListed
		if a.Source == SourceICSAdv {
			key := fold(m.norm.AdvisoryManufacturer(a, p))
			if l := m.listed[key]; len(l) == 0 || l[len(l)-1] != ai {
				m.listed[key] = append(l, ai)
			}
		}
		if !listed && p.Status != "" && p.Status != "known_affected" && p.Status != "affected" && p.Status != "first_affected" && p.Status != "last_affected" {
			continue
		}
		mfr := m.norm.AdvisoryManufacturer(a, p)
		isModelList := p.RangeKind == "version" && looksLikeModel(p.Range)
		rangeText := p.Range
		if isModelList || rangeText == "" {
			rangeText = "*" // "24950 | 24952", "MMT-512 / MMT-712 Paradigm x12": models, all versions
		}
		nkey := p.Vendor + "\x00" + p.Name
		if isModelList {
			nkey += "\x00" + p.Range
		}
		nm := m.names[nkey]
		if nm == nil {
			nm = m.internNames(p, isModelList)
			m.names[nkey] = nm
		}
		ref := prodRef{adv: ai, prod: pi, names: nm, det: &detailsSlot{}, listed: listed}
		pr, ok := m.ranges[rangeText]
		if !ok {
			pr.c, pr.err = version.ParseConstraint(rangeText)
			m.ranges[rangeText] = pr
		}
		ref.rng, ref.rngErr = pr.c, pr.err
		for vi, v := range a.Vulns {
			if len(v.ProductIDs) == 0 || slices.Contains(v.ProductIDs, p.ID) {
				ref.cveIdx = append(ref.cveIdx, vi)
			}
		}
		if len(ref.cveIdx) == 0 && len(a.Vulns) > 0 {
			continue // listed in the tree but affected by nothing
		}
		key := fold(mfr)
		m.byMfr[key] = append(m.byMfr[key], ref)
		if p.CPE != "" {
			if w, err := cpe.Parse(p.CPE); err == nil {
				k := w[cpe.Vendor] + ":" + w[cpe.Product]
				m.byCPE[k] = append(m.byCPE[k], cpeRef{ref: ref, wfn: w})
			}
		}
	}
}

func (m *Matcher) internNames(p *Product, isModelList bool) *names {
	vt := m.norm.VendorWords(p.Vendor)
	name, excl := splitExclusion(p.Name)
	nm := &names{id: len(m.names), tokens: ModelTokens(name, vt)}
	for _, e := range excl {
		if t := ModelTokens(e, vt); len(t) > 0 {
			nm.excl = append(nm.excl, t)
		}
	}
	if isModelList {
		for alt := range strings.SplitSeq(p.Range, "|") {
			if t := ModelTokens(name+" "+alt, vt); len(t) > 0 {
				nm.alts = append(nm.alts, t)
			}
		}
	}
	nm.baseNums = slices.ContainsFunc(hard(nm.tokens), hasDigit)
	return nm
}

// looksLikeModel tells a model list posing as a version ("24950 | 24952",
// "MMT-1710", "882160 Gemini Dual", "CR-IR 357") from a real version.
func looksLikeModel(s string) bool {
	if strings.HasPrefix(strings.ToLower(s), "vers:") || dottedRe.MatchString(s) {
		return false // "smart3250-2.6.27-wlan2.1.7.cramfs" is a firmware image, a version
	}
	for _, alt := range strings.Split(s, "|") {
		alt = strings.TrimSpace(alt)
		for _, w := range strings.FieldsFunc(alt, func(r rune) bool { return r == ' ' || r == '/' || r == '-' || r == '(' || r == ')' || r == ',' }) {
			lw := strings.ToLower(w)
			letters := 0
			for _, r := range lw {
				if r >= 'a' && r <= 'z' {
					letters++
				}
			}
			switch lw {
			case "build", "service", "pack", "rev", "version", "firmware", "and", "prior", "below", "earlier", "all", "sr", "edition", "release", "mr",
				"global", "us", "canada", "eu":
				continue
			}
			if letters >= 3 && !strings.ContainsAny(lw, ".") {
				return true
			}
			if letters == 0 && len(lw) >= 4 && !strings.Contains(lw, ".") && !strings.HasPrefix(lw, "19") && !strings.HasPrefix(lw, "20") {
				return true // "24950", "3120": a part number, not a year
			}
		}
	}
	return false
}

// matchCache memoizes per Match call: the model-level candidates of a
// (manufacturer, model) and the platform findings of an OS/component set,
// since an inventory holds many units of one model with different versions.
type matchCache struct {
	models   map[[2]string]modelCands
	platform map[string][]Finding
}

type modelCands struct {
	mfr   string
	byAdv []advCands
}

type advCands struct {
	adv   int
	cands []candidate
}

// Match returns the findings of every device, in device order, then by
// advisory. Devices with nothing relevant produce no finding. Devices are
// matched by GOMAXPROCS workers, each with its own caches.
func (m *Matcher) Match(ctx context.Context, devices []Device) ([]Finding, error) {
	per := make([][]Finding, len(devices))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(devices)/256))
	chunk := (len(devices) + workers - 1) / max(workers, 1)
	g, gctx := errgroup.WithContext(ctx)
	for w := 0; w*chunk < len(devices); w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(devices))
		g.Go(func() error {
			c := &matchCache{models: map[[2]string]modelCands{}, platform: map[string][]Finding{}}
			for i := lo; i < hi; i++ {
				if (i-lo)%1024 == 0 {
					if err := gctx.Err(); err != nil {
						return err
					}
				}
				fs := m.matchOne(devices[i], componentsKey(devices[i].Components), c)
				for j := range fs {
					fs[j].DeviceID = devices[i].ID
				}
				per[i] = fs
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	n := 0
	for _, fs := range per {
		n += len(fs)
	}
	out := make([]Finding, 0, n)
	for _, fs := range per {
		out = append(out, fs...)
	}
	if err := m.enrich(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

func componentsKey(cs []Component) string {
	if len(cs) == 0 {
		return ""
	}
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.Name + "\x00" + c.Version + "\x00" + c.CPE + "\x01")
	}
	return b.String()
}

type candidate struct {
	ref   *prodRef
	level ModelLevel
	exact bool // the product's tokens equal the device's
}

// modelCandidates finds, per advisory, the product entries whose names
// match the device's manufacturer and model.
func (m *Matcher) modelCandidates(manufacturer, model string) modelCands {
	mfr := m.norm.Manufacturer(manufacturer)
	mc := modelCands{mfr: mfr}
	refs := m.byMfr[fold(mfr)]
	if len(refs) == 0 || strings.TrimSpace(model) == "" {
		return mc
	}
	// Only the canonical name's words are dropped from the device model:
	// "McKesson Cardiology" must keep "mckesson" to meet its product.
	dt := ModelTokens(model, vendorTokens(mfr))
	dh := hard(dt)
	pos := map[int]int{}
	type verdict struct {
		lvl   ModelLevel
		exact bool
	}
	seen := map[int]verdict{}
	for i := range refs {
		r := &refs[i]
		if v, ok := seen[r.id]; ok {
			if v.lvl != NoMatch {
				j, ok := pos[r.adv]
				if !ok {
					j = len(mc.byAdv)
					pos[r.adv] = j
					mc.byAdv = append(mc.byAdv, advCands{adv: r.adv})
				}
				mc.byAdv[j].cands = append(mc.byAdv[j].cands, candidate{r, v.lvl, v.exact})
			}
			continue
		}
		lvl := MatchModel(dt, r.tokens)
		alts := r.alts
		if r.baseNums && !slices.ContainsFunc(dh, func(t string) bool { return hasDigit(t) && contains(r.tokens, t) }) {
			// "MMT-503 Remote Controller" listing compatible pumps as
			// versions: the listed pumps are not the product.
			alts = nil
		}
		altModel := false
		for _, alt := range alts {
			l := MatchModel(dt, alt)
			lvl = max(lvl, l)
			altModel = altModel || l == ModelMatch
		}
		if len(alts) > 0 && lvl == ModelMatch && !altModel {
			lvl = FamilyMatch // the product name matched but none of the listed models
		}
		if lvl != NoMatch && r.excluded(dt) {
			lvl = NoMatch
		}
		if lvl == NoMatch {
			seen[r.id] = verdict{}
			continue
		}
		exact := SameModel(dt, r.tokens) || slices.ContainsFunc(r.alts, func(a []string) bool { return SameModel(dt, a) })
		seen[r.id] = verdict{lvl, exact}
		j, ok := pos[r.adv]
		if !ok {
			j = len(mc.byAdv)
			pos[r.adv] = j
			mc.byAdv = append(mc.byAdv, advCands{adv: r.adv})
		}
		mc.byAdv[j].cands = append(mc.byAdv[j].cands, candidate{r, lvl, exact})
	}
	return mc
}

// matchModel judges d's manufacturer, model and version against the
// product entries of every advisory (candidates cached per model).
func (m *Matcher) matchModel(d Device, c *matchCache, out []Finding) []Finding {
	mk := [2]string{d.Manufacturer, d.Model}
	mc, ok := c.models[mk]
	if !ok {
		mc = m.modelCandidates(d.Manufacturer, d.Model)
		c.models[mk] = mc
	}
	dv := parseDeviceVersion(d.Version)
	for _, ac := range mc.byAdv {
		if f, ok := m.judge(d, dv, mc.mfr, m.advs[ac.adv], ac.cands); ok {
			out = append(out, f)
		}
	}
	return out
}

func (m *Matcher) matchOne(d Device, compKey string, c *matchCache) []Finding {
	out := m.matchModel(d, c, make([]Finding, 0, 8))
	out = append(out, m.matchComponentCPEs(d)...)
	out = append(out, m.matchToolkits(d, c)...)
	pk := d.Manufacturer + "\x02" + d.OS + "\x02" + compKey
	pf, ok := c.platform[pk]
	if !ok {
		pf = m.matchPlatform(d)
		c.platform[pk] = pf
	}
	out = append(out, pf...)
	return dedupe(out)
}

// matchToolkits matches the device's components that name a known toolkit
// with a version as that toolkit's product (see Toolkit). A component
// without a version is left to the platform rules: every advisory of the
// toolkit would be under investigation on it.
func (m *Matcher) matchToolkits(d Device, c *matchCache) []Finding {
	var out []Finding
	for _, comp := range d.Components {
		t, ver := toolkitOf(m.toolkits, comp)
		if t == nil || ver == "" {
			continue
		}
		n := len(out)
		out = m.matchModel(Device{ID: d.ID, Manufacturer: t.Vendor, Model: t.Product, Version: ver}, c, out)
		for i := range out[n:] {
			f := &out[n+i]
			f.Reason = fmt.Sprintf("component %q (%s %s): %s", comp.Name, t.Vendor, t.Product, f.Reason)
		}
	}
	return out
}

// matchComponentCPEs matches components that carry a CPE (from an SBOM or
// a fingerprint rule) against CPE product entries: WFN match on every
// attribute but the version, then the entry's range on the component's
// version.
func (m *Matcher) matchComponentCPEs(d Device) []Finding {
	var out []Finding
	for _, comp := range d.Components {
		if comp.CPE == "" {
			continue
		}
		w, err := cpe.Parse(comp.CPE)
		if err != nil {
			continue
		}
		ver := comp.Version
		if v := w.Unescaped(cpe.Version); ver == "" && v != cpe.Any && v != cpe.NA {
			ver = v
		}
		target := w
		target[cpe.Version] = cpe.Any
		byAdv := map[int][]candidate{}
		var order []int
		for i, cr := range m.byCPE[w[cpe.Vendor]+":"+w[cpe.Product]] {
			src := cr.wfn
			src[cpe.Version] = cpe.Any // the version is judged by the range
			if !cpe.Match(src, target) {
				continue
			}
			if _, ok := byAdv[cr.ref.adv]; !ok {
				order = append(order, cr.ref.adv)
			}
			byAdv[cr.ref.adv] = append(byAdv[cr.ref.adv], candidate{&m.byCPE[w[cpe.Vendor]+":"+w[cpe.Product]][i].ref, ModelMatch, true})
		}
		cd := Device{ID: d.ID, Manufacturer: w.Unescaped(cpe.Vendor), Model: comp.CPE, Version: ver}
		dv := parseDeviceVersion(ver)
		for _, ai := range order {
			if f, ok := m.judge(cd, dv, m.norm.Manufacturer(w.Unescaped(cpe.Vendor)), m.advs[ai], byAdv[ai]); ok {
				f.Reason = "component " + f.Reason
				out = append(out, f)
			}
		}
	}
	return out
}

// deviceVersion is a device's version parsed once for all advisories.
type deviceVersion struct {
	raw string
	v   version.Version
	err error
}

func parseDeviceVersion(s string) deviceVersion {
	dv := deviceVersion{raw: strings.TrimSpace(s)}
	if dv.raw != "" {
		dv.v, dv.err = version.Parse(dv.raw)
	}
	return dv
}

// judge decides the status of one advisory for a device from its best
// matching product entries.
func (m *Matcher) judge(d Device, dver deviceVersion, mfr string, a *Advisory, cands []candidate) (Finding, bool) {
	best := NoMatch
	for _, c := range cands {
		best = max(best, c.level)
	}
	var top []candidate
	anyExact := false
	for _, c := range cands {
		if c.level == best {
			top = append(top, c)
			anyExact = anyExact || c.exact
		}
	}
	if anyExact {
		// A product named exactly like the device wins over longer names
		// that merely contain it ("Alaris Gateway Workstation" versus the
		// "Alaris Gateway Workstation Alaris CC" pump entries).
		top = slices.DeleteFunc(top, func(c candidate) bool { return !c.exact })
	}
	conf := FamilyOnly
	if best == ModelMatch {
		conf = ModelOnly
	}
	if top[0].ref.listed && best != ModelMatch {
		return Finding{}, false // a product family named in an index row is too vague to raise
	}
	f := Finding{Advisory: a.ID, Source: a.Source, Title: a.Title, Published: a.Published, Manufacturer: mfr}
	pick := func(c candidate) {
		p := &a.Products[c.ref.prod]
		f.MatchedRange = p.Range
		det := c.ref.det.p.Load()
		if det == nil {
			var tmp Finding
			for _, vi := range c.ref.cveIdx {
				if a.Vulns[vi].CVE != "" {
					tmp.CVEs = append(tmp.CVEs, a.Vulns[vi].CVE)
				}
			}
			m.fillDetails(&tmp, a, p.ID, c.ref.cveIdx)
			det = &details{product: strings.TrimSpace(p.Vendor + " " + p.Name), cves: tmp.CVEs, cvss: tmp.CVSS, cwe: tmp.CWE, rems: tmp.Remediations, ssvc: tmp.SSVC}
			c.ref.det.p.Store(det) // a racing worker computes the same value
		}
		// Shared, read-only slices: findings of one product entry are alike.
		f.Product, f.CVEs, f.CVSS, f.CWE, f.Remediations, f.SSVC = det.product, det.cves, det.cvss, det.cwe, det.rems, det.ssvc
	}
	v := dver.raw
	if top[0].ref.listed {
		// The index names the product but not the versions: the device
		// needs checking against the advisory itself.
		pick(top[0])
		f.MatchedRange = ""
		f.Status, f.Confidence = UnderInvestigation, ModelOnly
		f.Reason = fmt.Sprintf("%s %q matches the product %q named in CISA advisory %s; the affected versions are not in the loaded feeds (an advisory-index row), so check %s",
			mfr, d.Model, f.Product, a.ID, cmp.Or(a.URL, "the advisory"))
		if v != "" {
			f.Reason += " for version " + v
		}
		if aff := a.Products[top[0].ref.prod].Affected; aff != "" {
			f.Reason += "; CISA lists as affected: " + aff
		}
		return f, true
	}
	if v == "" {
		pick(top[0])
		f.Status, f.Confidence = UnderInvestigation, conf
		f.Reason = fmt.Sprintf("%s %q matches %s %q (%s); device version unknown, affected range %q",
			mfr, d.Model, levelWord(best), f.Product, a.ID, f.MatchedRange)
		return f, true
	}
	dv := dver.v
	if dver.err != nil {
		pick(top[0])
		f.Status, f.Confidence = UnderInvestigation, conf
		f.Reason = fmt.Sprintf("device version %q is unreadable: %v", v, dver.err)
		return f, true
	}
	var incomparable *candidate
	for i, c := range top {
		if c.ref.rngErr != nil {
			if strings.EqualFold(strings.TrimSpace(a.Products[c.ref.prod].Range), v) {
				pick(c)
				f.Status, f.Confidence = affectedOrFamily(best), upgrade(conf)
				f.Reason = fmt.Sprintf("%s %q version %s equals the affected version %q of %s", mfr, d.Model, v, f.MatchedRange, f.Product)
				return f, true
			}
			incomparable = &top[i]
			continue
		}
		in, err := c.ref.rng.Check(dv)
		if errors.Is(err, version.ErrIncomparable) {
			incomparable = &top[i]
			continue
		}
		if in {
			pick(c)
			f.Status, f.Confidence = affectedOrFamily(best), upgrade(conf)
			what := fmt.Sprintf("is in the affected range %q", f.MatchedRange)
			if c.ref.rng.All {
				what = fmt.Sprintf("is affected (all versions: %q)", f.MatchedRange)
			}
			f.Reason = fmt.Sprintf("%s %q version %s %s of %s", mfr, d.Model, v, what, f.Product)
			if best != ModelMatch {
				f.Reason += "; only the product family matches, so the model needs confirming"
			}
			return f, true
		}
	}
	if incomparable != nil {
		pick(*incomparable)
		f.Status, f.Confidence = UnderInvestigation, conf
		f.Reason = fmt.Sprintf("%s %q version %s cannot be compared with the range %q of %s", mfr, d.Model, v, f.MatchedRange, f.Product)
		return f, true
	}
	pick(top[0])
	ranges := make([]string, 0, len(top))
	for _, c := range top {
		ranges = append(ranges, fmt.Sprintf("%q", a.Products[c.ref.prod].Range))
	}
	slices.Sort(ranges)
	ranges = slices.Compact(ranges)
	f.Status, f.Confidence = NotAffected, conf
	f.MatchedRange = strings.Join(ranges, ", ")
	f.Reason = fmt.Sprintf("%s %q version %s is outside every affected range (%s) of %s", mfr, d.Model, v, f.MatchedRange, f.Product)
	return f, true
}

type details struct {
	product string
	cves    []string
	cvss    []Score
	cwe     []string
	rems    []Remediation
	ssvc    []CVESSVC
}

// upgrade turns a model-level match with a version in range into exact.
func upgrade(c Confidence) Confidence {
	if c == ModelOnly {
		return Exact
	}
	return c
}

// affectedOrFamily reports a family-only match in range as
// under_investigation: the model itself is not confirmed.
func affectedOrFamily(best ModelLevel) Status {
	if best == ModelMatch {
		return Affected
	}
	return UnderInvestigation
}

func levelWord(l ModelLevel) string {
	if l == ModelMatch {
		return "the model of"
	}
	return "only the product family of"
}

// fillDetails copies scores, CWEs and remediations of the CVEs that apply.
func (m *Matcher) fillDetails(f *Finding, a *Advisory, productID string, cveIdx []int) {
	f.CVSS, f.CWE, f.Remediations, f.SSVC = nil, nil, nil, nil
	for _, vi := range cveIdx {
		v := a.Vulns[vi]
		f.CVSS = appendScores(f.CVSS, v.Scores)
		if agg := m.cveInfo[v.CVE]; agg != nil {
			f.CVSS = appendScores(f.CVSS, agg.cvss())
			for _, c := range agg.cwe {
				if !slices.Contains(f.CWE, c) {
					f.CWE = append(f.CWE, c)
				}
			}
			if agg.ssvc != nil {
				f.SSVC = append(f.SSVC, CVESSVC{CVE: v.CVE, SSVC: *agg.ssvc})
			}
		}
		for _, c := range v.CWE {
			if !slices.Contains(f.CWE, c) {
				f.CWE = append(f.CWE, c)
			}
		}
		for _, r := range v.Remediations {
			if len(r.ProductIDs) > 0 && productID != "" && !slices.Contains(r.ProductIDs, productID) {
				continue
			}
			if slices.ContainsFunc(f.Remediations, func(x Remediation) bool {
				return x.Category == r.Category && x.Text == r.Text && x.URL == r.URL
			}) {
				continue
			}
			f.Remediations = append(f.Remediations, Remediation{Category: r.Category, Text: r.Text, URL: r.URL})
		}
	}
	slices.Sort(f.CWE)
}

func appendScores(dst, src []Score) []Score {
	for _, s := range src {
		if !slices.ContainsFunc(dst, func(x Score) bool { return x.Source == s.Source && x.Vector == s.Vector && x.Version == s.Version }) {
			dst = append(dst, s)
		}
	}
	return dst
}

// judged reports whether a finding from a record with versions (not an
// index row) lists cve, whatever its verdict.
func judged(fs []Finding, cve string) bool {
	return slices.ContainsFunc(fs, func(g Finding) bool { return g.Source != SourceICSAdv && slices.Contains(g.CVEs, cve) })
}

// dedupe keeps one finding per advisory, drops CVE-record findings whose
// CVEs an affected CSAF finding already reports, and index-row findings
// whose CVEs a record with versions judged.
func dedupe(fs []Finding) []Finding {
	rank := func(f *Finding) int {
		s := 0
		switch f.Status {
		case Affected:
			s = 30
		case UnderInvestigation:
			s = 20
		case NotAffected:
			s = 10
		}
		switch f.Confidence {
		case Exact:
			s += 3
		case ModelOnly:
			s += 2
		case FamilyOnly:
			s++
		}
		return s
	}
	// Findings per device are few: linear scans beat maps here.
	out := fs[:0]
	for _, f := range fs {
		i := slices.IndexFunc(out, func(g Finding) bool { return g.Advisory == f.Advisory })
		if i < 0 {
			out = append(out, f)
		} else if rank(&f) > rank(&out[i]) {
			out[i] = f
		}
	}
	covered := func(cve string, st Status) bool {
		for i := range out {
			g := &out[i]
			if (g.Source == SourceCSAF || g.Source == SourcePlatform) && slices.Contains(g.CVEs, cve) &&
				(g.Status == st || g.Status == Affected || st != Affected) {
				return true
			}
		}
		return false
	}
	kept := make([]Finding, 0, len(out))
	for _, f := range out {
		if (f.Source == SourceNVD || f.Source == SourceCVE5) && len(f.CVEs) > 0 && covered(f.CVEs[0], f.Status) {
			continue
		}
		if f.Source == SourceICSAdv && len(f.CVEs) > 0 && !slices.ContainsFunc(f.CVEs, func(c string) bool { return !judged(out, c) }) {
			continue // a record with versions judged these CVEs already
		}
		kept = append(kept, f)
	}
	slices.SortFunc(kept, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(rank(&b), rank(&a)), cmp.Compare(a.Advisory, b.Advisory))
	})
	return kept
}

// enrich adds KEV and EPSS for all findings in two provider calls.
func (m *Matcher) enrich(ctx context.Context, fs []Finding) error {
	set := map[string]bool{}
	for _, f := range fs {
		for _, c := range f.CVEs {
			set[c] = true
		}
	}
	if len(set) == 0 {
		return nil
	}
	cves := make([]string, 0, len(set))
	for c := range set {
		cves = append(cves, c)
	}
	slices.Sort(cves)
	kev, err := m.p.KEV(ctx, cves)
	if err != nil {
		return fmt.Errorf("KEV lookup: %w", err)
	}
	epss, err := m.p.EPSS(ctx, cves)
	if err != nil {
		return fmt.Errorf("EPSS lookup: %w", err)
	}
	for i := range fs {
		f := &fs[i]
		f.KEVCVEs = nil
		var best *float64
		for _, c := range f.CVEs {
			if k, ok := kev[c]; ok {
				f.KEV = true
				f.KEVCVEs = append(f.KEVCVEs, c)
				if strings.EqualFold(k.RansomwareCampaign, "Known") {
					f.Ransomware = true
				}
			}
			if e, ok := epss[c]; ok && (best == nil || e.EPSS > *best) {
				v := e.EPSS
				best = &v
			}
		}
		f.EPSS = best
		if f.CVSS == nil {
			f.CVSS = []Score{}
		}
		if f.CWE == nil {
			f.CWE = []string{}
		}
		if f.Remediations == nil {
			f.Remediations = []Remediation{}
		}
		if f.CVEs == nil {
			f.CVEs = []string{}
		}
	}
	return nil
}
