// Package vuln holds Ward's advisory model, the read-only Provider the
// matchers use, product-name normalization and the matcher that turns a
// device description into findings with a confidence and a reason.
// Feeds (internal/feeds/...) fill the model; this package never parses
// feed files nor touches storage.
package vuln

import (
	"context"
	"time"
)

// Source names where an advisory came from.
type Source string

// Sources.
const (
	SourceCSAF Source = "csaf"
	SourceNVD  Source = "nvd"
	SourceCVE5 Source = "cve5"
	// SourceICSAdv is a row of the ICS Advisory Project's table of CISA
	// advisories: an advisory's number, dates, vendors, CVEs and score, no
	// remediation, and product ranges only where its cell lists them.
	SourceICSAdv Source = "icsadv"
)

// Advisory is one published advisory: a CSAF document, or one CVE record
// (NVD or CVE 5) whose ID is the CVE.
type Advisory struct {
	ID        string     `json:"id"`
	Source    Source     `json:"source"`
	Title     string     `json:"title,omitempty"`
	Publisher string     `json:"publisher,omitempty"`
	URL       string     `json:"url,omitempty"`
	Published time.Time  `json:"published"`
	Updated   time.Time  `json:"updated"`
	Status    string     `json:"status,omitempty"` // CSAF tracking status, NVD vulnStatus
	Products  []Product  `json:"products,omitempty"`
	Vulns     []Vuln     `json:"vulns,omitempty"`
	Revisions []Revision `json:"revisions,omitempty"`
}

// CVEs lists the advisory's CVE ids in order.
func (a *Advisory) CVEs() []string {
	out := make([]string, 0, len(a.Vulns))
	for _, v := range a.Vulns {
		if v.CVE != "" {
			out = append(out, v.CVE)
		}
	}
	return out
}

// Product is one affected (or not affected) product entry with its range.
// Vendor, Name and Range are kept exactly as published.
type Product struct {
	ID           string `json:"id"`               // CSAF product_id, or the CPE criterion
	Vendor       string `json:"vendor"`           // raw vendor spelling
	Manufacturer string `json:"manufacturer"`     // canonical (canon table)
	Name         string `json:"name"`             // raw product name
	Family       string `json:"family,omitempty"` // normalized model family key
	Range        string `json:"range"`            // raw version or range text
	RangeKind    string `json:"range_kind"`       // "version" (exact) or "range"
	CPE          string `json:"cpe,omitempty"`
	Status       string `json:"status"` // known_affected, fixed, known_not_affected, ... or StatusListed
	// Affected is what an index row (StatusListed) says is affected, as
	// published: prose or a list, never parsed into a range.
	Affected string `json:"affected,omitempty"`
}

// StatusListed marks a product an advisory names without saying which
// versions are affected (an index row, not the advisory). It counts in the
// manufacturer's record; a device whose model it names is only ever under
// investigation, never affected (see judge).
const StatusListed = "listed"

// Vuln is one vulnerability of an advisory.
type Vuln struct {
	CVE          string        `json:"cve,omitempty"`
	Title        string        `json:"title,omitempty"`
	Description  string        `json:"description,omitempty"`
	CWE          []string      `json:"cwe,omitempty"`
	Scores       []Score       `json:"scores,omitempty"`
	Remediations []Remediation `json:"remediations,omitempty"`
	ProductIDs   []string      `json:"product_ids,omitempty"` // which Products this CVE affects
	Published    time.Time     `json:"published"`
	SSVC         *SSVC         `json:"ssvc,omitempty"`
}

// Score is one CVSS score with who computed it.
type Score struct {
	Source  string  `json:"source"`
	Version string  `json:"version"`
	Score   float64 `json:"score"`
	Vector  string  `json:"vector"`
}

// Remediation is a remediation as published.
type Remediation struct {
	Category   string   `json:"category"`
	Text       string   `json:"text"`
	URL        string   `json:"url,omitempty"`
	ProductIDs []string `json:"product_ids,omitempty"`
}

// Revision is one revision-history entry.
type Revision struct {
	Date    time.Time `json:"date"`
	Number  string    `json:"number"`
	Summary string    `json:"summary"`
}

// SSVC holds CISA Vulnrichment's ready SSVC decision inputs.
type SSVC struct {
	Exploitation    string `json:"exploitation"`
	Automatable     string `json:"automatable"`
	TechnicalImpact string `json:"technical_impact"`
	Role            string `json:"role,omitempty"`
	Version         string `json:"version,omitempty"`
}

// KEVEntry is one entry of CISA's Known Exploited Vulnerabilities catalog.
type KEVEntry struct {
	CVE                string    `json:"cve"`
	VendorProject      string    `json:"vendor_project"`
	Product            string    `json:"product"`
	Name               string    `json:"name"`
	DateAdded          time.Time `json:"date_added"`
	DueDate            time.Time `json:"due_date"`
	RequiredAction     string    `json:"required_action,omitempty"`
	RansomwareCampaign string    `json:"ransomware_campaign"` // "Known" or "Unknown"
	CWEs               []string  `json:"cwes,omitempty"`
}

// EPSSScore is FIRST's exploit prediction for one CVE.
type EPSSScore struct {
	CVE        string    `json:"cve"`
	EPSS       float64   `json:"epss"`
	Percentile float64   `json:"percentile"`
	Date       time.Time `json:"date"`
	Model      string    `json:"model,omitempty"`
}

// Provider is read-only access to vulnerability data. Matchers get a
// Provider and never see storage (like grype's vulnerability.Provider).
type Provider interface {
	// Advisories calls fn for every advisory; fn must not keep a pointer
	// past its return unless it copies.
	Advisories(ctx context.Context, fn func(*Advisory) error) error
	// KEV returns the KEV entries of the given CVEs (missing ones absent).
	KEV(ctx context.Context, cves []string) (map[string]KEVEntry, error)
	// EPSS returns the EPSS scores of the given CVEs.
	EPSS(ctx context.Context, cves []string) (map[string]EPSSScore, error)
}

// MemProvider is an in-memory Provider (the snapshot, tests, benchmarks).
type MemProvider struct {
	Items []Advisory
	KEVs  map[string]KEVEntry
	EPSSs map[string]EPSSScore
}

var _ Provider = (*MemProvider)(nil)

// Advisories implements Provider.
func (m *MemProvider) Advisories(ctx context.Context, fn func(*Advisory) error) error {
	for i := range m.Items {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(&m.Items[i]); err != nil {
			return err
		}
	}
	return nil
}

// KEV implements Provider.
func (m *MemProvider) KEV(_ context.Context, cves []string) (map[string]KEVEntry, error) {
	out := map[string]KEVEntry{}
	for _, c := range cves {
		if e, ok := m.KEVs[c]; ok {
			out[c] = e
		}
	}
	return out, nil
}

// EPSS implements Provider.
func (m *MemProvider) EPSS(_ context.Context, cves []string) (map[string]EPSSScore, error) {
	out := map[string]EPSSScore{}
	for _, c := range cves {
		if e, ok := m.EPSSs[c]; ok {
			out[c] = e
		}
	}
	return out, nil
}
