package identity

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/fingerprint"
)

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

func claim(attr fingerprint.Attribute, v string, conf float64, rule, proto string) fingerprint.Claim {
	return fingerprint.Claim{Attribute: attr, Value: v, Confidence: conf, Rule: rule, Protocol: proto,
		Field: proto + ".field", Observed: "raw " + v}
}

type step struct {
	c fingerprint.Claim
	n int // repeats, default 1
}

func TestApply(t *testing.T) {
	dicomVer := func(v string) fingerprint.Claim {
		return claim(fingerprint.Version, v, 0.9, "dicom-software-versions", "dicom")
	}
	tests := []struct {
		name      string
		steps     []step
		attr      fingerprint.Attribute
		want      string
		minConf   float64
		maxConf   float64
		wantCands int
	}{
		{
			name:  "single strong claim establishes a value",
			steps: []step{{c: claim(fingerprint.Manufacturer, "GE HealthCare", 0.9, "dicom-mfr", "dicom")}},
			attr:  fingerprint.Manufacturer, want: "GE HealthCare", minConf: 0.6, maxConf: 0.7, wantCands: 1,
		},
		{
			name:  "repeated evidence raises confidence",
			steps: []step{{c: claim(fingerprint.Manufacturer, "GE HealthCare", 0.9, "dicom-mfr", "dicom"), n: 5}},
			attr:  fingerprint.Manufacturer, want: "GE HealthCare", minConf: 0.89, maxConf: 0.91, wantCands: 1,
		},
		{
			name: "one odd packet does not replace an established value",
			steps: []step{
				{c: claim(fingerprint.Model, "EPIQ 7G", 0.9, "dicom-model", "dicom"), n: 5},
				{c: claim(fingerprint.Model, "EPIQ 5", 0.9, "dicom-model", "dicom")},
			},
			attr: fingerprint.Model, want: "EPIQ 7G", minConf: 0.4, maxConf: 0.9, wantCands: 2,
		},
		{
			name: "strong source outranks weak heuristic",
			steps: []step{
				{c: claim(fingerprint.Manufacturer, "Intel", 0.6, "oui", "oui"), n: 10},
				{c: claim(fingerprint.Manufacturer, "Philips", 0.95, "hl7-device-mfr", "hl7"), n: 3},
			},
			attr: fingerprint.Manufacturer, want: "Philips", minConf: 0.5, maxConf: 1, wantCands: 2,
		},
		{
			name: "software update recognised when the same source reports it consistently",
			steps: []step{
				{c: dicomVer("5.0.2"), n: 20},
				{c: dicomVer("5.0.3"), n: 3},
			},
			attr: fingerprint.Version, want: "5.0.3", minConf: 0.5, maxConf: 1, wantCands: 2,
		},
		{
			name: "a value heard once gives way to the same source's next value",
			steps: []step{
				{c: claim(fingerprint.Version, "00-22", 0.6, "astm-instrument-version", "astm")},
				{c: claim(fingerprint.Version, "00-25", 0.6, "astm-instrument-version", "astm")},
			},
			attr: fingerprint.Version, want: "00-25", minConf: 0.3, maxConf: 1, wantCands: 2,
		},
		{
			name: "a value heard once from another source does not replace one",
			steps: []step{
				{c: claim(fingerprint.Version, "00-22", 0.6, "astm-instrument-version", "astm")},
				{c: claim(fingerprint.Version, "00-25", 0.6, "hl7-sw", "hl7")},
			},
			attr: fingerprint.Version, want: "00-22", minConf: 0.2, maxConf: 1, wantCands: 2,
		},
		{
			name: "case and space variants are one value",
			steps: []step{
				{c: claim(fingerprint.Manufacturer, "SIEMENS", 0.9, "a", "dicom")},
				{c: claim(fingerprint.Manufacturer, " siemens ", 0.9, "b", "snmp")},
			},
			attr: fingerprint.Manufacturer, want: "SIEMENS", minConf: 0.8, maxConf: 1, wantCands: 1,
		},
		{
			name:  "empty values are ignored",
			steps: []step{{c: claim(fingerprint.Serial, "  ", 0.9, "x", "dicom")}},
			attr:  fingerprint.Serial, want: "", wantCands: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultPolicy()
			id := Identity{}
			at := t0
			for _, s := range tt.steps {
				n := max(s.n, 1)
				for range n {
					at = at.Add(time.Minute)
					p.Apply(id, s.c, at)
				}
			}
			got := id.Value(tt.attr)
			if got != tt.want {
				t.Fatalf("value = %q, want %q (state %+v)", got, tt.want, id[tt.attr])
			}
			a := id[tt.attr]
			if tt.wantCands == 0 {
				if a != nil && len(a.Candidates) > 0 {
					t.Fatalf("want no candidates, got %+v", a.Candidates)
				}
				return
			}
			if a.Confidence < tt.minConf || a.Confidence > tt.maxConf {
				t.Errorf("confidence %v not in [%v, %v]", a.Confidence, tt.minConf, tt.maxConf)
			}
			if len(a.Candidates) != tt.wantCands {
				t.Errorf("%d candidates, want %d", len(a.Candidates), tt.wantCands)
			}
		})
	}
}

func TestApplyEvidenceKept(t *testing.T) {
	p := DefaultPolicy()
	id := Identity{}
	c := fingerprint.Claim{Attribute: fingerprint.Serial, Value: "SYN-CT-000123", Confidence: 0.95,
		Rule: "dicom-serial", Protocol: "dicom", Field: "dicom.serial", Observed: "SYN-CT-000123"}
	ch, changed := p.Apply(id, c, t0)
	if !changed || ch != (Change{Attribute: fingerprint.Serial, After: "SYN-CT-000123"}) {
		t.Fatalf("change = %+v %v", ch, changed)
	}
	if _, changed := p.Apply(id, c, t0.Add(time.Hour)); changed {
		t.Fatal("repeating the same claim must not report a change")
	}
	want := []Evidence{{Protocol: "dicom", Field: "dicom.serial", Value: "SYN-CT-000123", Rule: "dicom-serial",
		Confidence: 0.95, First: t0, Last: t0.Add(time.Hour), Count: 2}}
	if diff := cmp.Diff(want, id[fingerprint.Serial].Current().Evidence); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
}

func TestOddPacketFromOtherSourceThenUpdate(t *testing.T) {
	// An odd version from a weak source never wins; the real update does.
	p := DefaultPolicy()
	id := Identity{}
	at := t0
	apply := func(c fingerprint.Claim, n int) {
		for range n {
			at = at.Add(time.Minute)
			p.Apply(id, c, at)
		}
	}
	apply(claim(fingerprint.Version, "12.1.2", 0.9, "hl7-sw", "hl7"), 10)
	apply(claim(fingerprint.Version, "9.9", 0.5, "http-server", "http"), 4)
	if got := id.Value(fingerprint.Version); got != "12.1.2" {
		t.Fatalf("weak source replaced version: %q", got)
	}
	apply(claim(fingerprint.Version, "12.1.3", 0.9, "hl7-sw", "hl7"), 1)
	if got := id.Value(fingerprint.Version); got != "12.1.2" {
		t.Fatalf("a single report replaced version: %q", got)
	}
	apply(claim(fingerprint.Version, "12.1.3", 0.9, "hl7-sw", "hl7"), 2)
	if got := id.Value(fingerprint.Version); got != "12.1.3" {
		t.Fatalf("consistent update not recognised: %q (%+v)", got, id[fingerprint.Version])
	}
}

func TestBounded(t *testing.T) {
	p := DefaultPolicy()
	id := Identity{}
	for i := range 100 {
		p.Apply(id, claim(fingerprint.Hostname, string(rune('a'+i%26))+string(rune('a'+i/26)), 0.5, "r", "dns"), t0.Add(time.Duration(i)*time.Second))
		p.Apply(id, fingerprint.Claim{Attribute: fingerprint.OS, Value: "Linux", Confidence: 0.5,
			Rule: "r" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Protocol: "tcp"}, t0)
	}
	if n := len(id[fingerprint.Hostname].Candidates); n > p.MaxCandidates {
		t.Errorf("%d candidates kept, bound %d", n, p.MaxCandidates)
	}
	if n := len(id[fingerprint.OS].Candidates[0].Evidence); n > p.MaxEvidence {
		t.Errorf("%d evidence kept, bound %d", n, p.MaxEvidence)
	}
}

func TestMerge(t *testing.T) {
	p := DefaultPolicy()
	a, b := Identity{}, Identity{}
	p.Apply(a, claim(fingerprint.Serial, "SN1", 0.95, "snmp-serial", "snmp"), t0)
	p.Apply(b, claim(fingerprint.Serial, "SN1", 0.95, "lldp-serial", "lldp"), t0)
	p.Apply(b, claim(fingerprint.Model, "MX800", 0.9, "hl7-model", "hl7"), t0)
	changes := p.Merge(a, b)
	if diff := cmp.Diff([]Change{{Attribute: fingerprint.Model, After: "MX800"}}, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if got := len(a[fingerprint.Serial].Candidates[0].Evidence); got != 2 {
		t.Errorf("merged serial evidence = %d, want 2", got)
	}
	if a[fingerprint.Serial].Confidence <= b[fingerprint.Serial].Confidence {
		t.Errorf("two independent sources should raise confidence: %v <= %v", a[fingerprint.Serial].Confidence, b[fingerprint.Serial].Confidence)
	}
}

func BenchmarkApply(b *testing.B) {
	p := DefaultPolicy()
	id := Identity{}
	c := claim(fingerprint.Model, "EPIQ 7G", 0.9, "dicom-model", "dicom")
	b.ReportAllocs()
	for b.Loop() {
		p.Apply(id, c, t0)
	}
}

func TestForget(t *testing.T) {
	p := DefaultPolicy()
	id := Identity{}
	for _, c := range []fingerprint.Claim{
		claim(fingerprint.Manufacturer, "GE HealthCare", 0.85, "dicom-manufacturer-tag", "dicom"),
		claim(fingerprint.Manufacturer, "Dell", 0.3, "oui", "arp"),
		claim(fingerprint.Serial, "CT123", 0.9, "dicom-serial-tag", "dicom"),
	} {
		p.Apply(id, c, t0)
	}
	if id.Value(fingerprint.Manufacturer) != "GE HealthCare" {
		t.Fatalf("before: %q", id.Value(fingerprint.Manufacturer))
	}
	ch := p.Forget(id, func(f string) bool { return f == "dicom.field" })
	want := []Change{{Attribute: fingerprint.Manufacturer, Before: "GE HealthCare", After: "Dell"}, {Attribute: fingerprint.Serial, Before: "CT123"}}
	if diff := cmp.Diff(want, ch); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if _, ok := id[fingerprint.Serial]; ok || id.Value(fingerprint.Manufacturer) != "Dell" || len(id[fingerprint.Manufacturer].Candidates) != 1 {
		t.Errorf("after: %+v", id)
	}
	if ch := p.Forget(id, func(string) bool { return false }); len(ch) != 0 {
		t.Errorf("forgetting nothing changed %v", ch)
	}
}
