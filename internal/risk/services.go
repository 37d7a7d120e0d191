package risk

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/wardiomt/ward/internal/cpe"
)

//go:embed services.yaml
var servicesYAML []byte

// PortRef is one transport port, e.g. tcp/445.
type PortRef struct {
	Transport string `json:"transport"`
	Port      uint16 `json:"port"`
}

func (p PortRef) String() string { return p.Transport + "/" + strconv.Itoa(int(p.Port)) }

// ParsePortRef reads "tcp/445" (a bare number means tcp).
func ParsePortRef(s string) (PortRef, error) {
	tr, num, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "/")
	if !ok {
		tr, num = "tcp", tr
	}
	if tr != "tcp" && tr != "udp" {
		return PortRef{}, fmt.Errorf("port %q: transport must be tcp or udp", s)
	}
	n, err := strconv.ParseUint(num, 10, 16)
	if err != nil || n == 0 {
		return PortRef{}, fmt.Errorf("port %q: not a port number", s)
	}
	return PortRef{Transport: tr, Port: uint16(n)}, nil
}

// Service is a network service a vulnerable component is reached through.
type Service struct {
	Key         string    `json:"key"`
	Name        string    `json:"name"`
	Ports       []PortRef `json:"ports,omitempty"`
	Protocols   []string  `json:"protocols,omitempty"`
	Local       bool      `json:"local,omitempty"` // reached only nearby or by hand (Bluetooth, USB)
	Stack       bool      `json:"stack,omitempty"` // reached by any packet to the device (an embedded TCP/IP stack)
	Keywords    []string  `json:"-"`
	CWE         []string  `json:"-"`
	CPEProducts []string  `json:"-"`

	kw [][]string // keywords as lower-case word sequences
}

// ServiceMap maps vulnerable components to network services. It is data
// (services.yaml) so sites can extend it without code.
type ServiceMap struct {
	Services []*Service
}

type serviceFile struct {
	Services []struct {
		Name        string   `yaml:"name"`
		Key         string   `yaml:"key"`
		Ports       []string `yaml:"ports"`
		Protocols   []string `yaml:"protocols"`
		Local       bool     `yaml:"local"`
		Stack       bool     `yaml:"stack"`
		Keywords    []string `yaml:"keywords"`
		CWE         []string `yaml:"cwe"`
		CPEProducts []string `yaml:"cpe_products"`
	} `yaml:"services"`
}

// DefaultServiceMap returns the embedded map.
func DefaultServiceMap() (*ServiceMap, error) { return ParseServiceMap(servicesYAML) }

// ParseServiceMap reads a service map (strict YAML).
func ParseServiceMap(b []byte) (*ServiceMap, error) {
	var f serviceFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("service map: %w", err)
	}
	m := &ServiceMap{}
	seen := map[string]bool{}
	for i, e := range f.Services {
		if e.Key == "" || e.Name == "" {
			return nil, fmt.Errorf("service map: entry %d: key and name are required", i+1)
		}
		if seen[e.Key] {
			return nil, fmt.Errorf("service map: duplicate key %q", e.Key)
		}
		seen[e.Key] = true
		if !e.Local && !e.Stack && len(e.Ports) == 0 {
			return nil, fmt.Errorf("service map: %s: a network service needs ports", e.Key)
		}
		s := &Service{Key: e.Key, Name: e.Name, Protocols: e.Protocols, Local: e.Local, Stack: e.Stack, Keywords: e.Keywords, CWE: e.CWE, CPEProducts: e.CPEProducts}
		for _, p := range e.Ports {
			pr, err := ParsePortRef(p)
			if err != nil {
				return nil, fmt.Errorf("service map: %s: %w", e.Key, err)
			}
			s.Ports = append(s.Ports, pr)
		}
		for _, k := range e.Keywords {
			if w := wordsOf(k); len(w) > 0 {
				s.kw = append(s.kw, w)
			} else {
				return nil, fmt.Errorf("service map: %s: keyword %q has no letters or digits", e.Key, k)
			}
		}
		m.Services = append(m.Services, s)
	}
	return m, nil
}

// Get returns the service with key, nil if none.
func (m *ServiceMap) Get(key string) *Service {
	for _, s := range m.Services {
		if s.Key == key {
			return s
		}
	}
	return nil
}

// ServiceMatch is a service a finding was tied to, and why.
type ServiceMatch struct {
	Service *Service
	Reason  string
}

var (
	urlRe  = lazyRegexp(`(?i)\b(?:https?|ftp)://\S+`)
	portRe = lazyRegexp(`(?i)\b(tcp|udp)?\s*(?:/\s*)?ports?\s*(?:number\s*)?((?:\d{1,5}\s*(?:/|,|and|or)?\s*)+)|\b(tcp|udp)[ /]((?:\d{1,5}\s*(?:/|,)?\s*)+)`)
	numRe  = lazyRegexp(`\d{1,5}`)
)

// FindingText is what the service map reads about one finding.
type FindingText struct {
	Text         string   // title, product, descriptions
	CWE          []string // CWE ids
	CPEs         []string // affected CPEs
	Remediations []string // remediation text: only explicit port mentions are read
}

// Match ties a finding to services: by keyword in its text, by CWE, by CPE
// product, and by ports that its remediation text names ("block TCP 445").
func (m *ServiceMap) Match(ft FindingText) []ServiceMatch {
	text := wordsOf(urlRe().ReplaceAllString(ft.Text, " "))
	var out []ServiceMatch
	add := func(s *Service, why string) {
		if !slices.ContainsFunc(out, func(x ServiceMatch) bool { return x.Service == s }) {
			out = append(out, ServiceMatch{s, why})
		}
	}
	for _, s := range m.Services {
		for i, kw := range s.kw {
			if containsSeq(text, kw) {
				add(s, fmt.Sprintf("the advisory mentions %q", s.Keywords[i]))
				break
			}
		}
		for _, c := range ft.CWE {
			if slices.Contains(s.CWE, strings.ToUpper(c)) {
				add(s, fmt.Sprintf("weakness %s is a %s flaw", strings.ToUpper(c), s.Name))
			}
		}
		for _, raw := range ft.CPEs {
			if n, err := cpe.Parse(raw); err == nil && slices.Contains(s.CPEProducts, strings.ToLower(n[cpe.Product])) {
				add(s, fmt.Sprintf("affected product %s is %s", n[cpe.Product], s.Name))
			}
		}
	}
	for _, r := range ft.Remediations {
		for _, p := range portsIn(urlRe().ReplaceAllString(r, " ")) {
			for _, s := range m.Services {
				if !s.Local && slices.Contains(s.Ports, p) {
					add(s, fmt.Sprintf("the vendor's advice names port %s", p))
				}
			}
		}
	}
	return out
}

// portsIn finds explicit port mentions: "TCP 139/445", "port 3389", "tcp/23".
func portsIn(s string) []PortRef {
	var out []PortRef
	for _, m := range portRe().FindAllStringSubmatch(s, -1) {
		tr, nums := strings.ToLower(m[1]), m[2]
		if m[3] != "" {
			tr, nums = strings.ToLower(m[3]), m[4]
		}
		if tr == "" {
			tr = "tcp"
		}
		for _, n := range numRe().FindAllString(nums, -1) {
			v, err := strconv.Atoi(n)
			if err != nil || v == 0 || v > 65535 {
				continue
			}
			p := PortRef{Transport: tr, Port: uint16(v)}
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// wordsOf lower-cases s and splits it at everything but letters and digits,
// so keywords match whole words: "smb" is not in "smbios".
func wordsOf(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func containsSeq(words, seq []string) bool {
	for i := 0; i+len(seq) <= len(words); i++ {
		if slices.Equal(words[i:i+len(seq)], seq) {
			return true
		}
	}
	return false
}
