package vuln

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/wardiomt/ward/internal/version"
)

// SourcePlatform marks findings that come from a device's OS or embedded
// component rather than from the device's own advisories.
const SourcePlatform Source = "platform"

// PlatformRule ties an OS or embedded component to the vulnerabilities of
// that platform (MS17-010 for Windows 7, URGENT/11 for VxWorks). Rules are
// data (platform.json) so that they can be extended without code.
type PlatformRule struct {
	ID          string        `json:"id"`
	Title       string        `json:"title"`
	CVEs        []string      `json:"cves"`
	Platforms   []PlatformPat `json:"platforms"`
	Remediation Remediation   `json:"remediation"`
}

// PlatformPat matches a word sequence in an OS or component name; Not
// lists words that exclude it; Versions limits the version that follows.
// Fixed lists, per distribution (debian, ubuntu, raspbian), the package
// versions ("9.2p1-2+deb12u3": upstream-revision, no epoch) that carry the
// fix under an upstream version Versions still covers, one per release
// line: distributions backport fixes, and an SSH banner names the package
// ("OpenSSH_9.2p1 Debian-2+deb12u3"), so the upstream version alone would
// call every patched server affected.
type PlatformPat struct {
	Match    string              `json:"match"`
	Not      []string            `json:"not,omitempty"`
	Versions string              `json:"versions,omitempty"`
	Fixed    map[string][]string `json:"fixed,omitempty"`

	words []string
	rng   *version.Constraint
}

//go:embed platform.json
var platformJSON []byte

// decodeStrict reads a JSON array of T, refusing fields T does not have:
// a misspelt key in a data file is an error, not a silently ignored rule.
func decodeStrict[T any](b []byte, what string) ([]T, error) {
	var out []T
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// DefaultPlatformRules returns the embedded rules.
func DefaultPlatformRules() ([]PlatformRule, error) {
	return ParsePlatformRules(platformJSON)
}

// ParsePlatformRules reads rules from JSON and checks them.
func ParsePlatformRules(b []byte) ([]PlatformRule, error) {
	rules, err := decodeStrict[PlatformRule](b, "platform rules")
	if err != nil {
		return nil, err
	}
	for i := range rules {
		r := &rules[i]
		if r.ID == "" || len(r.CVEs) == 0 || len(r.Platforms) == 0 {
			return nil, fmt.Errorf("platform rule %d (%q): id, cves and platforms are required", i, r.ID)
		}
		for j := range r.Platforms {
			p := &r.Platforms[j]
			p.words = words(p.Match)
			if p.Versions != "" {
				c, err := version.ParseConstraint(p.Versions)
				if err != nil {
					return nil, fmt.Errorf("platform rule %s: %w", r.ID, err)
				}
				p.rng = &c
			}
			for distro, pkgs := range p.Fixed {
				if distro != strings.ToLower(distro) || len(pkgs) == 0 {
					return nil, fmt.Errorf("platform rule %s: fixed: distribution %q must be lower case with at least one package", r.ID, distro)
				}
				for _, pkg := range pkgs {
					if _, err := version.CompareDebian(pkg, pkg); err != nil || !strings.Contains(pkg, "-") || strings.Contains(pkg, ":") {
						return nil, fmt.Errorf("platform rule %s: fixed %s package %q: want upstream-revision without epoch", r.ID, distro, pkg)
					}
				}
			}
		}
	}
	return rules, nil
}

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.'
	})
}

// matches finds the pattern in text; the version is the word after the
// match, or ver when given (a component's own version).
func (p *PlatformPat) matches(w []string, ver string) bool {
	for i := 0; i+len(p.words) <= len(w); i++ {
		if !slices.Equal(w[i:i+len(p.words)], p.words) {
			continue
		}
		rest := w[i+len(p.words):]
		for _, n := range p.Not {
			if slices.Contains(rest, n) {
				return false
			}
		}
		if p.rng == nil {
			return true
		}
		v := ver
		if v == "" {
			for _, x := range rest {
				if strings.ContainsFunc(x, unicode.IsDigit) {
					v = x
					break
				}
			}
		}
		if v == "" {
			return true // version unknown: the platform still counts
		}
		pv, err := version.Parse(v)
		if err != nil {
			return true
		}
		in, err := p.rng.Check(pv)
		return in || err != nil
	}
	return false
}

func (m *Matcher) matchPlatform(d Device) []Finding {
	type src struct {
		text, ver, what string
		words           []string
	}
	var srcs []src
	if d.OS != "" {
		srcs = append(srcs, src{d.OS, "", "operating system", words(d.OS)})
	}
	for _, c := range d.Components {
		srcs = append(srcs, src{c.Name, c.Version, "component", words(c.Name)})
	}
	var out []Finding
	for _, r := range m.platform {
		// The first source found affected decides; a package known fixed
		// is reported only when no other source is affected.
		var notAffected *Finding
		for _, s := range srcs {
			hit := slices.IndexFunc(r.Platforms, func(p PlatformPat) bool { return p.matches(s.words, s.ver) })
			if hit < 0 {
				continue
			}
			pat := &r.Platforms[hit]
			f := Finding{
				Status: Affected, Advisory: r.ID, Source: SourcePlatform, Title: r.Title,
				CVEs: slices.Clone(r.CVEs), Manufacturer: m.norm.Manufacturer(d.Manufacturer),
				Product: strings.TrimSpace(s.text + " " + s.ver), MatchedRange: pat.Match,
				Confidence: ModelOnly, Remediations: []Remediation{r.Remediation},
			}
			if pat.Versions != "" {
				f.MatchedRange += " " + pat.Versions
			}
			f.Reason = fmt.Sprintf("%s %q matches %s platform %q; patch level is not observable passively, so the device is presumed unpatched",
				s.what, f.Product, r.ID, f.MatchedRange)
			if pkg, ok := parseDistroPkg(f.Product); ok && pat.Fixed != nil {
				// The package revision is the patch level.
				known, fixed, first := fixedVerdict(pkg, pat.Fixed)
				if known {
					f.Confidence = Exact
					f.MatchedRange += "; fixed in " + pkg.distroLabel() + " " + first
				}
				if fixed {
					f.Status = NotAffected
				}
				f.Reason = packageReason(s.what, f.Product, r.ID, pkg, known, fixed, first)
			}
			for _, c := range r.CVEs {
				if agg := m.cveInfo[c]; agg != nil {
					f.CVSS = appendScores(f.CVSS, agg.cvss())
					for _, w := range agg.cwe {
						if !slices.Contains(f.CWE, w) {
							f.CWE = append(f.CWE, w)
						}
					}
					if f.Published.IsZero() || (!agg.pub.IsZero() && agg.pub.Before(f.Published)) {
						f.Published = agg.pub
					}
				}
			}
			slices.Sort(f.CWE)
			if f.Status == NotAffected {
				if notAffected == nil {
					notAffected = &f
				}
				continue
			}
			out = append(out, f)
			notAffected = nil
			break
		}
		if notAffected != nil {
			out = append(out, *notAffected)
		}
	}
	return out
}
