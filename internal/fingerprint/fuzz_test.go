package fingerprint

import (
	"io/fs"
	"testing"

	"github.com/wardiomt/ward/internal/canon"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzLoadRules feeds arbitrary bytes to the rule loader: it must return
// rules or an error, never panic, and whatever it accepts must be safe to
// run against observations.
func FuzzLoadRules(f *testing.F) {
	entries, _ := fs.ReadDir(defaultRules, "rules")
	for _, en := range entries {
		if data, err := fs.ReadFile(defaultRules, "rules/"+en.Name()); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("rules:\n  - id: a\n    confidence: 0.5\n    match:\n      - {field: a.b, regex: '^(x)(?P<n>y)?'}\n    claims: {os: \"$1 ${n} ${value} $$\"}\n"))
	f.Add([]byte("tcp_signatures:\n  - {label: 's:unix:Linux:', sig: '*:64:0:*:mss*10,*:mss,sok,ts,nop,ws:df,id+:0'}\n"))
	f.Add([]byte("rules: [{id: a, match: [{field: a.b, exact: [x, y]}], claims: {os: &a {value: X, confidence: 0.2}, model: *a}}]"))
	vendors := canon.NewTable(nil)
	probe := &observe.Observation{Protocol: "a", Fields: []observe.Field{{Key: "a.b", Value: "xy"}, {Key: "tcp.syn_signature", Value: "4:64+0:0:1460:mss*10,7:mss,sok,ts,nop,ws:df,id+:0"}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		tcp := newTCPDB()
		ls, err := loadFile("fuzz.yaml", data, vendors, tcp)
		if err != nil {
			return
		}
		rules, err := dedupe(ls)
		if err != nil {
			return
		}
		e := &Engine{vendors: vendors, tcp: tcp, byField: map[string][]*rule{}, canonCache: map[string]string{}}
		for _, r := range rules {
			k := r.conds[r.anchor].field
			e.byField[k] = append(e.byField[k], r)
		}
		for _, c := range e.Claims(probe, nil) {
			if c.Confidence <= 0 || c.Confidence > 1 {
				t.Fatalf("claim confidence %v out of range", c.Confidence)
			}
		}
	})
}
