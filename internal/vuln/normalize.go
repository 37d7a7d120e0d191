package vuln

import (
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/wardiomt/ward/internal/canon"
)

// Normalizer maps vendor and product spellings from CSAF, CPE and device
// fingerprints onto canonical manufacturers and comparable model tokens.
type Normalizer struct {
	canon *canon.Table
}

// NewNormalizer builds a Normalizer on a canon table (nil: the defaults).
func NewNormalizer(t *canon.Table) *Normalizer {
	if t == nil {
		t = canon.NewTable(nil)
	}
	return &Normalizer{canon: t}
}

// Manufacturer returns the canonical manufacturer of a raw vendor name.
// CPE vendor slugs ("ge_healthcare") and multi-vendor strings
// ("Philips and Capsule") are tried part by part.
func (n *Normalizer) Manufacturer(raw string) string {
	c, _ := n.resolve(raw)
	return c
}

// resolve returns the canonical manufacturer of raw and the spelling the
// table recognised in it ("" when none was).
func (n *Normalizer) resolve(raw string) (string, string) {
	raw = strings.TrimSpace(strings.ReplaceAll(raw, "_", " "))
	if c, ok := n.canon.Manufacturer(raw); ok {
		return c, raw
	}
	// "Becton, Dickinson and Company (BD)": the parenthesized short name.
	if m := parenRe.FindStringSubmatch(raw); m != nil {
		if c, ok := n.canon.Manufacturer(m[1]); ok {
			return c, m[1]
		}
		rest := parenRe.ReplaceAllString(raw, "")
		if c, ok := n.canon.Manufacturer(rest); ok {
			return c, rest
		}
	}
	// A longest known prefix: "GE Healthcare Life Sciences", "Medtronic MiniMed".
	words := strings.Fields(raw)
	for k := len(words) - 1; k >= 1; k-- {
		prefix := strings.Join(words[:k], " ")
		if c, ok := n.canon.Manufacturer(prefix); ok {
			return c, prefix
		}
	}
	c, _ := n.canon.Manufacturer(raw)
	return c, ""
}

// Known reports whether raw as a whole names a manufacturer of the canon
// table, alone or with its parenthesized short name ("Becton, Dickinson
// and Company (BD)"); a list of vendors ("Philips and Capsule") is not.
func (n *Normalizer) Known(raw string) bool {
	raw = strings.TrimSpace(strings.ReplaceAll(raw, "_", " "))
	if _, ok := n.canon.Manufacturer(raw); ok {
		return true
	}
	if m := parenRe.FindStringSubmatch(raw); m != nil {
		if _, ok := n.canon.Manufacturer(m[1]); ok {
			return true
		}
		_, ok := n.canon.Manufacturer(parenRe.ReplaceAllString(raw, ""))
		return ok
	}
	return false
}

// AdvisoryManufacturer is the canonical manufacturer of product p of
// advisory a. A group-wide vendor spelling ("GE", "Siemens", see
// canon.ParentBrand) names the medical manufacturer, as it does in a
// hospital, except in a CISA industrial (ICSA) advisory with no medical
// word in its title, the product's name or the vulnerability texts: there
// it is the industrial group, so PLC and relay advisories neither count in
// a medical manufacturer's record nor match its devices. (NVD files
// Siemens' ultrasound systems under vendor "siemens" too, so records
// without that CISA context keep the medical manufacturer.)
func (n *Normalizer) AdvisoryManufacturer(a *Advisory, p *Product) string {
	if p.Vendor == "" {
		return p.Manufacturer
	}
	c, spelled := n.resolve(p.Vendor)
	if ind, ok := canon.ParentBrand(spelled); ok && industrialAdvisory(a, p) {
		return ind
	}
	return c
}

// medicalStems mark a word as medical (matched at the start of a word, so
// "PACSystems" is not "PACS").
var medicalStems = []string{"medic", "health", "clinic", "patient", "hospital", "imaging", "ultrasound", "anesthe", "anaesthe",
	"infusion", "radiolog", "x-ray", "mammograph", "tomograph", "dicom", "hl7", "syngo"}

func industrialAdvisory(a *Advisory, p *Product) bool {
	if !strings.HasPrefix(a.ID, "ICSA-") {
		return false
	}
	medical := func(s string) bool {
		for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' }) {
			if w == "pacs" || slices.ContainsFunc(medicalStems, func(st string) bool { return strings.HasPrefix(w, st) }) {
				return true
			}
		}
		return false
	}
	if medical(a.Title) || medical(p.Name) {
		return false
	}
	return !slices.ContainsFunc(a.Vulns, func(v Vuln) bool { return medical(v.Title) || medical(v.Description) })
}

var (
	parenRe    = regexp.MustCompile(`\(([^()]*)\)`)
	versionsRe = regexp.MustCompile(`(?i)\s*[:,]?\s*(?:all\s+)?(?:versions?|vers\.|firmware versions?|software versions?)\b.*$`)
)

// VendorWords are the words to drop from a product name filed under raw:
// the canonical name's, plus the raw spelling's when it names one vendor
// (not "Hillrom and ELI, Baxter", whose "ELI" is a product line).
func (n *Normalizer) VendorWords(raw string) map[string]bool {
	mfr := n.Manufacturer(raw)
	if _, ok := n.canon.Manufacturer(strings.ReplaceAll(raw, "_", " ")); ok {
		return vendorTokens(raw, mfr)
	}
	return vendorTokens(mfr)
}

// CleanProductName strips what is not the product from a CSAF/CVE product
// name: a ": Versions 9.33 and prior" tail and a repeated vendor prefix
// ("Baxter Baxter Connex Health Portal" -> "Connex Health Portal").
func (n *Normalizer) CleanProductName(vendor, name string) string {
	s := strings.TrimSpace(name)
	if i := strings.Index(s, ":"); i > 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(versionsRe.ReplaceAllString(s, ""))
	vt := n.VendorWords(vendor)
	words := strings.Fields(s)
	for len(words) > 1 && vt[fold(words[0])] {
		words = words[1:]
	}
	if len(words) == 0 {
		return strings.TrimSpace(name)
	}
	return strings.Join(words, " ")
}

// CPEProductName turns a CPE product slug into words ("alaris_8015_pcu_firmware" -> "alaris 8015 pcu firmware").
func CPEProductName(slug string) string {
	return strings.TrimSpace(slugReplacer.Replace(slug))
}

var slugReplacer = strings.NewReplacer("_", " ", `\`, "", "-", " ")

func fold(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// stopWords carry no model identity.
var stopWords = map[string]bool{
	"and": true, "or": true, "the": true, "of": true, "for": true, "with": true, "all": true, "a": true,
	"model": true, "models": true, "series": true, "version": true, "versions": true, "software": true,
	"firmware": true, "fw": true, "sw": true, "prior": true, "earlier": true, "family": true, "product": true,
	"products": true, "device": true, "devices": true, "inc": true, "medical": true, "tm": true, "r": true,
	"solution": true, "solutions": true, "application": true, "app": true, "platform": true,
}

// abbreviations expand CPE slugs and fingerprint shorthands.
var abbreviations = map[string][]string{
	"pcu":  {"pc", "unit"},
	"lvp":  {"large", "volume", "pump"},
	"pacs": {"pacs"},
	"mgr":  {"manager"},
	"mon":  {"monitor"},
	"ws":   {"workstation"},
}

// ModelTokens reduces a model or product name to comparable tokens,
// without the vendor's own words. Letter/digit boundaries split words, so
// "NM750b", "NM 750b" and "nm-750-b" meet ("nm", "750", "b").
func ModelTokens(s string, vendorWords map[string]bool) []string {
	var out []string
	prevLetters := ""
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if stopWords[w] || vendorWords[w] {
			prevLetters = ""
			continue
		}
		if ex, ok := abbreviations[w]; ok {
			out = append(out, ex...)
			prevLetters = ""
			continue
		}
		// Plural "Systems", "Pumps"; not "Plus", "Alaris", "Gas".
		if len(w) > 4 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is") && !hasDigit(w) {
			w = w[:len(w)-1]
		}
		parts := splitAlnum(w)
		out = append(out, parts...)
		// Soft tokens ("+" prefix) only ever add evidence: the whole word
		// ("ex1150") and a short letter word joined to the number after it
		// ("NM 750b" -> "nm750b").
		if len(parts) > 1 {
			out = append(out, "+"+w)
		}
		if prevLetters != "" && isDigitByte(w[0]) {
			out = append(out, "+"+prevLetters+w)
		}
		prevLetters = ""
		if !hasDigit(w) && len(w) <= 3 {
			prevLetters = w
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// splitAlnum cuts "mx800" into "mx", "800" and "670g" into "670", "g".
func splitAlnum(w string) []string {
	var out []string
	start := 0
	for i := 1; i < len(w); i++ {
		if isDigitByte(w[i]) != isDigitByte(w[i-1]) {
			out = append(out, w[start:i])
			start = i
		}
	}
	return append(out, w[start:])
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

func hasDigit(s string) bool {
	return strings.ContainsFunc(s, unicode.IsDigit)
}

// vendorTokens are the words of a vendor's names, dropped from model names.
func vendorTokens(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		for _, w := range strings.FieldsFunc(strings.ToLower(n), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		}) {
			switch w {
			case "and", "company", "co", "inc", "corporation", "ag", "se", "the", "of", "systems", "system":
				continue
			}
			m[w] = true
		}
	}
	return m
}

// ModelLevel says how well a device model matches a product name.
type ModelLevel int

// Levels, weakest first.
const (
	NoMatch ModelLevel = iota
	FamilyMatch
	ModelMatch
)

// MatchModel compares a device's model tokens with a product's tokens.
// Every model number the device states must appear in the product; a
// product naming a model number the device does not state matches only the
// family ("Alaris" against "Alaris PC Unit Model 8015").
func MatchModel(device, product []string) ModelLevel {
	dh, ph := hard(device), hard(product)
	if len(dh) == 0 || len(ph) == 0 {
		return NoMatch
	}
	in := func(t string) bool { return contains(product, t) || contains(product, "+"+t) }
	common, unmatchedNum, sharedNum, anyNum := 0, false, false, false
	for _, d := range dh {
		switch {
		case contains(ph, d):
			common++
			if hasDigit(d) {
				anyNum = true
			}
		case hasDigit(d):
			unmatchedNum = true
		}
	}
	for _, d := range device {
		if d = strings.TrimPrefix(d, "+"); strongNumber(d) && in(d) {
			sharedNum = true
		}
	}
	productNum := slices.ContainsFunc(ph, hasDigit)
	if common == 0 || (unmatchedNum && productNum) {
		return NoMatch // no overlap, or conflicting model numbers (8015 vs 8100)
	}
	if common == len(dh) {
		if productNum && !anyNum {
			return FamilyMatch // the product names a model the device does not state
		}
		if !anyNum && 2*len(dh) < len(ph) {
			return FamilyMatch // a brand word inside a longer name ("Alaris" in "Alaris Systems Manager")
		}
		return ModelMatch // extra numbers in the product are sibling models ("512/712")
	}
	pInD := 0
	for _, p := range ph {
		if contains(dh, p) {
			pInD++
		}
	}
	switch {
	case pInD == len(ph):
		return ModelMatch // the device name is more specific than the product ("Alaris PC Unit 8015" vs "Alaris PC Unit")
	case sharedNum && !unmatchedNum:
		return ModelMatch // same model number, other words ("Merlin@home EX1150" vs "RF models EX1150")
	case !unmatchedNum && 2*common >= len(dh):
		return FamilyMatch
	}
	return NoMatch
}

// hard drops soft tokens; tokens are sorted and soft ones ("+...") sort first.
func hard(ts []string) []string {
	i := 0
	for i < len(ts) && strings.HasPrefix(ts[i], "+") {
		i++
	}
	return ts[i:]
}

// SameModel reports whether two token lists name the same model.
func SameModel(a, b []string) bool { return slices.Equal(hard(a), hard(b)) }

// strongNumber is a token that identifies a model on its own: letters
// with digits ("ex1150") or a long number ("24950").
func strongNumber(t string) bool {
	if !hasDigit(t) {
		return false
	}
	return strings.ContainsFunc(t, unicode.IsLetter) || len(t) >= 4
}

func contains(sorted []string, s string) bool {
	_, ok := slices.BinarySearch(sorted, s)
	return ok
}
