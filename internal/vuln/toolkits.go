package vuln

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Toolkit names a third-party component the fingerprint rules recognise on
// devices of any manufacturer (a DICOM toolkit in an association's version
// name, a web server in a banner) by the maker and product its advisories
// are filed under. A device's component "dcmtk 3.6.5" is then matched as
// OFFIS DCMTK 3.6.5: advisories about the toolkit reach every device that
// embeds it, judged on the version heard.
type Toolkit struct {
	Match   string `json:"match"`   // the component's name, as words (case-insensitive)
	Vendor  string `json:"vendor"`  // the maker, as advisories name it
	Product string `json:"product"` // the product, as advisories name it
	words   []string
}

//go:embed toolkits.json
var toolkitsJSON []byte

// DefaultToolkits returns the built-in table (toolkits.json).
func DefaultToolkits() ([]Toolkit, error) { return ParseToolkits(toolkitsJSON) }

// ParseToolkits reads a toolkit table from JSON and checks it.
func ParseToolkits(b []byte) ([]Toolkit, error) {
	ts, err := decodeStrict[Toolkit](b, "toolkits")
	if err != nil {
		return nil, err
	}
	for i := range ts {
		t := &ts[i]
		if t.words = words(t.Match); len(t.words) == 0 || t.Vendor == "" || t.Product == "" {
			return nil, fmt.Errorf("toolkit %d (%q): match, vendor and product are required", i, t.Match)
		}
	}
	return ts, nil
}

// toolkitOf finds the toolkit a component names and the version it states
// ("dcmtk 3.6.5", "GDCM 3.0.21"): the first word with a digit after the
// toolkit's name, or the component's own Version.
func toolkitOf(ts []Toolkit, c Component) (*Toolkit, string) {
	w := words(c.Name)
	for i := range ts {
		t := &ts[i]
		if len(w) < len(t.words) || !slices.Equal(w[:len(t.words)], t.words) {
			continue
		}
		if c.Version != "" {
			return t, c.Version
		}
		for _, x := range w[len(t.words):] {
			if strings.ContainsFunc(x, unicode.IsDigit) {
				return t, x
			}
		}
		return t, ""
	}
	return nil, ""
}
