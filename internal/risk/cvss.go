package risk

import (
	"math"
	"strings"

	"github.com/wardiomt/ward/internal/vuln"
)

// Exploitability is the "how easy to attack" part of one CVSS score.
type Exploitability struct {
	Source  string  `json:"source"`
	Version string  `json:"version"`
	Vector  string  `json:"vector"`
	AV      string  `json:"attack_vector"`       // N, A, L, P
	AC      string  `json:"attack_complexity"`   // L, H
	PR      string  `json:"privileges_required"` // N, L, H
	UI      string  `json:"user_interaction"`    // N, R (v4: N, P, A)
	Ease    float64 `json:"ease"`                // 0..1, CVSS v3 exploitability sub-score / its maximum
}

// parseExploitability reads AV/AC/PR/UI from a CVSS v2, v3 or v4 vector.
func parseExploitability(s vuln.Score) (Exploitability, bool) {
	e := Exploitability{Source: s.Source, Version: s.Version, Vector: s.Vector}
	for _, part := range strings.Split(s.Vector, "/") {
		k, v, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		switch k {
		case "AV":
			e.AV = v
		case "AC":
			e.AC = v
		case "PR":
			e.PR = v
		case "UI":
			e.UI = v
		case "Au": // CVSS v2 authentication stands in for privileges
			e.PR = map[string]string{"N": "N", "S": "L", "M": "H"}[v]
		}
	}
	if e.AV == "" {
		return e, false
	}
	if e.AV == "N" && strings.HasPrefix(s.Vector, "AV:N") && e.UI == "" { // v2 has no UI
		e.UI = "N"
	}
	if e.AC == "M" { // v2 medium
		e.AC = "H"
	}
	av := map[string]float64{"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}[e.AV]
	ac := map[string]float64{"L": 0.77, "H": 0.44}[e.AC]
	pr := map[string]float64{"N": 0.85, "L": 0.62, "H": 0.27}[e.PR]
	ui := map[string]float64{"N": 0.85, "R": 0.62, "P": 0.62, "A": 0.5}[e.UI]
	for _, p := range []*float64{&ac, &pr, &ui} {
		if *p == 0 {
			*p = 0.62 // missing metric: middling
		}
	}
	e.Ease = math.Round(1000*min(8.22*av*ac*pr*ui/3.887, 1)) / 1000
	return e, true
}

func (e Exploitability) automatable() bool {
	return e.AV == "N" && e.AC == "L" && e.PR == "N" && e.UI == "N"
}

var avWords = map[string]string{
	"N": "over the network", "A": "from the same network segment only",
	"L": "only with local access (logged in or a malicious file)", "P": "only with physical access",
}
