// Package assess is Ward's pre-procurement risk assessment: before a hospital
// buys a device it puts together the manufacturer's public security record
// (advisories, CVEs, severity, known exploitation, recurring weaknesses, how
// and how fast fixes came), what the same model does in the hospital's own
// network (inventory field evidence, open findings and risk tiers) and what
// its SBOM contains, and turns that into a score with its breakdown, key
// findings in plain words and questions for the manufacturer. Several
// candidates are assessed side by side. Rendering lives in assess/report.
package assess

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/assess/sbom"
	"github.com/wardiomt/ward/internal/canon"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/risk"
	"github.com/wardiomt/ward/internal/vuln"
)

// HistorySource lists a manufacturer's advisories (vuln.Matcher does).
type HistorySource interface {
	History(ctx context.Context, manufacturer string) ([]vuln.HistoryEntry, error)
}

// DeviceMatcher matches device descriptions against the feeds (vuln.Matcher does).
type DeviceMatcher interface {
	Match(ctx context.Context, devices []vuln.Device) ([]vuln.Finding, error)
}

// RiskAssessor ranks findings on devices (risk.Engine does).
type RiskAssessor interface {
	Assess(in risk.Input) ([]risk.Item, error)
}

// Deps are what an Assessor reads. History, Matcher and Provider are
// required; Inventory and Risk are optional (no field evidence without an
// inventory; open findings without risk tiers without Risk).
type Deps struct {
	History   HistorySource
	Matcher   DeviceMatcher
	Provider  vuln.Provider // full advisories (revisions, remediation texts), KEV, EPSS
	Inventory inventory.Reader
	Risk      RiskAssessor
	Canon     *canon.Table     // nil: default table
	Norm      *vuln.Normalizer // nil: on Canon
	Feeds     string           // where the feed data came from, printed in the report
	Now       func() time.Time // nil: time.Now
	Logger    *slog.Logger     // nil: discard
}

// Assessor builds assessments. It is safe for concurrent use.
type Assessor struct {
	d Deps
}

// New checks the dependencies and returns an Assessor.
func New(d Deps) (*Assessor, error) {
	if d.History == nil || d.Matcher == nil || d.Provider == nil {
		return nil, errors.New("assess: History, Matcher and Provider are required")
	}
	if d.Canon == nil {
		d.Canon = canon.NewTable(nil)
	}
	if d.Norm == nil {
		d.Norm = vuln.NewNormalizer(d.Canon)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Assessor{d: d}, nil
}

// Candidate is one device under consideration.
type Candidate struct {
	Manufacturer string `json:"manufacturer"`
	Model        string `json:"model,omitempty"`
}

func (c Candidate) String() string {
	if c.Model == "" {
		return c.Manufacturer
	}
	return c.Manufacturer + " " + c.Model
}

// ParseCandidate reads "Manufacturer/Model" (the model may contain further
// slashes; without a slash the whole string is the manufacturer).
func ParseCandidate(s string) (Candidate, error) {
	m, x, _ := strings.Cut(s, "/")
	c := Candidate{Manufacturer: strings.TrimSpace(m), Model: strings.TrimSpace(x)}
	if c.Manufacturer == "" {
		return c, fmt.Errorf("candidate %q: manufacturer missing (want \"Manufacturer/Model\")", s)
	}
	return c, nil
}

// Request asks for one or more candidates. SBOM applies to a single candidate.
type Request struct {
	Candidates []Candidate
	SBOM       *sbom.Document
	Site       string // inventory site; "" = every site
}

// Report is the JSON contract of `ward assess --format json` and GET /api/v1/assess.
type Report struct {
	GeneratedAt time.Time    `json:"generated_at"`
	Feeds       string       `json:"feeds"`
	Inventory   bool         `json:"inventory"` // field evidence was looked for
	Assessments []Assessment `json:"assessments"`
	Comparison  *Comparison  `json:"comparison,omitempty"`
	Method      []string     `json:"method"`
}

// Assessment is the result for one candidate.
type Assessment struct {
	Candidate   Candidate    `json:"candidate"`
	Canonical   string       `json:"canonical_manufacturer"`
	Known       bool         `json:"known_manufacturer"` // in Ward's manufacturer table
	Messages    []string     `json:"messages"`           // what could not be assessed, in plain words
	Record      Record       `json:"record"`
	Model       *ModelRecord `json:"model,omitempty"`
	Field       *Field       `json:"field,omitempty"`
	SBOM        *SBOMResult  `json:"sbom,omitempty"`
	Score       Score        `json:"score"`
	KeyFindings []string     `json:"key_findings"`
	Questions   []Question   `json:"questions"`
}

// Question is one question for the manufacturer with the evidence behind it.
type Question struct {
	Text     string `json:"text"`
	Evidence string `json:"evidence"`
}

// Assess assesses every candidate of r.
func (a *Assessor) Assess(ctx context.Context, r Request) (*Report, error) {
	if len(r.Candidates) == 0 {
		return nil, errors.New("assess: no candidate (a manufacturer is required)")
	}
	if r.SBOM != nil && len(r.Candidates) > 1 {
		return nil, errors.New("assess: an SBOM describes one product; give it with a single candidate, not with a comparison")
	}
	rep := &Report{GeneratedAt: a.d.Now().UTC().Truncate(time.Second), Feeds: a.d.Feeds, Inventory: a.d.Inventory != nil,
		Assessments: []Assessment{}, Method: methodNotes(a.d.Inventory != nil)}
	var fleet []*inventory.Device
	if a.d.Inventory != nil {
		var err error
		if fleet, _, err = a.d.Inventory.ListDevices(ctx, inventory.DeviceFilter{Site: r.Site}); err != nil {
			return nil, fmt.Errorf("assess: inventory: %w", err)
		}
	}
	for _, c := range r.Candidates {
		as, err := a.one(ctx, c, fleet, r.SBOM)
		if err != nil {
			return nil, fmt.Errorf("assess %s: %w", c, err)
		}
		rep.Assessments = append(rep.Assessments, *as)
	}
	if len(rep.Assessments) > 1 {
		rep.Comparison = compare(rep.Assessments)
	}
	return rep, nil
}

func (a *Assessor) one(ctx context.Context, c Candidate, fleet []*inventory.Device, doc *sbom.Document) (*Assessment, error) {
	as := &Assessment{Candidate: c, Messages: []string{}, KeyFindings: []string{}, Questions: []Question{}}
	as.Canonical, as.Known = a.d.Canon.Manufacturer(c.Manufacturer)
	if n := a.d.Norm.Manufacturer(c.Manufacturer); n != "" {
		as.Canonical = n
	}
	hist, err := a.d.History.History(ctx, c.Manufacturer)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	switch {
	case len(hist) == 0 && !as.Known:
		as.Messages = append(as.Messages, fmt.Sprintf("Unknown manufacturer %q: Ward's manufacturer table does not know this name and no advisory in the loaded feeds names it. Check the spelling (e.g. \"GE HealthCare\", \"BD\", \"Philips\"); no record, charts or score are shown for it.", c.Manufacturer))
	case len(hist) == 0:
		as.Messages = append(as.Messages, fmt.Sprintf("No advisory in the loaded feeds names %s. An empty record is not evidence of security: it may mean the manufacturer does not publish advisories. No record charts are shown.", as.Canonical))
	}
	full, err := a.advisories(ctx, hist)
	if err != nil {
		return nil, err
	}
	if as.Record, err = a.record(ctx, hist, full); err != nil {
		return nil, err
	}
	if c.Model != "" {
		if as.Model, err = a.modelRecord(ctx, c); err != nil {
			return nil, err
		}
	}
	if a.d.Inventory != nil {
		if as.Field, err = a.field(ctx, c, as.Canonical, fleet); err != nil {
			return nil, err
		}
		if len(as.Field.Devices) == 0 {
			as.Messages = append(as.Messages, fmt.Sprintf("No device of %s was seen in the inventory: there is no field evidence.", c))
		}
	}
	if doc != nil {
		if as.SBOM, err = a.sbom(ctx, doc); err != nil {
			return nil, err
		}
		if len(as.SBOM.Components) == 0 {
			as.Messages = append(as.Messages, "The SBOM lists no components: nothing could be matched.")
		}
	}
	as.Score = score(as)
	as.KeyFindings = keyFindings(as)
	as.Questions = questions(as)
	return as, nil
}

// advisories loads the full records of the history's advisories: the
// history summary has no revision texts or remediation texts.
func (a *Assessor) advisories(ctx context.Context, hist []vuln.HistoryEntry) (map[string]*vuln.Advisory, error) {
	want := make(map[string]bool, len(hist))
	for _, h := range hist {
		want[h.Advisory] = true
	}
	out := make(map[string]*vuln.Advisory, len(hist))
	if len(want) == 0 {
		return out, nil
	}
	err := a.d.Provider.Advisories(ctx, func(ad *vuln.Advisory) error {
		if want[ad.ID] {
			if _, dup := out[ad.ID]; !dup || ad.Source == vuln.SourceCSAF {
				cp := *ad
				out[ad.ID] = &cp
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("advisories: %w", err)
	}
	return out, nil
}

func methodNotes(inv bool) []string {
	n := []string{
		"Record: every CSAF advisory (CISA ICSMA/ICSA) naming the manufacturer, plus the CISA advisories of the ICS Advisory Project's index that no such file repeats (dates, CVEs, score; no versions or remediation), plus NVD/CVE 5 records whose CVEs none of these covers. Years are advisory initial-release years.",
		"Severity: each CVE is rated once per scoring source (CISA, NVD, the CNA) by that source's highest base score; sources often disagree, so they are shown side by side.",
		"Remediation: an advisory counts as 'fix' when a remediation offers a vendor fix, 'no fix / replace' when the texts say no fix will come, the product is end of life or must be replaced, else 'mitigation only'. CSAF labels are unreliable, so the wording is read as well.",
		"Timeliness: per CVE, the CVE record's publication date (NVD or CVE 5) to the advisory or revision that listed it, and to the first revision whose summary mentions a fix; when no revision does, a fix offered in the advisory is dated at the listing. Remediations carry no dates, so a fix added silently later is dated too early. CVE reservation dates are not in Ward's feed model, so they are not used; where no CVE record date is loaded the report says so rather than guessing.",
		"Trend: the first and second half of the manufacturer's record are compared on advisories per year, highest CVSS per advisory and share of advisories with a fix (that share over the advisories whose remediation text is loaded, not the index rows).",
		"Score: 100 is best. Each part is scored from its evidence and the total is scaled over the parts that have evidence, so a missing part neither helps nor hurts.",
	}
	if inv {
		n = append(n, "Field evidence: devices in Ward's inventory whose manufacturer and model match, with what the passive sensor saw them do. Behaviour is only what was captured; absence is not proof.")
	}
	return n
}
