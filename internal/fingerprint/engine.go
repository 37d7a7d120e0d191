package fingerprint

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/wardiomt/ward/internal/canon"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/oui"
)

//go:embed rules/*.yaml
var defaultRules embed.FS

// DefaultP0FPath is where Debian's p0f package installs its database.
const DefaultP0FPath = "/etc/p0f/p0f.fp"

// Options configures an Engine.
type Options struct {
	// UserDir holds site rule files (*.yaml, *.yml). A rule whose id equals
	// a default rule's replaces it; `disabled: true` removes it. Empty: none.
	UserDir string
	// Vendors canonicalizes manufacturer names; nil uses canon.NewTable(nil).
	Vendors *canon.Table
	// P0FPath is a p0f.fp database imported at start. Empty: DefaultP0FPath
	// when that file exists. "-": do not import any.
	P0FPath string
	// Logger receives load-time notes (skipped p0f lines, overrides); nil discards.
	Logger *slog.Logger
	// OUI is the MAC prefix table; nil uses the embedded IEEE table.
	OUI *oui.Table
}

// Engine turns observations into claims. It is immutable after New and safe
// for concurrent use.
type Engine struct {
	vendors *canon.Table
	oui     *oui.Table
	log     *slog.Logger
	rules   []*rule
	byField map[string][]*rule
	tcp     *tcpDB

	// Canonical names of dynamic manufacturer values (DICOM tags, OUI
	// registrants) are cached; the cache stops growing at canonCacheMax so
	// hostile traffic cannot grow it without bound.
	canonMu    sync.RWMutex
	canonCache map[string]string // raw -> canonical
}

const canonCacheMax = 8192

// New loads the embedded default rules, then the user directory, then the
// p0f database, and indexes rules by field.
func New(opts Options) (*Engine, error) {
	e := &Engine{vendors: opts.Vendors, oui: opts.OUI, log: opts.Logger, tcp: newTCPDB(), canonCache: make(map[string]string, 256)}
	if e.vendors == nil {
		e.vendors = canon.NewTable(nil)
	}
	if e.oui == nil {
		e.oui = oui.Embedded()
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	defaults, err := loadFS(defaultRules, "rules", "rules", e.vendors, e.tcp)
	if err != nil {
		return nil, fmt.Errorf("fingerprint: default rules: %w", err)
	}
	rules, err := dedupe(defaults)
	if err != nil {
		return nil, fmt.Errorf("fingerprint: default rules: %w", err)
	}
	if opts.UserDir != "" {
		user, err := loadFS(os.DirFS(opts.UserDir), ".", opts.UserDir, e.vendors, e.tcp)
		if err != nil {
			return nil, fmt.Errorf("fingerprint: user rules: %w", err)
		}
		if _, err := dedupe(user); err != nil {
			return nil, fmt.Errorf("fingerprint: user rules: %w", err)
		}
		rules = e.override(rules, user)
	}
	p0f := opts.P0FPath
	if p0f == "" {
		if _, err := os.Stat(DefaultP0FPath); err == nil {
			p0f = DefaultP0FPath
		}
	}
	if p0f != "" && p0f != "-" {
		n, skipped, err := e.tcp.importP0F(p0f)
		if err != nil {
			return nil, fmt.Errorf("fingerprint: %w", err)
		}
		e.log.Info("imported p0f signatures", "path", p0f, "signatures", n, "skipped_lines", skipped)
	}
	e.rules = rules
	e.byField = make(map[string][]*rule, 64)
	for _, r := range rules {
		k := r.conds[r.anchor].field
		e.byField[k] = append(e.byField[k], r)
	}
	return e, nil
}

// loaded is a compiled rule, or a request to disable one.
type loaded struct {
	rule     *rule
	disabled bool
}

// loadFS loads the rule files of dir in fsys in name order; display is the
// directory name used in error messages and provenance.
func loadFS(fsys fs.FS, dir, display string, vendors *canon.Table, tcp *tcpDB) ([]loaded, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, en := range entries {
		if en.IsDir() {
			continue
		}
		if ext := path.Ext(en.Name()); ext == ".yaml" || ext == ".yml" {
			names = append(names, en.Name())
		}
	}
	sort.Strings(names)
	var out []loaded
	var errs []error
	for _, name := range names {
		p := path.Join(dir, name)
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		l, err := loadFile(filepath.Join(display, name), data, vendors, tcp)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, l...)
	}
	return out, errors.Join(errs...)
}

// loadFile compiles every rule of one file; tcp may be nil (fuzzing).
func loadFile(file string, data []byte, vendors *canon.Table, tcp *tcpDB) ([]loaded, error) {
	spec, err := parseFile(file, data)
	if err != nil {
		return nil, err
	}
	var out []loaded
	var errs []error
	for i := range spec.Rules {
		rs := &spec.Rules[i]
		if rs.Disabled {
			if rs.ID == "" {
				errs = append(errs, &LoadError{File: file, Line: rs.Line, Reason: "disabled rule has no id"})
				continue
			}
			out = append(out, loaded{rule: &rule{id: rs.ID, file: file, line: rs.Line}, disabled: true})
			continue
		}
		r, err := compileRule(file, rs, vendors)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, loaded{rule: r})
	}
	for i := range spec.TCPSignatures {
		ts := &spec.TCPSignatures[i]
		s, err := compileTCPSig(ts)
		if err != nil {
			errs = append(errs, &LoadError{File: file, Line: ts.Line, Reason: err.Error()})
			continue
		}
		if tcp != nil {
			tcp.add(s)
		}
	}
	return out, errors.Join(errs...)
}

// dedupe refuses two rules with one id in the same set.
func dedupe(ls []loaded) ([]*rule, error) {
	seen := map[string]*rule{}
	var out []*rule
	var errs []error
	for _, l := range ls {
		if prev, ok := seen[l.rule.id]; ok {
			errs = append(errs, &LoadError{File: l.rule.file, Line: l.rule.line,
				Reason: fmt.Sprintf("duplicate rule id %s (first at %s:%d)", l.rule.id, prev.file, prev.line)})
			continue
		}
		seen[l.rule.id] = l.rule
		if !l.disabled {
			out = append(out, l.rule)
		}
	}
	return out, errors.Join(errs...)
}

// override applies user rules: same id replaces (or disables) the default
// in place, new ids are appended.
func (e *Engine) override(defaults []*rule, user []loaded) []*rule {
	idx := make(map[string]int, len(defaults))
	for i, r := range defaults {
		idx[r.id] = i
	}
	out := append([]*rule(nil), defaults...)
	drop := map[int]bool{}
	for _, u := range user {
		i, ok := idx[u.rule.id]
		switch {
		case ok && u.disabled:
			drop[i] = true
			e.log.Info("user rule disables default", "id", u.rule.id, "file", u.rule.file)
		case ok:
			out[i] = u.rule
			e.log.Info("user rule overrides default", "id", u.rule.id, "file", u.rule.file)
		case u.disabled:
			e.log.Warn("disabled rule id matches no default", "id", u.rule.id, "file", u.rule.file)
		default:
			out = append(out, u.rule)
		}
	}
	if len(drop) == 0 {
		return out
	}
	kept := out[:0]
	for i, r := range out {
		if !drop[i] {
			kept = append(kept, r)
		}
	}
	return kept
}

// RuleCount is the number of active rules (not counting TCP signatures).
func (e *Engine) RuleCount() int { return len(e.rules) }

// TCPSignatureCount is the number of SYN/SYN+ACK signatures loaded.
func (e *Engine) TCPSignatureCount() int { return e.tcp.n }

// Claims appends to out the claims the observation supports and returns the
// extended slice. An observation only meets the rules indexed under its own
// field keys; matching allocates nothing except for claim values built from
// several parts, regex captures and first-seen manufacturer names.
func (e *Engine) Claims(o *observe.Observation, out []Claim) []Claim {
	start := len(out)
	defer func() { stripMaker(out[start:]) }()
	forwarded := false
	switch o.Protocol {
	case "http":
		_, forwarded = o.Get("http.forwarded")
	case "sip":
		_, forwarded = o.Get("sip.forwarded")
	}
	for i := range o.Fields {
		f := &o.Fields[i]
		if forwarded && (f.Key == "http.user_agent" || f.Key == "http.host" || f.Key == "sip.user_agent") {
			continue // a proxy's request carries its client's User-Agent (and destination)
		}
		for _, r := range e.byField[f.Key] {
			out = e.apply(r, o, i, out)
		}
		if k := macFields[f.Key]; k != 0 {
			out = e.ouiClaim(o, f, k, out)
		}
		if f.Key == synField && e.tcp.n > 0 {
			out = e.tcp.claims(o, f, out)
		}
	}
	return out
}

func (e *Engine) apply(r *rule, o *observe.Observation, fi int, out []Claim) []Claim {
	if r.protocol != "" && r.protocol != o.Protocol {
		return out
	}
	var at [maxConds]int
	for ci := range r.conds {
		c := &r.conds[ci]
		if ci == r.anchor {
			if !c.match(o.Fields[fi].Value) {
				return out
			}
			at[ci] = fi
			continue
		}
		found := -1
		for j := range o.Fields {
			if o.Fields[j].Key == c.field && c.match(o.Fields[j].Value) {
				found = j
				break
			}
		}
		if c.not {
			if found >= 0 {
				return out
			}
			at[ci] = -1
			continue
		}
		if found < 0 {
			return out
		}
		at[ci] = found
	}
	var subs [maxConds][]int
	for _, ci := range r.capConds {
		subs[ci] = r.conds[ci].re.FindStringSubmatchIndex(o.Fields[at[ci]].Value)
	}
	anchor := &o.Fields[fi]
	for ti := range r.claims {
		t := &r.claims[ti]
		v := t.value
		if t.parts != nil {
			v = e.expand(t, o, anchor.Value, &at, &subs)
			if t.vmap != nil {
				mv, ok := lookupFold(t.vmap, v)
				if !ok {
					continue
				}
				v = mv
			} else {
				v = cleanValue(v)
				if v == "" {
					continue
				}
				switch t.attr {
				case Manufacturer:
					// A bare legal form ("BV", "Inc") folds to nothing.
					if v = e.canonical(v); v == "" {
						continue
					}
				case DeviceType:
					if !canon.ValidType(v) {
						continue
					}
				}
			}
		}
		out = append(out, Claim{Attribute: t.attr, Value: v, Confidence: t.conf, Rule: r.id,
			Protocol: o.Protocol, Field: anchor.Key, Observed: anchor.Value, Note: r.note})
	}
	return out
}

func (e *Engine) expand(t *claimTmpl, o *observe.Observation, anchorVal string, at *[maxConds]int, subs *[maxConds][]int) string {
	if len(t.parts) == 1 {
		return e.partValue(&t.parts[0], o, anchorVal, at, subs)
	}
	var b strings.Builder
	for i := range t.parts {
		b.WriteString(e.partValue(&t.parts[i], o, anchorVal, at, subs))
	}
	return b.String()
}

func (e *Engine) partValue(p *part, o *observe.Observation, anchorVal string, at *[maxConds]int, subs *[maxConds][]int) string {
	switch p.kind {
	case partLit:
		return p.lit
	case partValue:
		return anchorVal
	case partGroup:
		m := subs[p.cond]
		if 2*p.group+1 < len(m) && m[2*p.group] >= 0 {
			return o.Fields[at[p.cond]].Value[m[2*p.group]:m[2*p.group+1]]
		}
	case partField:
		v, _ := o.Get(p.field)
		return v
	}
	return ""
}

// cleanValue trims padding that DICOM and SNMP strings carry.
func cleanValue(s string) string {
	return strings.Trim(s, " \t\r\n\x00")
}

// canonical maps a heard manufacturer spelling to Ward's canonical name.
// When the whole name is unknown it tries shorter leading word runs
// ("Philips Patient Monitoring" -> "Philips"), because registrants and DICOM
// tags append divisions to the company name.
func (e *Engine) canonical(raw string) string {
	e.canonMu.RLock()
	c, ok := e.canonCache[raw]
	e.canonMu.RUnlock()
	if ok {
		return c
	}
	c = canonicalize(e.vendors, raw)
	e.canonMu.Lock()
	if len(e.canonCache) < canonCacheMax {
		// raw may point into a reused packet buffer: keep a copy.
		e.canonCache[strings.Clone(raw)] = c
	}
	e.canonMu.Unlock()
	return c
}

func canonicalize(t *canon.Table, raw string) string {
	c, ok := t.Manufacturer(raw)
	if ok {
		return c
	}
	words := strings.FieldsFunc(raw, func(r rune) bool { return r == ' ' || r == ',' || r == '_' || r == '-' || r == '/' })
	for n := len(words) - 1; n >= 1; n-- {
		if cc, ok := t.Manufacturer(strings.Join(words[:n], " ")); ok {
			return cc
		}
	}
	return c
}

// OUIVendor returns the canonical manufacturer registered for mac's prefix.
// Locally administered (randomised) and multicast addresses have none.
func (e *Engine) OUIVendor(mac net.HardwareAddr) (string, bool) {
	if oui.IsMulticast(mac) {
		return "", false
	}
	name, ok := e.oui.Lookup(mac)
	if !ok || strings.EqualFold(name, "Private") {
		return "", false
	}
	return e.canonical(name), true
}

// OUIClaim appends the low-confidence manufacturer claim for a device's own
// MAC (for callers that key devices by MAC rather than by observation).
func (e *Engine) OUIClaim(mac net.HardwareAddr, out []Claim) []Claim {
	v, ok := e.OUIVendor(mac)
	if !ok {
		return out
	}
	conf, note := ouiConfidence, ""
	if nicMakers[v] {
		conf, note = nicConfidence, NoteNIC
	}
	return append(out, Claim{Attribute: Manufacturer, Value: v, Confidence: conf, Rule: ouiRule, Observed: mac.String(), Note: note})
}

// lookupFold finds v in m, exactly first, then ignoring case (maps are
// small and rule regexes are case-insensitive, so "SYSMEX" should find
// "Sysmex"). It does not allocate.
func lookupFold(m map[string]string, v string) (string, bool) {
	if mv, ok := m[v]; ok {
		return mv, true
	}
	for k, mv := range m {
		if strings.EqualFold(k, v) {
			return mv, true
		}
	}
	return "", false
}

// stripMaker removes the manufacturer from the front of model claims when
// the same observation claims that manufacturer: "Brother MFC-L8900CDW"
// (an mDNS ty= key) is model "MFC-L8900CDW" of maker Brother, as the model=
// key and every other source say it. The canonical name is tried whole,
// then its first word ("GE" of "GE HealthCare"); an alias is not (the
// "Alaris" of "Alaris 8015" is a product line, not a prefix to drop).
func stripMaker(cs []Claim) {
	for i := range cs {
		if cs[i].Attribute != Model {
			continue
		}
		for j := range cs {
			if cs[j].Attribute != Manufacturer {
				continue
			}
			m := cs[j].Value
			first, _, _ := strings.Cut(m, " ")
			for _, p := range []string{m, first} {
				if v := cs[i].Value; len(v) > len(p)+1 && v[len(p)] == ' ' && strings.EqualFold(v[:len(p)], p) {
					cs[i].Value = strings.TrimSpace(v[len(p)+1:])
					break
				}
			}
		}
	}
}
