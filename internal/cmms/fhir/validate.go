package fhir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Definitions are FHIR type definitions in the shape of the npm `fhir`
// package's profiles/types.json (generated from the official R4
// StructureDefinitions): per type, its properties with type, cardinality,
// required flag and value set binding, plus the codes of required value sets.
type Definitions struct {
	Types     map[string]TypeDef       `json:"types"`
	ValueSets map[string]ValueSetCodes `json:"valueSets"`
}

// TypeDef is one type or resource.
type TypeDef struct {
	Kind       string    `json:"_kind"`
	Properties []PropDef `json:"_properties"`
}

// PropDef is one element.
type PropDef struct {
	Name       string    `json:"_name"`
	Type       string    `json:"_type"`
	Multiple   bool      `json:"_multiple"`
	Required   bool      `json:"_required"`
	Choice     string    `json:"_choice"`
	Strength   string    `json:"_valueSetStrength"`
	ValueSet   string    `json:"_valueSet"`
	Properties []PropDef `json:"_properties"` // BackboneElement children
}

// ValueSetCodes lists a value set's codes per code system.
type ValueSetCodes struct {
	Systems []struct {
		URI   string `json:"uri"`
		Codes []struct {
			Code string `json:"code"`
		} `json:"codes"`
	} `json:"systems"`
}

// LoadDefinitions reads Definitions JSON.
func LoadDefinitions(r io.Reader) (*Definitions, error) {
	var d Definitions
	if err := json.NewDecoder(r).Decode(&d); err != nil {
		return nil, fmt.Errorf("fhir definitions: %w", err)
	}
	if len(d.Types) == 0 {
		return nil, errors.New("fhir definitions: no types")
	}
	return &d, nil
}

// Primitive value formats (FHIR R4 datatypes page regexes, simplified where
// JSON already constrains the kind). Compiled on first use: at package
// initialisation every ward command paid for them.
var primitive = sync.OnceValue(func() map[string]*regexp.Regexp {
	return map[string]*regexp.Regexp{
		"id":        regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`),
		"code":      regexp.MustCompile(`^[^\s]+( [^\s]+)*$`),
		"uri":       regexp.MustCompile(`^\S*$`),
		"url":       regexp.MustCompile(`^\S*$`),
		"canonical": regexp.MustCompile(`^\S*$`),
		"uuid":      regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`),
		"dateTime":  regexp.MustCompile(`^([0-9]{4})(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$`),
		"instant":   regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$`),
		"date":      regexp.MustCompile(`^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$`),
	}
})

var stringLike = []string{"string", "markdown", "base64Binary", "oid", "time", "xhtml"}
var intLike = []string{"integer", "positiveInt", "unsignedInt"}

// Validate checks a resource (JSON) against the definitions: every element is
// defined, single or repeating as declared, required elements are present,
// primitives have their JSON kind and format, only one of a choice is given,
// and required bindings hold. It returns every problem, with its path.
func (d *Definitions) Validate(resource []byte) []error {
	var v any
	if err := json.Unmarshal(resource, &v); err != nil {
		return []error{err}
	}
	var errs []error
	d.resource("", v, &errs)
	return errs
}

func (d *Definitions) resource(path string, v any, errs *[]error) {
	obj, ok := v.(map[string]any)
	if !ok {
		*errs = append(*errs, fmt.Errorf("%s: resource is not an object", orRoot(path)))
		return
	}
	rt, _ := obj["resourceType"].(string)
	td, ok := d.Types[rt]
	if !ok || td.Kind != "resource" {
		*errs = append(*errs, fmt.Errorf("%s: unknown resourceType %q", orRoot(path), rt))
		return
	}
	if path == "" {
		path = rt
	}
	d.object(path, obj, td.Properties, true, errs)
}

func orRoot(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}

func (d *Definitions) object(path string, obj map[string]any, props []PropDef, isResource bool, errs *[]error) {
	byName := make(map[string]*PropDef, len(props))
	for i := range props {
		byName[props[i].Name] = &props[i]
	}
	choices := map[string][]string{}
	for k, val := range obj {
		if isResource && k == "resourceType" {
			continue
		}
		p, ok := byName[k]
		if !ok {
			*errs = append(*errs, fmt.Errorf("%s.%s: unknown element", path, k))
			continue
		}
		if p.Choice != "" {
			choices[p.Choice] = append(choices[p.Choice], k)
		}
		d.element(path+"."+k, val, p, errs)
	}
	for c, names := range choices {
		if len(names) > 1 {
			slices.Sort(names)
			*errs = append(*errs, fmt.Errorf("%s.%s[x]: more than one choice given: %s", path, c, strings.Join(names, ", ")))
		}
	}
	for _, p := range props {
		if p.Required {
			if _, ok := obj[p.Name]; !ok {
				*errs = append(*errs, fmt.Errorf("%s.%s: required element missing", path, p.Name))
			}
		}
	}
}

func (d *Definitions) element(path string, val any, p *PropDef, errs *[]error) {
	if arr, ok := val.([]any); ok {
		if !p.Multiple {
			*errs = append(*errs, fmt.Errorf("%s: at most one value allowed, got an array", path))
			return
		}
		if len(arr) == 0 {
			*errs = append(*errs, fmt.Errorf("%s: empty array (omit the element instead)", path))
		}
		for i, x := range arr {
			d.value(fmt.Sprintf("%s[%d]", path, i), x, p, errs)
		}
		return
	}
	if p.Multiple {
		*errs = append(*errs, fmt.Errorf("%s: repeating element must be an array", path))
		return
	}
	d.value(path, val, p, errs)
}

func (d *Definitions) value(path string, val any, p *PropDef, errs *[]error) {
	bad := func(format string, a ...any) {
		*errs = append(*errs, fmt.Errorf("%s: "+format, append([]any{path}, a...)...))
	}
	switch {
	case p.Type == "Resource":
		d.resource(path, val, errs)
		return
	case p.Type == "boolean":
		if _, ok := val.(bool); !ok {
			bad("boolean expected")
		}
		return
	case p.Type == "decimal" || slices.Contains(intLike, p.Type):
		f, ok := val.(float64)
		if !ok {
			bad("number expected")
		} else if p.Type != "decimal" && f != float64(int64(f)) {
			bad("integer expected")
		}
		return
	case p.Type == "BackboneElement" || (p.Type == "Element" && len(p.Properties) > 0):
		obj, ok := val.(map[string]any)
		if !ok {
			bad("object expected")
			return
		}
		d.object(path, obj, p.Properties, false, errs)
		return
	}
	if s, ok := val.(string); ok {
		if re := primitive()[p.Type]; re != nil && !re.MatchString(s) {
			bad("%q is not a valid %s", s, p.Type)
		} else if re == nil && !slices.Contains(stringLike, p.Type) {
			bad("%s expected, got a string", p.Type)
		}
		if strings.TrimSpace(s) == "" {
			bad("empty or blank string")
		}
		d.binding(path, p, []string{s}, errs)
		return
	}
	td, ok := d.Types[p.Type]
	if !ok {
		bad("type %s not in the definitions", p.Type)
		return
	}
	if td.Kind == "primitive-type" {
		bad("%s expected", p.Type)
		return
	}
	obj, ok := val.(map[string]any)
	if !ok {
		bad("%s object expected", p.Type)
		return
	}
	d.object(path, obj, td.Properties, false, errs)
	if p.Strength == "required" {
		d.binding(path, p, codesOf(p.Type, obj), errs)
	}
}

// codesOf collects the codes of a Coding or CodeableConcept.
func codesOf(typ string, obj map[string]any) []string {
	switch typ {
	case "Coding":
		c, _ := obj["code"].(string)
		return []string{c}
	case "CodeableConcept":
		var out []string
		cs, _ := obj["coding"].([]any)
		for _, c := range cs {
			if m, ok := c.(map[string]any); ok {
				s, _ := m["code"].(string)
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			return []string{""}
		}
		return out
	}
	return nil
}

func (d *Definitions) binding(path string, p *PropDef, codes []string, errs *[]error) {
	if p.Strength != "required" || p.ValueSet == "" || len(codes) == 0 {
		return
	}
	vs, ok := d.ValueSets[strings.SplitN(p.ValueSet, "|", 2)[0]]
	if !ok {
		return // value set not expandable from the definitions (e.g. all MIME types)
	}
	for _, c := range codes {
		for _, s := range vs.Systems {
			for _, k := range s.Codes {
				if k.Code == c {
					return
				}
			}
		}
	}
	*errs = append(*errs, fmt.Errorf("%s: %q is not in the required value set %s", path, strings.Join(codes, ","), p.ValueSet))
}
