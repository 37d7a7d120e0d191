// Package export writes Ward's inventory and findings in the formats other
// tools read: CycloneDX 1.6 (devices with their firmware, operating system
// and software), CycloneDX VEX and CSAF 2.0 VEX (findings with an
// exploitability statement per device), and, through internal/cmms, the
// CMMS CSV and FHIR R4 Bundle. The VEX statements are decided from what
// Ward can show (see Decide): a version outside the affected range, a
// vulnerable service never seen on the device, an applied compensating
// control; each says so in its justification.
package export

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/wardiomt/ward/internal/cmms"
	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/feeds"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/inventory/sqlstore"
	"github.com/wardiomt/ward/internal/risk"
	"github.com/wardiomt/ward/internal/vuln"
)

// Format names an export format.
type Format string

// Formats.
const (
	CycloneDX    Format = "cyclonedx"     // inventory as a CycloneDX 1.6 BOM
	CycloneDXVEX Format = "cyclonedx-vex" // inventory + findings as CycloneDX vulnerabilities with analysis
	CSAFVEX      Format = "csaf-vex"      // findings as a CSAF 2.0 document, profile csaf_vex
	FHIR         Format = "fhir"          // FHIR R4 collection Bundle of Devices (internal/cmms/fhir)
	CSV          Format = "csv"           // CMMS asset import CSV (internal/cmms)
)

// Formats lists every format in the order the CLI shows them.
var Formats = []Format{CycloneDX, CycloneDXVEX, CSAFVEX, FHIR, CSV}

// Input is everything an export reads. Build it with Load, or by hand in
// tests.
type Input struct {
	Site       string                 // "" = every site
	Devices    []*inventory.Device    // sorted by id
	Findings   []vuln.Finding         // every status, not_affected included
	Items      []risk.Item            // risk assessment of the affected and under-investigation findings
	Controls   []risk.Control         // applied compensating controls
	AssetTags  map[string]string      // device id -> CMMS asset tag (optional)
	Advisories map[string]AdvisoryRef // advisory id -> where it is published (optional)
	Feeds      string                 // where the advisories came from: "database" or "snapshot"
	At         time.Time              // document time
	Tool       string                 // tool version written in the metadata ("" = "dev")
	Publisher  string                 // CSAF publisher name ("" = DefaultPublisher)
	Namespace  string                 // CSAF publisher namespace URL ("" = DefaultNamespace)
}

// AdvisoryRef is where an advisory is published.
type AdvisoryRef struct {
	Title, URL, Publisher string
	Source                vuln.Source
}

// LoadOptions tune Load.
type LoadOptions struct {
	Site   string       // "" = every site
	Risk   risk.Config  // zero value: risk.DefaultConfig()
	Logger *slog.Logger // nil: discard
	Now    time.Time    // zero: time.Now
	Tool   string
	// InventoryOnly skips matching and risk assessment: enough for the
	// formats without findings (see Format.HasFindings).
	InventoryOnly bool
}

// Load reads the inventory of d, matches it against the database's feeds
// (the bundled snapshot when it has none, as `ward vulns` and `ward risks`
// do), assesses the findings with the risk engine (for the service
// evidence) and reads the applied controls and CMMS asset tags.
func Load(ctx context.Context, d *db.DB, o LoadOptions) (*Input, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := o.Risk
	if cfg.MinObservation == 0 && cfg.HubPeers == 0 {
		cfg = risk.DefaultConfig()
	}
	at := o.Now
	if at.IsZero() {
		at = time.Now()
	}
	in := &Input{Site: o.Site, At: at.UTC().Truncate(time.Second), Tool: o.Tool}
	eng, err := risk.New(cfg, nil)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	inv, err := sqlstore.Open(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("export: inventory: %w", err)
	}
	if in.Devices, _, err = inv.ListDevices(ctx, inventory.DeviceFilter{Site: o.Site, Sort: "id"}); err != nil {
		return nil, fmt.Errorf("export: list devices: %w", err)
	}
	if o.InventoryOnly {
		return in, loadAssetTags(ctx, d, inv, in, log)
	}
	p, origin, err := feeds.OpenProvider(ctx, d, log)
	if err != nil {
		return nil, fmt.Errorf("export: feeds: %w", err)
	}
	in.Feeds = origin.Kind
	m, err := vuln.NewMatcher(ctx, p, vuln.Options{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("export: matcher: %w", err)
	}
	if in.Findings, err = m.Match(ctx, risk.VulnDevices(in.Devices)); err != nil {
		return nil, fmt.Errorf("export: match: %w", err)
	}
	if in.Advisories, err = advisoryRefs(ctx, p, in.Findings); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	texts, err := risk.Texts(ctx, p, in.Findings)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	epss, err := risk.EPSS(ctx, p, in.Findings)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	rs, err := risk.OpenStore(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("export: controls: %w", err)
	}
	if in.Controls, err = rs.Controls(ctx); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if in.Items, err = eng.Assess(risk.Input{Devices: in.Devices, Findings: in.Findings, Texts: texts, EPSS: epss, Controls: in.Controls, At: in.At}); err != nil {
		return nil, fmt.Errorf("export: assess: %w", err)
	}
	return in, loadAssetTags(ctx, d, inv, in, log)
}

// loadAssetTags reads the CMMS asset tags of the devices. They live with
// the CMMS links; opening the outbox creates its tables when the database
// has never had them.
func loadAssetTags(ctx context.Context, d *db.DB, inv *sqlstore.Store, in *Input, log *slog.Logger) error {
	ob, err := cmms.Open(ctx, d, inv, cmms.Options{Logger: log})
	if err != nil {
		return fmt.Errorf("export: cmms links: %w", err)
	}
	in.AssetTags = map[string]string{}
	for _, dev := range in.Devices {
		tag, err := ob.AssetTag(ctx, dev.Site, dev.ID)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if tag != "" {
			in.AssetTags[dev.ID] = tag
		}
	}
	return nil
}

func advisoryRefs(ctx context.Context, p vuln.Provider, fs []vuln.Finding) (map[string]AdvisoryRef, error) {
	want := map[string]bool{}
	for _, f := range fs {
		want[f.Advisory] = true
	}
	out := make(map[string]AdvisoryRef, len(want))
	err := p.Advisories(ctx, func(a *vuln.Advisory) error {
		if want[a.ID] {
			out[a.ID] = AdvisoryRef{Title: a.Title, URL: a.URL, Publisher: a.Publisher, Source: a.Source}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("advisory references: %w", err)
	}
	return out, nil
}

// Write writes in as format f.
func Write(w io.Writer, f Format, in *Input) error {
	switch f {
	case CycloneDX:
		return writeCycloneDX(w, BOM(in))
	case CycloneDXVEX:
		return writeCycloneDX(w, VEXBOM(in))
	case CSAFVEX:
		doc, err := CSAF(in)
		if err != nil {
			return err
		}
		return writeCSAF(w, doc)
	case FHIR:
		return WriteFHIR(w, in)
	case CSV:
		return WriteCSV(w, in)
	}
	return fmt.Errorf("export: unknown format %q (want one of %v)", f, Formats)
}

// HasFindings says whether the format carries findings (needs matching).
func (f Format) HasFindings() bool { return f == CycloneDXVEX || f == CSAFVEX }

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	if slices.Contains(Formats, Format(s)) {
		return Format(s), nil
	}
	return "", fmt.Errorf("unknown export format %q (want one of %v)", s, Formats)
}

func (in *Input) toolVersion() string {
	if in.Tool == "" {
		return "dev"
	}
	return in.Tool
}
