// Package identity combines fingerprint claims into a device identity with
// provenance. It is pure: state in, state out, no I/O and no clock, so the
// inventory can persist the state as it likes and tests can replay any
// sequence of claims.
//
// Every attribute keeps a few candidate values. A candidate's support is a
// noisy-OR of its distinct pieces of evidence (rule+protocol+field), each
// weighted by the claim's confidence, the reliability of the protocol, and
// how often it was repeated; a value heard once weighs less than the same
// value heard three times. The established value changes only when a
// challenger is clearly stronger (hysteresis), so one odd packet does not
// flip an identity. A source that consistently reports a new value (a
// software update) supersedes its own older reports, which then fade.
package identity

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/fingerprint"
)

// Attributes lists the identity attributes in display order.
var Attributes = []fingerprint.Attribute{
	fingerprint.Manufacturer, fingerprint.Model, fingerprint.Version, fingerprint.Serial,
	fingerprint.DeviceType, fingerprint.OS, fingerprint.Hostname,
}

// Policy tunes how claims combine. The zero value is not useful; start from DefaultPolicy.
type Policy struct {
	// Reliability weighs evidence by the protocol it came from (0..1);
	// protocols not listed get DefaultReliability.
	Reliability        map[string]float64
	DefaultReliability float64
	// Hysteresis is how much more support a challenger needs than the
	// established value to replace it.
	Hysteresis float64
	// MinRepeat is how many consistent reports a source needs before its
	// new value supersedes its older one (software updates).
	MinRepeat int
	// MaxCandidates and MaxEvidence bound the state per attribute.
	MaxCandidates int
	MaxEvidence   int
}

// DefaultPolicy returns the built-in weights: clinical protocols that carry
// the device's own description (DICOM, HL7, ASTM, POCT1-A, LLDP/CDP, SNMP) outrank
// heuristics such as the OUI table or TCP stack fingerprints.
func DefaultPolicy() Policy {
	return Policy{
		Reliability: map[string]float64{
			"dicom": 1, "hl7": 1, "astm": 1, "poct": 1, "lldp": 0.95, "cdp": 0.95, "snmp": 0.9, "bacnet": 0.9, "modbus": 0.9,
			"dhcp": 0.85, "dhcpv6": 0.85, "mdns": 0.8, "ssdp": 0.75, "http": 0.75,
			"smb": 0.8, "netbios": 0.8, "ssh": 0.75, "sip": 0.75, "ftp": 0.7, "rdp": 0.7, "syslog": 0.6, "kerberos": 0.7, "telnet": 0.6, "smtp": 0.6, "dns": 0.6, "tls": 0.6, "tcp": 0.4, "oui": 0.5, "arp": 0.5,
		},
		DefaultReliability: 0.7,
		Hysteresis:         0.1,
		MinRepeat:          2,
		MaxCandidates:      6,
		MaxEvidence:        8,
	}
}

// Evidence is one distinct source of a value: which rule matched which
// field of which protocol, what was heard, when, and how often.
type Evidence struct {
	Protocol   string    `json:"protocol"`
	Field      string    `json:"field"`
	Value      string    `json:"value"` // the observed field value
	Rule       string    `json:"rule"`
	Note       string    `json:"note,omitempty"` // the claim's note (fingerprint.Note*)
	Confidence float64   `json:"confidence"`     // the rule's confidence (max seen)
	First      time.Time `json:"first"`
	Last       time.Time `json:"last"`
	Count      int       `json:"count"`
}

func (e *Evidence) source() string { return e.Rule + "\x00" + e.Protocol + "\x00" + e.Field }

// Candidate is one value an attribute may take, with its evidence.
type Candidate struct {
	Value    string     `json:"value"`
	Evidence []Evidence `json:"evidence"`
}

// Attribute is the state of one identity attribute of one device.
type Attribute struct {
	Value      string      `json:"value,omitempty"` // established value; "" = unknown
	Confidence float64     `json:"confidence"`
	Candidates []Candidate `json:"candidates,omitempty"`
}

// Known reports whether a value is established.
func (a *Attribute) Known() bool { return a.Value != "" }

// Current returns the candidate of the established value, or nil.
func (a *Attribute) Current() *Candidate {
	for i := range a.Candidates {
		if sameValue(a.Candidates[i].Value, a.Value) {
			return &a.Candidates[i]
		}
	}
	return nil
}

// Identity is a device's attributes keyed by attribute name.
type Identity map[fingerprint.Attribute]*Attribute

// Change reports an established value that changed.
type Change struct {
	Attribute fingerprint.Attribute
	Before    string // "" when it was unknown
	After     string
}

func sameValue(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// Apply adds one claim heard at time t to id and reports whether the
// established value of the claim's attribute changed.
func (p *Policy) Apply(id Identity, c fingerprint.Claim, t time.Time) (Change, bool) {
	v := strings.TrimSpace(c.Value)
	if v == "" || c.Attribute == "" {
		return Change{}, false
	}
	a := id[c.Attribute]
	if a == nil {
		a = &Attribute{}
		id[c.Attribute] = a
	}
	conf := clamp01(c.Confidence)
	switch c.Note {
	case fingerprint.NoteNIC:
		// The OUI names the network module's maker, often not the device's.
		conf *= 0.5
	case fingerprint.NoteToolkit:
		// A toolkit many products embed says little about the product.
		if c.Attribute != fingerprint.Software {
			conf *= 0.3
		}
	}
	p.add(a, v, Evidence{Protocol: c.Protocol, Field: c.Field, Value: c.Observed, Rule: c.Rule, Note: c.Note,
		Confidence: conf, First: t, Last: t, Count: 1})
	before := a.Value
	p.Decide(a)
	if !sameValue(before, a.Value) {
		return Change{Attribute: c.Attribute, Before: before, After: a.Value}, true
	}
	return Change{}, false
}

func (p *Policy) add(a *Attribute, v string, ev Evidence) {
	var cand *Candidate
	for i := range a.Candidates {
		if sameValue(a.Candidates[i].Value, v) {
			cand = &a.Candidates[i]
			break
		}
	}
	if cand == nil {
		if len(a.Candidates) >= p.MaxCandidates {
			// Evict the weakest candidate that is not the established value.
			weak, ws := -1, math.Inf(1)
			for i := range a.Candidates {
				if sameValue(a.Candidates[i].Value, a.Value) {
					continue
				}
				if s := p.support(a, i, ev.Last); s < ws {
					weak, ws = i, s
				}
			}
			if weak >= 0 {
				a.Candidates = append(a.Candidates[:weak], a.Candidates[weak+1:]...)
			}
		}
		a.Candidates = append(a.Candidates, Candidate{Value: v})
		cand = &a.Candidates[len(a.Candidates)-1]
	}
	for i := range cand.Evidence {
		e := &cand.Evidence[i]
		if e.source() == ev.source() && e.Value == ev.Value {
			e.Count += ev.Count
			e.Confidence = math.Max(e.Confidence, ev.Confidence)
			if e.Note == "" {
				e.Note = ev.Note // evidence stored before notes were kept
			}
			if ev.First.Before(e.First) {
				e.First = ev.First
			}
			if ev.Last.After(e.Last) {
				e.Last = ev.Last
			}
			return
		}
	}
	if len(cand.Evidence) >= p.MaxEvidence {
		// Drop the least recently seen piece of evidence.
		old := 0
		for i := range cand.Evidence {
			if cand.Evidence[i].Last.Before(cand.Evidence[old].Last) {
				old = i
			}
		}
		cand.Evidence = append(cand.Evidence[:old], cand.Evidence[old+1:]...)
	}
	cand.Evidence = append(cand.Evidence, ev)
}

func clamp01(f float64) float64 {
	switch {
	case math.IsNaN(f) || f < 0:
		return 0
	case f > 1:
		return 1
	}
	return f
}

// repetition discounts evidence heard once: 0.7 for one report, 0.85 for
// two, full weight from three on.
func repetition(n int) float64 {
	switch {
	case n <= 1:
		return 0.7
	case n == 2:
		return 0.85
	}
	return 1
}

func (p *Policy) reliability(proto string) float64 {
	if r, ok := p.Reliability[proto]; ok {
		return r
	}
	return p.DefaultReliability
}

// superseded reports whether the same source later reported another value
// consistently: at least MinRepeat times, all after e was last heard; or,
// when e itself was heard fewer times, as often as e was. A version an
// instrument states once an hour gives way to the next one it states.
func (p *Policy) superseded(a *Attribute, ci int, e *Evidence) bool {
	need := max(min(p.MinRepeat, e.Count), 1)
	src := e.source()
	for j := range a.Candidates {
		if j == ci {
			continue
		}
		n := 0
		for k := range a.Candidates[j].Evidence {
			o := &a.Candidates[j].Evidence[k]
			if o.source() == src && o.First.After(e.Last) {
				n += o.Count
			}
		}
		if n >= need {
			return true
		}
	}
	return false
}

// support is the noisy-OR of candidate i's evidence.
func (p *Policy) support(a *Attribute, i int, _ time.Time) float64 {
	miss := 1.0
	for k := range a.Candidates[i].Evidence {
		e := &a.Candidates[i].Evidence[k]
		w := e.Confidence * p.reliability(e.Protocol) * repetition(e.Count)
		if p.superseded(a, i, e) {
			w *= 0.1
		}
		miss *= 1 - clamp01(w)
	}
	return 1 - miss
}

// Decide (re)computes the established value and its confidence.
func (p *Policy) Decide(a *Attribute) {
	if len(a.Candidates) == 0 {
		a.Value, a.Confidence = "", 0
		return
	}
	scores := make([]float64, len(a.Candidates))
	best, cur := 0, -1
	total := 0.0
	for i := range a.Candidates {
		scores[i] = p.support(a, i, time.Time{})
		total += scores[i]
		if scores[i] > scores[best] {
			best = i
		}
		if a.Value != "" && sameValue(a.Candidates[i].Value, a.Value) {
			cur = i
		}
	}
	pick := best
	if cur >= 0 && cur != best && scores[best] < scores[cur]+p.Hysteresis {
		pick = cur
	}
	a.Value = a.Candidates[pick].Value
	if total > 0 {
		a.Confidence = round3(scores[pick] * scores[pick] / total)
	}
	// Keep candidates strongest first, so readers see the runner-up next.
	order := make([]int, len(a.Candidates))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool { return scores[order[x]] > scores[order[y]] })
	sorted := make([]Candidate, len(order))
	for i, o := range order {
		sorted[i] = a.Candidates[o]
	}
	a.Candidates = sorted
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// Merge folds other into id (two NICs of one device, or a randomized MAC
// rejoined to its device) and re-decides every attribute. Changes of
// established values are returned in attribute order.
func (p *Policy) Merge(id, other Identity) []Change {
	var out []Change
	for _, name := range sortedAttrs(other) {
		src := other[name]
		a := id[name]
		if a == nil {
			a = &Attribute{}
			id[name] = a
		}
		before := a.Value
		for _, c := range src.Candidates {
			for _, e := range c.Evidence {
				p.add(a, c.Value, e)
			}
		}
		if before == "" {
			a.Value = src.Value
		}
		p.Decide(a)
		if !sameValue(before, a.Value) {
			out = append(out, Change{Attribute: name, Before: before, After: a.Value})
		}
	}
	return out
}

// Forget drops the evidence of every field drop reports (a source found to
// describe other devices) and re-decides each attribute; attributes left
// without candidates are removed. Changes of established values are
// returned in attribute order.
func (p *Policy) Forget(id Identity, drop func(field string) bool) []Change {
	var out []Change
	for _, name := range sortedAttrs(id) {
		a := id[name]
		before := a.Value
		cands := a.Candidates[:0]
		for _, c := range a.Candidates {
			ev := c.Evidence[:0]
			for _, e := range c.Evidence {
				if !drop(e.Field) {
					ev = append(ev, e)
				}
			}
			if len(ev) > 0 {
				c.Evidence = ev
				cands = append(cands, c)
			}
		}
		a.Candidates = cands
		if len(cands) == 0 {
			delete(id, name)
			if before != "" {
				out = append(out, Change{Attribute: name, Before: before})
			}
			continue
		}
		p.Decide(a)
		if !sameValue(before, a.Value) {
			out = append(out, Change{Attribute: name, Before: before, After: a.Value})
		}
	}
	return out
}

func sortedAttrs(id Identity) []fingerprint.Attribute {
	names := make([]fingerprint.Attribute, 0, len(id))
	for n := range id {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
	return names
}

// Value returns the established value of attr, or "" when unknown.
func (id Identity) Value(attr fingerprint.Attribute) string {
	if a := id[attr]; a != nil {
		return a.Value
	}
	return ""
}
