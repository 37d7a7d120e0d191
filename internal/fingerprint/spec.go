package fingerprint

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// fileSpec is one rule file as written. Field names are the YAML keys;
// decoding is strict (unknown keys are errors).
type fileSpec struct {
	Rules         []ruleSpec   `yaml:"rules"`
	TCPSignatures []tcpSigSpec `yaml:"tcp_signatures"`
}

type ruleSpec struct {
	ID          string     `yaml:"id"`
	Description string     `yaml:"description"`
	Protocol    string     `yaml:"protocol"`
	Confidence  float64    `yaml:"confidence"`
	Disabled    bool       `yaml:"disabled"`
	Note        string     `yaml:"note"`
	Match       []condSpec `yaml:"match"`
	Claims      claimsSpec `yaml:"claims"`
	Line        int        `yaml:"-"`
}

type condSpec struct {
	Field         string     `yaml:"field"`
	Exact         stringList `yaml:"exact"`
	Prefix        stringList `yaml:"prefix"`
	Suffix        stringList `yaml:"suffix"`
	Contains      stringList `yaml:"contains"`
	Regex         string     `yaml:"regex"`
	Present       bool       `yaml:"present"`
	Not           bool       `yaml:"not"`
	CaseSensitive bool       `yaml:"case_sensitive"`
	Line          int        `yaml:"-"`
}

type tcpSigSpec struct {
	Label      string  `yaml:"label"`
	Sig        string  `yaml:"sig"`
	Direction  string  `yaml:"direction"`
	Confidence float64 `yaml:"confidence"`
	Line       int     `yaml:"-"`
}

// stringList accepts a scalar or a sequence of scalars.
type stringList []string

func (s *stringList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*s = stringList{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(stringList, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: want a string", c.Line)
			}
			out = append(out, c.Value)
		}
		*s = out
		return nil
	}
	return fmt.Errorf("line %d: want a string or a list of strings", n.Line)
}

// claimSpec is either `attribute: value` or
// `attribute: {value: ..., confidence: ..., map: {...}}`.
type claimSpec struct {
	Attr       string
	Value      string
	Confidence float64
	Map        map[string]string
	Line       int
}

type claimsSpec []claimSpec

func (cs *claimsSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: claims must be a mapping of attribute to value", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		c := claimSpec{Attr: k.Value, Line: k.Line}
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		switch v.Kind {
		case yaml.ScalarNode:
			c.Value = v.Value
		case yaml.MappingNode:
			for j := 0; j+1 < len(v.Content); j += 2 {
				kk, vv := v.Content[j], v.Content[j+1]
				switch kk.Value {
				case "value":
					if vv.Kind != yaml.ScalarNode {
						return fmt.Errorf("line %d: claim value must be a string", vv.Line)
					}
					c.Value = vv.Value
				case "confidence":
					f, err := strconv.ParseFloat(vv.Value, 64)
					if err != nil || vv.Kind != yaml.ScalarNode {
						return fmt.Errorf("line %d: confidence %q is not a number", vv.Line, vv.Value)
					}
					c.Confidence = f
				case "map":
					if vv.Kind != yaml.MappingNode {
						return fmt.Errorf("line %d: map must be a mapping", vv.Line)
					}
					c.Map = make(map[string]string, len(vv.Content)/2)
					for m := 0; m+1 < len(vv.Content); m += 2 {
						if vv.Content[m].Kind != yaml.ScalarNode || vv.Content[m+1].Kind != yaml.ScalarNode {
							return fmt.Errorf("line %d: map entries must be strings", vv.Content[m].Line)
						}
						c.Map[vv.Content[m].Value] = vv.Content[m+1].Value
					}
				default:
					return fmt.Errorf("line %d: field %s not found in claim (want value, confidence, map)", kk.Line, kk.Value)
				}
			}
		default:
			return fmt.Errorf("line %d: claim %s must be a string or a mapping", v.Line, k.Value)
		}
		*cs = append(*cs, c)
	}
	return nil
}

// LoadError is a rule file problem with its position.
type LoadError struct {
	File   string
	Line   int // 0 when unknown
	Reason string
}

func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Reason)
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlErr turns yaml.v3's "line N: reason" messages into LoadErrors
// (joined when there are several).
func yamlErr(file string, err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var errs []error
	for _, m := range msgs {
		m = strings.TrimPrefix(m, "yaml: ")
		if sm := lineRE.FindStringSubmatch(m); sm != nil {
			line, _ := strconv.Atoi(sm[1])
			errs = append(errs, &LoadError{File: file, Line: line, Reason: sm[2]})
			continue
		}
		errs = append(errs, &LoadError{File: file, Reason: m})
	}
	return errors.Join(errs...)
}

// parseFile decodes one rule file strictly and records the line of every
// rule, condition and signature for later error messages.
func parseFile(file string, data []byte) (*fileSpec, error) {
	var fs fileSpec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&fs); err != nil {
		if errors.Is(err, io.EOF) {
			return &fs, nil // empty file
		}
		return nil, yamlErr(file, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlErr(file, err)
	}
	if len(root.Content) == 1 {
		top := root.Content[0]
		for i := 0; i+1 < len(top.Content); i += 2 {
			seq := top.Content[i+1]
			switch top.Content[i].Value {
			case "rules":
				for j, rn := range seq.Content {
					if j >= len(fs.Rules) {
						break
					}
					fs.Rules[j].Line = rn.Line
					if m := child(rn, "match"); m != nil {
						for k, cn := range m.Content {
							if k < len(fs.Rules[j].Match) {
								fs.Rules[j].Match[k].Line = cn.Line
							}
						}
					}
				}
			case "tcp_signatures":
				for j, sn := range seq.Content {
					if j < len(fs.TCPSignatures) {
						fs.TCPSignatures[j].Line = sn.Line
					}
				}
			}
		}
	}
	return &fs, nil
}

func child(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
