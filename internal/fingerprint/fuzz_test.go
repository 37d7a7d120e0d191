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

// FuzzClaims runs arbitrary field values through the default rules and the
// value parsers behind them (SYN signatures, MAC/DUID/EUI-64 extraction).
func FuzzClaims(f *testing.F) {
	f.Add("tcp.syn_signature", "4:128+0:0:1460:mss*44,8:mss,nop,ws,nop,nop,sok:df,id+:0")
	f.Add("tcp.syn_signature", "4:64+0:0:*:mss*0,0:::+")
	f.Add("dhcpv6.duid", "00:01:00:01:2a:3b:4c:5d:00:09:fb:11:22:33")
	f.Add("hl7.sending_application", "IntelliVue_MX800^0009FB00001A2B3C^EUI-64")
	f.Add("hl7.equipment_id", "00B0940000C0FFEE^BD^00B0940000C0FFEE^EUI-64")
	f.Add("arp.sender_mac", "00:09:fb:11:22:33")
	f.Add("dicom.software_versions", "syngo MR E11\\AXM")
	f.Add("smb.ntlm_version", "10.0.22631")
	f.Add("http.server", "HP HTTP Server; HP Color LaserJet MFP M477fdw - CF379A; Serial Number: CNB8K1234X")
	e := defaultEngine(f)
	f.Fuzz(func(t *testing.T, key, value string) {
		o := &observe.Observation{Protocol: "x", Fields: []observe.Field{{Key: key, Value: value}, {Key: "tcp.flags", Value: "syn"}}}
		for _, c := range e.Claims(o, nil) {
			if c.Value == "" || c.Confidence <= 0 || c.Confidence > 1 {
				t.Fatalf("malformed claim %+v", c)
			}
		}
	})
}
