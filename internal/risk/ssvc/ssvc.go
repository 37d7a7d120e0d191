// Package ssvc evaluates CERT/CC SSVC decision tables loaded as data (the
// official JSON, schema 2.0.0), so Ward's decisions are the published ones,
// row for row, and its vectors say exactly which inputs were used.
package ssvc

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

//go:embed tables/*.json
var tables embed.FS

// Value is one value a decision point can take.
type Value struct {
	Key        string `json:"key"`
	Name       string `json:"name"`
	Definition string `json:"definition"`
}

// DecisionPoint is one input or the outcome of a table.
type DecisionPoint struct {
	Namespace  string  `json:"namespace"`
	Key        string  `json:"key"`
	Version    string  `json:"version"`
	Name       string  `json:"name"`
	Definition string  `json:"definition"`
	Values     []Value `json:"values"`
}

// ID is the table's name for the point, e.g. "ssvc:E:1.1.0".
func (d DecisionPoint) ID() string { return d.Namespace + ":" + d.Key + ":" + d.Version }

// Table is a decision table: every combination of inputs maps to an outcome.
type Table struct {
	Namespace      string                   `json:"namespace"`
	Key            string                   `json:"key"`
	Version        string                   `json:"version"`
	Name           string                   `json:"name"`
	DecisionPoints map[string]DecisionPoint `json:"decision_points"`
	Outcome        string                   `json:"outcome"`
	Mapping        []map[string]string      `json:"mapping"`

	inputs []string          // decision point ids in vector order (all but the outcome)
	index  map[string]string // joined input value keys -> outcome value key
}

// Parse reads a decision table and checks it is complete and consistent:
// every value a row uses exists, and no two rows disagree.
func Parse(b []byte) (*Table, error) {
	var t Table
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("ssvc table: %w", err)
	}
	if _, ok := t.DecisionPoints[t.Outcome]; !ok {
		return nil, fmt.Errorf("ssvc table %s: outcome %q is not among its decision points", t.Key, t.Outcome)
	}
	for id := range t.DecisionPoints {
		if id != t.Outcome {
			t.inputs = append(t.inputs, id)
		}
	}
	// Go maps lose the file's order; vectors use SSVC's canonical order.
	sort.SliceStable(t.inputs, func(i, j int) bool { return orderOf(t.inputs[i]) < orderOf(t.inputs[j]) })
	t.index = make(map[string]string, len(t.Mapping))
	for i, row := range t.Mapping {
		if len(row) != len(t.inputs)+1 {
			return nil, fmt.Errorf("ssvc table %s: row %d has %d entries, want %d", t.Key, i+1, len(row), len(t.inputs)+1)
		}
		for id, v := range row {
			dp, ok := t.DecisionPoints[id]
			if !ok || !hasValue(dp, v) {
				return nil, fmt.Errorf("ssvc table %s: row %d: unknown value %s=%q", t.Key, i+1, id, v)
			}
		}
		k := t.rowKey(row)
		if prev, ok := t.index[k]; ok && prev != row[t.Outcome] {
			return nil, fmt.Errorf("ssvc table %s: row %d contradicts an earlier row", t.Key, i+1)
		}
		t.index[k] = row[t.Outcome]
	}
	want := 1
	for _, id := range t.inputs {
		want *= len(t.DecisionPoints[id].Values)
	}
	if len(t.index) != want {
		return nil, fmt.Errorf("ssvc table %s: %d distinct rows, want %d (every combination)", t.Key, len(t.index), want)
	}
	return &t, nil
}

var canonicalOrder = []string{"SI", "MI", "E", "EXP", "A", "HI"}

func orderOf(id string) int {
	parts := strings.Split(id, ":")
	if len(parts) == 3 {
		for i, k := range canonicalOrder {
			if parts[1] == k {
				return i
			}
		}
	}
	return len(canonicalOrder)
}

func hasValue(dp DecisionPoint, key string) bool {
	for _, v := range dp.Values {
		if v.Key == key {
			return true
		}
	}
	return false
}

func (t *Table) rowKey(row map[string]string) string {
	var b strings.Builder
	for _, id := range t.inputs {
		b.WriteString(row[id])
		b.WriteByte('/')
	}
	return b.String()
}

// Inputs lists the table's input decision points in vector order.
func (t *Table) Inputs() []DecisionPoint {
	out := make([]DecisionPoint, len(t.inputs))
	for i, id := range t.inputs {
		out[i] = t.DecisionPoints[id]
	}
	return out
}

// ErrIncomplete means an input was missing or not a value of its point.
var ErrIncomplete = errors.New("ssvc: incomplete or invalid inputs")

// Decide returns the outcome value for inputs keyed by decision point key
// ("E", "EXP", "A", "HI") with value keys ("A", "O", "Y", "VH").
func (t *Table) Decide(in map[string]string) (Value, error) {
	row := make(map[string]string, len(t.inputs))
	for _, id := range t.inputs {
		dp := t.DecisionPoints[id]
		v, ok := in[dp.Key]
		if !ok || !hasValue(dp, v) {
			return Value{}, fmt.Errorf("%w: %s (%s) = %q", ErrIncomplete, dp.Name, dp.Key, v)
		}
		row[id] = v
	}
	out := t.index[t.rowKey(row)]
	for _, v := range t.DecisionPoints[t.Outcome].Values {
		if v.Key == out {
			return v, nil
		}
	}
	return Value{}, fmt.Errorf("ssvc table %s: no outcome for %v", t.Key, in)
}

// Vector is the SSVC vector string of a decision, e.g.
// "SSVCv2/E:A/EXP:O/A:Y/HI:VH/DSOI:I/2026-11-28T00:00:00Z/".
func (t *Table) Vector(in map[string]string, outcome Value, at time.Time) string {
	var b strings.Builder
	b.WriteString("SSVCv2/")
	for _, dp := range t.Inputs() {
		b.WriteString(dp.Key + ":" + in[dp.Key] + "/")
	}
	b.WriteString(t.DecisionPoints[t.Outcome].Key + ":" + outcome.Key + "/")
	b.WriteString(at.UTC().Format(time.RFC3339) + "/")
	return b.String()
}

// Deployer loads the official Deployer Patch Application Priority table.
func Deployer() (*Table, error) { return load("deployer_patch_application_priority_1_0_0.json") }

// HumanImpact loads the official Human Impact table (Safety x Mission impact).
func HumanImpact() (*Table, error) { return load("human_impact_1_0_0.json") }

func load(name string) (*Table, error) {
	b, err := tables.ReadFile("tables/" + name)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}
