package threat

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strings"
)

// Indicators are known-bad network indicators supplied by the user.
type Indicators struct {
	IPs      map[netip.Addr]string // value -> label (source line or STIX name)
	Prefixes []labeledPrefix
	Domains  map[string]string // lower-case, no trailing dot; matches the name and its subdomains
	JA3      map[string]string
	JA4      map[string]string
}

type labeledPrefix struct {
	P     netip.Prefix
	Label string
}

// NewIndicators returns an empty list.
func NewIndicators() *Indicators {
	return &Indicators{IPs: map[netip.Addr]string{}, Domains: map[string]string{}, JA3: map[string]string{}, JA4: map[string]string{}}
}

// Len counts the indicators.
func (in *Indicators) Len() int {
	if in == nil {
		return 0
	}
	return len(in.IPs) + len(in.Prefixes) + len(in.Domains) + len(in.JA3) + len(in.JA4)
}

var (
	reMD5 = regexp.MustCompile(`^[0-9a-f]{32}$`)
	// JA4: t13d1516h2_8daaf6152771_e5627efa2ab1 (q/t/d, version, SNI flag, counts, ALPN, two 12-hex hashes).
	reJA4 = regexp.MustCompile(`^[tqd][0-9s][0-9a-z][di][0-9]{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$`)
	// A STIX comparison: object-path = 'value' (quotes escaped with backslash).
	reSTIXCmp  = regexp.MustCompile(`([a-z0-9-]+:[A-Za-z0-9_.'\-]+)\s*(?:=|IN)\s*'((?:[^'\\]|\\.)*)'`)
	reHostname = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$`)
)

// Add classifies one value: an IP or CIDR, a JA3 (32 hex) or JA4 hash,
// or a domain. An explicit "ip:", "domain:", "ja3:" or "ja4:" prefix
// overrides the guess.
func (in *Indicators) Add(value, label string) error {
	v := strings.TrimSpace(value)
	kind := ""
	if i := strings.IndexByte(v, ':'); i > 0 {
		switch p := strings.ToLower(v[:i]); p {
		case "ip", "domain", "ja3", "ja4":
			kind, v = p, strings.TrimSpace(v[i+1:])
		}
	}
	lv := strings.ToLower(strings.TrimSuffix(v, "."))
	if v == "" {
		return errors.New("empty indicator")
	}
	if label == "" {
		label = v
	}
	if kind == "" || kind == "ip" {
		if a, err := netip.ParseAddr(v); err == nil {
			in.IPs[a.Unmap()] = label
			return nil
		}
		if p, err := netip.ParsePrefix(v); err == nil {
			in.Prefixes = append(in.Prefixes, labeledPrefix{p.Masked(), label})
			return nil
		}
		if kind == "ip" {
			return fmt.Errorf("indicator %q is not an IP address or prefix", v)
		}
	}
	switch {
	case kind == "ja3" || kind == "" && reMD5.MatchString(lv):
		if !reMD5.MatchString(lv) {
			return fmt.Errorf("indicator %q is not a JA3 hash (32 hex digits)", v)
		}
		in.JA3[lv] = label
	case kind == "ja4" || kind == "" && reJA4.MatchString(lv):
		if !reJA4.MatchString(lv) {
			return fmt.Errorf("indicator %q is not a JA4 fingerprint", v)
		}
		in.JA4[lv] = label
	default:
		lv = strings.TrimPrefix(lv, "*.")
		if !reHostname.MatchString(lv) || !strings.Contains(lv, ".") {
			return fmt.Errorf("indicator %q is neither an IP, a domain nor a JA3/JA4 hash", v)
		}
		in.Domains[lv] = label
	}
	return nil
}

// ParseIndicators reads a plain-text list (one indicator per line, '#'
// comments, blank lines ignored) or a STIX 2.1 bundle (detected by its
// leading '{'). Unusable lines are reported together; usable ones are kept.
func ParseIndicators(r io.Reader) (*Indicators, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("read indicators: %w", err)
	}
	in := NewIndicators()
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		return in, in.addSTIX(t)
	}
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSpace(strings.TrimRight(s, ",;"))
		if s == "" {
			continue
		}
		if err := in.Add(s, ""); err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", line, err))
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	return in, errors.Join(errs...)
}

type stixObject struct {
	Type        string   `json:"type"`
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Pattern     string   `json:"pattern"`
	PatternType string   `json:"pattern_type"`
	Value       string   `json:"value"`
	Revoked     bool     `json:"revoked"`
	Labels      []string `json:"labels"`
}

// addSTIX takes the indicators of a STIX 2.1 bundle: indicator objects
// with a STIX pattern (ipv4-addr, ipv6-addr, domain-name, and JA3/JA4 held
// in any object path naming ja3/ja4), and bare ipv4-addr / ipv6-addr /
// domain-name observables. Revoked indicators are skipped.
func (in *Indicators) addSTIX(data []byte) error {
	var bundle struct {
		Type    string       `json:"type"`
		Objects []stixObject `json:"objects"`
	}
	if err := json.Unmarshal(data, &bundle); err != nil {
		return fmt.Errorf("STIX bundle: %w", err)
	}
	if bundle.Type != "bundle" {
		return fmt.Errorf("STIX: top-level type is %q, want bundle", bundle.Type)
	}
	var errs []error
	for _, o := range bundle.Objects {
		label := o.Name
		if label == "" {
			label = o.ID
		}
		switch o.Type {
		case "indicator":
			if o.Revoked || (o.PatternType != "" && o.PatternType != "stix") {
				continue
			}
			for _, m := range reSTIXCmp.FindAllStringSubmatch(o.Pattern, -1) {
				path, val := strings.ToLower(m[1]), strings.ReplaceAll(strings.ReplaceAll(m[2], `\'`, `'`), `\\`, `\`)
				var err error
				switch {
				case strings.HasPrefix(path, "ipv4-addr:value"), strings.HasPrefix(path, "ipv6-addr:value"):
					err = in.Add("ip:"+val, label)
				case strings.HasPrefix(path, "domain-name:value"):
					err = in.Add("domain:"+val, label)
				case strings.Contains(path, "ja4"):
					err = in.Add("ja4:"+val, label)
				case strings.Contains(path, "ja3"):
					err = in.Add("ja3:"+val, label)
				default:
					continue // other observables (files, URLs) are not network indicators Ward sees
				}
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", o.ID, err))
				}
			}
		case "ipv4-addr", "ipv6-addr":
			if err := in.Add("ip:"+o.Value, label); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", o.ID, err))
			}
		case "domain-name":
			if err := in.Add("domain:"+o.Value, label); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", o.ID, err))
			}
		}
	}
	return errors.Join(errs...)
}

// matchIP returns the label of a listed address.
func (in *Indicators) matchIP(a netip.Addr) (string, bool) {
	if in == nil || !a.IsValid() {
		return "", false
	}
	a = a.Unmap()
	if l, ok := in.IPs[a]; ok {
		return l, true
	}
	for _, p := range in.Prefixes {
		if p.P.Contains(a) {
			return p.Label, true
		}
	}
	return "", false
}

// matchDomain matches name and every parent domain of it.
func (in *Indicators) matchDomain(name string) (string, bool) {
	if in == nil || len(in.Domains) == 0 {
		return "", false
	}
	n := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(name), "."))
	for n != "" {
		if l, ok := in.Domains[n]; ok {
			return l, true
		}
		i := strings.IndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[i+1:]
	}
	return "", false
}
