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
	raw = strings.TrimSpace(strings.ReplaceAll(raw, "_", " "))
	if c, ok := n.canon.Manufacturer(raw); ok {
		return c
	}
	// "Becton, Dickinson and Company (BD)": the parenthesized short name.
	if m := parenRe.FindStringSubmatch(raw); m != nil {
		if c, ok := n.canon.Manufacturer(m[1]); ok {
			return c
		}
		if c, ok := n.canon.Manufacturer(parenRe.ReplaceAllString(raw, "")); ok {
			return c
		}
	}
	// A longest known prefix: "GE Healthcare Life Sciences", "Medtronic MiniMed".
	words := strings.Fields(raw)
	for k := len(words) - 1; k >= 1; k-- {
		if c, ok := n.canon.Manufacturer(strings.Join(words[:k], " ")); ok {
			return c
		}
	}
	c, _ := n.canon.Manufacturer(raw)
	return c
}

var (
	parenRe    = regexp.MustCompile(`\(([^()]*)\)`)
	versionsRe = regexp.MustCompile(`(?i)\s*[:,]?\s*(?:all\s+)?(?:versions?|vers\.|firmware versions?|software versions?)\b.*$`)
)

// CleanProductName strips what is not the product from a CSAF/CVE product
// name: a ": Versions 9.33 and prior" tail and a repeated vendor prefix
// ("Baxter Baxter Connex Health Portal" -> "Connex Health Portal").
func (n *Normalizer) CleanProductName(vendor, name string) string {
	s := strings.TrimSpace(name)
	if i := strings.Index(s, ":"); i > 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(versionsRe.ReplaceAllString(s, ""))
	vt := vendorTokens(vendor, n.Manufacturer(vendor))
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
	return strings.TrimSpace(strings.NewReplacer("_", " ", `\`, "", "-", " ").Replace(slug))
}

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
	"pcu": {"pc", "unit"},
	"lvp": {"large", "volume", "pump"},
	"pacs": {"pacs"},
	"mgr": {"manager"},
	"mon": {"monitor"},
	"ws": {"workstation"},
}

// ModelTokens reduces a model or product name to comparable tokens,
// without the vendor's own words.
func ModelTokens(s string, vendorWords map[string]bool) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if stopWords[w] || vendorWords[w] {
			continue
		}
		if ex, ok := abbreviations[w]; ok {
			out = append(out, ex...)
			continue
		}
		// Plural "Systems", "Pumps"; not "Plus", "Alaris", "Gas".
		if len(w) > 4 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is") && !hasDigit(w) {
			w = w[:len(w)-1]
		}
		out = append(out, w)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

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
	if len(device) == 0 || len(product) == 0 {
		return NoMatch
	}
	common := 0
	for _, d := range device {
		if contains(product, d) {
			common++
		} else if hasDigit(d) && !joinedContains(product, d) {
			return NoMatch
		}
	}
	if common == 0 {
		return NoMatch
	}
	if common == len(device) {
		for _, p := range product {
			if hasDigit(p) && !contains(device, p) {
				return FamilyMatch
			}
		}
		return ModelMatch
	}
	pInD := 0
	for _, p := range product {
		if contains(device, p) {
			pInD++
		}
	}
	if pInD == len(product) {
		return ModelMatch // the device name is more specific than the product
	}
	if 2*common >= len(device) {
		return FamilyMatch
	}
	return NoMatch
}

func contains(sorted []string, s string) bool {
	_, ok := slices.BinarySearch(sorted, s)
	return ok
}

// joinedContains accepts "mmt712" against tokens "mmt", "712".
func joinedContains(tokens []string, d string) bool {
	for i := range tokens {
		if i+1 < len(tokens) && tokens[i]+tokens[i+1] == d {
			return true
		}
	}
	return strings.Contains(strings.Join(tokens, ""), d) && len(d) >= 4
}
