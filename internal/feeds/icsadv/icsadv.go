// Package icsadv reads the ICS Advisory Project's master table of CISA ICS
// advisories (CSV, one row per advisory since 2010: number, dates, vendor,
// product, affected products, CVEs, the advisory's CVSS, CWEs, sectors).
//
// It is an index, not the advisories: no remediation text, and for most
// rows the affected products as prose. Ward uses it for what it carries: a
// manufacturer's record of advisories beyond the CSAF files loaded (older,
// newer, other vendors), a CISA score for CVEs no record scores, and the
// products of the rows whose cell lists each with its range (the newer
// rows, "DCMTK <=3.7.0"). The other rows' products are StatusListed: named,
// versions unknown.
package icsadv

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/vuln"
)

// Columns, matched without regard to case, spaces or underscores.
const (
	colID       = "icscertnumber"
	colTitle    = "icscertadvisorytitle"
	colReleased = "originalreleasedate"
	colUpdated  = "lastupdated"
	colVendor   = "vendor"
	colProduct  = "product"
	colAffected = "productsaffected"
	colCVE      = "cvenumber"
	colCVSS     = "cumulativecvss"
	colCWE      = "cwenumber"
	colSector   = "criticalinfrastructuresector"
)

// Required are the columns without which a row says nothing usable.
var required = []string{colID, colVendor, colReleased}

// Sniff reports whether head (the start of a file) is this table's header.
func Sniff(head []byte) bool {
	line, _, _ := strings.Cut(string(head), "\n")
	cols := header(line)
	return slices.Contains(cols, colID) && slices.Contains(cols, colVendor)
}

func header(line string) []string {
	var out []string
	for c := range strings.SplitSeq(strings.TrimPrefix(line, "\ufeff"), ",") {
		out = append(out, key(c))
	}
	return out
}

func key(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var (
	cveRe = regexp.MustCompile(`CVE-\d{4}-\d{4,}`)
	cweRe = regexp.MustCompile(`CWE-\d+`)
	// Vendor lists: "ENEA, Green Hills Software, ITRON, IP Infusion, Wind River",
	// "BMC Medical, 3B Medical", "Philips and Capsule".
	vendorSep = regexp.MustCompile(`\s*(?:;|,\s*(?:and\s+)?|\s+and\s+|\s*&\s*)\s*`)
)

// Decode reads the table and calls fn with one advisory per number. A CSV
// syntax error or a row without number, vendor or a readable release date
// stops the file with an error naming the line, before any advisory is
// delivered. Rows of one number (the table repeats an advisory per vendor)
// are merged.
func Decode(r io.Reader, norm *vuln.Normalizer, fn func(*vuln.Advisory) error) (int, error) {
	if norm == nil {
		norm = vuln.NewNormalizer(nil)
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // a short row is judged by its columns below
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return 0, fmt.Errorf("ICS advisory table: header: %w", err)
	}
	col := map[string]int{}
	for i, c := range head {
		if k := key(c); k != "" {
			if _, dup := col[k]; !dup {
				col[k] = i
			}
		}
	}
	for _, c := range required {
		if _, ok := col[c]; !ok {
			return 0, fmt.Errorf("ICS advisory table: no %q column in the header", c)
		}
	}
	var rows []*row
	byID := map[string]*row{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("ICS advisory table: %w", err)
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // a blank line
		}
		line, _ := cr.FieldPos(0)
		get := func(c string) string {
			if i, ok := col[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		r, err := parse(get, norm)
		if err != nil {
			return 0, fmt.Errorf("ICS advisory table line %d: %w", line, err)
		}
		if prev := byID[r.adv.ID]; prev != nil {
			prev.merge(r)
			continue
		}
		byID[r.adv.ID] = r
		rows = append(rows, r)
	}
	for _, r := range rows {
		if err := fn(r.advisory(norm)); err != nil {
			return 0, err
		}
	}
	return len(rows), nil
}

// row is one advisory of the table, its repeated rows merged.
type row struct {
	adv   vuln.Advisory
	cves  []string
	cwes  []string
	score float64 // 0: none
}

func parse(get func(string) string, norm *vuln.Normalizer) (*row, error) {
	id := vuln.BaseAdvisoryID(get(colID))
	if id == "" {
		return nil, errors.New("no advisory number")
	}
	vendor := get(colVendor)
	if vendor == "" {
		return nil, fmt.Errorf("%s: no vendor", id)
	}
	pub, err := parseDate(get(colReleased))
	if err != nil {
		return nil, fmt.Errorf("%s: release date: %w", id, err)
	}
	upd := pub
	if s := get(colUpdated); s != "" {
		if upd, err = parseDate(s); err != nil {
			return nil, fmt.Errorf("%s: last updated: %w", id, err)
		}
		if upd.Before(pub) {
			upd = pub
		}
	}
	r := &row{adv: vuln.Advisory{ID: id, Source: vuln.SourceICSAdv, Title: get(colTitle), Publisher: "CISA", URL: advisoryURL(id),
		Published: pub, Updated: upd}}
	product, affectedText := get(colProduct), get(colAffected)
	items, ok := structured(affectedText)
	for _, v := range vendors(vendor, norm) {
		if !ok {
			r.adv.Products = append(r.adv.Products, vuln.Product{Vendor: v, Name: product, Status: vuln.StatusListed, Affected: clip(affectedText, maxAffected)})
			continue
		}
		for _, it := range items {
			r.adv.Products = append(r.adv.Products, vuln.Product{Vendor: v, Name: it.name, Range: it.rng, RangeKind: it.kind, Status: "known_affected"})
		}
	}
	r.cves = uniq(cveRe.FindAllString(strings.ToUpper(get(colCVE)), -1))
	r.cwes = uniq(cweRe.FindAllString(strings.ToUpper(get(colCWE)), -1))
	if f, err := strconv.ParseFloat(get(colCVSS), 64); err == nil && f > 0 && f <= 10 {
		r.score = f
	}
	return r, nil
}

// merge folds a repeated row (another vendor, a later update) into r.
func (r *row) merge(o *row) {
	if o.adv.Updated.After(r.adv.Updated) {
		r.adv.Updated = o.adv.Updated
	}
	for _, p := range o.adv.Products {
		if !slices.ContainsFunc(r.adv.Products, func(q vuln.Product) bool { return q.Vendor == p.Vendor && q.Name == p.Name }) {
			r.adv.Products = append(r.adv.Products, p)
		}
	}
	r.cves = uniq(append(r.cves, o.cves...))
	r.cwes = uniq(append(r.cwes, o.cwes...))
	r.score = max(r.score, o.score)
}

func (r *row) advisory(norm *vuln.Normalizer) *vuln.Advisory {
	a := r.adv
	for i := range a.Products {
		a.Products[i].ID = fmt.Sprintf("%s-%d", a.ID, i+1)
		// With the title known: a bare "Siemens" on a PLC advisory is the
		// industrial group, not the medical manufacturer.
		a.Products[i].Manufacturer = norm.AdvisoryManufacturer(&a, &a.Products[i])
	}
	var scores []vuln.Score
	if r.score > 0 {
		scores = []vuln.Score{{Source: "CISA", Score: r.score}}
	}
	for _, c := range r.cves {
		v := vuln.Vuln{CVE: c, Published: a.Published}
		// The table gives one score per advisory, its highest: a CVE's
		// own only when the advisory has one CVE. Likewise its CWEs.
		if len(r.cves) == 1 {
			v.Scores, v.CWE = scores, r.cwes
		}
		a.Vulns = append(a.Vulns, v)
	}
	if len(r.cves) != 1 && (len(scores) > 0 || len(r.cwes) > 0) {
		// On a CVE-less entry the advisory's severity and weaknesses
		// still count in the manufacturer's record.
		a.Vulns = append(a.Vulns, vuln.Vuln{Title: "advisory as a whole", Scores: scores, CWE: r.cwes, Published: a.Published})
	}
	return &a
}

// item is one product of a structured affected-products cell.
type item struct{ name, rng, kind string }

var (
	// The table's newer rows list products as a CSAF tree would:
	// "DCMTK <=3.7.0", "pynetdicom >=v1.0.0|<v3.0.4", "BioFlo 320
	// Bioreactor vers:all/*", "Metasys 14: <v14.1.5, Metasys 15: <v15.0.1",
	// "Mira Monitor Firmware 1.7.1.47 | Mira Android App 4.5.15.4".
	itemRe = regexp.MustCompile(`^(\S.*?)(?::\s*|\s+)(vers:[a-z]+/\S+|[<>]=?\s?v?\d[\w.\-]*(?:\|[<>]=?\s?v?\d[\w.\-]*)*|v?\d+(?:\.\d+)+(?:[\w\-]*[\w])?)$`)
	// Prose is not a product name ("The following versions ... are
	// affected"), nor a list of ranges ("PPC3100 <1.8.1, 1.8.1"); words in a
	// range are not a version ("9.60_and_above", "latest_stable").
	proseRe      = regexp.MustCompile(`(?i)\b(?:versions?|prior|affected|following|earlier|later|and older|all)\b|[:;<>]|,$`)
	proseRangeRe = regexp.MustCompile(`(?i)and|above|below|prior|later|earlier|latest|stable|before|after`)
	pipeSep      = regexp.MustCompile(`\s+\|\s+`)
	commaSep     = regexp.MustCompile(`,\s+`)
)

// structured reads a cell that lists every product with its range; prose,
// or any item that is not "name range", gives ok false and the row stays
// an index row (StatusListed) that quotes the text.
func structured(text string) ([]item, bool) {
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return nil, false
	}
	parts := pipeSep.Split(text, -1)
	if len(parts) == 1 {
		parts = commaSep.Split(text, -1)
	}
	var out []item
	for _, p := range parts {
		m := itemRe.FindStringSubmatch(strings.TrimSpace(p))
		if m == nil || proseRe.MatchString(m[1]) || proseRangeRe.MatchString(m[2]) {
			return nil, false
		}
		kind := "range"
		if m[2][0] >= '0' && m[2][0] <= '9' || m[2][0] == 'v' && !strings.HasPrefix(m[2], "vers:") {
			kind = "version"
		}
		out = append(out, item{name: m[1], rng: m[2], kind: kind})
	}
	return out, true
}

// vendors splits a multi-vendor cell unless the whole cell is one known
// manufacturer ("Becton, Dickinson and Company (BD)").
func vendors(cell string, norm *vuln.Normalizer) []string {
	if norm.Known(cell) {
		return []string{cell}
	}
	var out []string
	for _, p := range vendorSep.Split(cell, -1) {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return []string{cell}
	}
	return out
}

// advisoryURL is where CISA publishes the advisory.
func advisoryURL(id string) string {
	switch {
	case strings.HasPrefix(id, "ICSMA-"):
		return "https://www.cisa.gov/news-events/ics-medical-advisories/" + strings.ToLower(id)
	case strings.HasPrefix(id, "ICSA-"):
		return "https://www.cisa.gov/news-events/ics-advisories/" + strings.ToLower(id)
	}
	return ""
}

var dateLayouts = []string{"1/2/2006", "2006-01-02", "01/02/2006", time.RFC3339, "2006/01/02", "Jan 2, 2006", "January 2, 2006"}

func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (want M/D/YYYY or YYYY-MM-DD)", s)
}

// maxAffected bounds the affected-products text kept per row: enough for
// a reader to triage, not a copy of the advisory (some rows hold 24 kB).
const maxAffected = 600

// clip cuts s at n bytes, on a word boundary, marking the cut.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut < n/2 {
		cut = n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return s[:cut] + " …"
}

func uniq(s []string) []string {
	var out []string
	for _, x := range s {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
