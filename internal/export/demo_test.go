package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/export"
	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/inventory/sqlstore"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/risk"
	"github.com/wardiomt/ward/internal/sensor"
	"github.com/wardiomt/ward/internal/testutil"
)

var demoNow = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

type collector struct{ obs []observe.Observation }

func (c *collector) Emit(o *observe.Observation) { c.obs = append(c.obs, o.Clone()) }

// ingestDemo decodes testdata/demo/hospital-demo.pcap into a fresh SQLite
// database, the way `ward ingest` does.
func ingestDemo(t *testing.T) *db.DB {
	t.Helper()
	ctx := context.Background()
	pcap := filepath.Join(testutil.RepoRoot(t), "testdata", "demo", "hospital-demo.pcap")
	if _, err := os.Stat(pcap); err != nil {
		t.Skipf("demo capture missing: %v", err)
	}
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "ward.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	st, err := sqlstore.Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := fingerprint.New(fingerprint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := inventory.New(st, eng, inventory.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	if _, err := sensor.ReadFiles(ctx, []string{pcap}, decode.DefaultConfig(), c, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Ingest(ctx, inventory.DefaultSite, c.obs); err != nil {
		t.Fatal(err)
	}
	return d
}

// schemas compiles the official schemas shipped in testdata/schema.
func schemas(t *testing.T) (bom, csaf *jsonschema.Schema) {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for url, file := range map[string]string{
		"http://cyclonedx.org/schema/bom-1.6.schema.json":                  "bom-1.6.schema.json",
		"http://cyclonedx.org/schema/spdx.schema.json":                     "spdx.schema.json",
		"http://cyclonedx.org/schema/jsf-0.82.schema.json":                 "jsf-0.82.schema.json",
		"https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json": "csaf_json_schema.json",
		"https://www.first.org/cvss/cvss-v2.0.json":                        "cvss-v2.0.json",
		"https://www.first.org/cvss/cvss-v3.0.json":                        "cvss-v3.0.json",
		"https://www.first.org/cvss/cvss-v3.1.json":                        "cvss-v3.1.json",
	} {
		f, err := os.Open(filepath.Join("testdata", "schema", file))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if err := c.AddResource(url, doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	var err error
	if bom, err = c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json"); err != nil {
		t.Fatal(err)
	}
	if csaf, err = c.Compile("https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"); err != nil {
		t.Fatal(err)
	}
	return bom, csaf
}

func validate(t *testing.T, s *jsonschema.Schema, name string, doc []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("%s: not JSON: %v", name, err)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("%s does not validate against its schema: %v", name, err)
	}
}

func render(t *testing.T, f export.Format, in *export.Input) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := export.Write(&b, f, in); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return b.Bytes()
}

// roundTrip decodes a CycloneDX document with cyclonedx-go, encodes it
// again and wants the same JSON.
func roundTrip(t *testing.T, name string, doc []byte) *cdx.BOM {
	t.Helper()
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(doc), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatalf("%s: decode: %v", name, err)
	}
	var again bytes.Buffer
	enc := cdx.NewBOMEncoder(&again, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.EncodeVersion(&bom, cdx.SpecVersion1_6); err != nil {
		t.Fatalf("%s: encode: %v", name, err)
	}
	var a, b any
	if err := json.Unmarshal(doc, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(again.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Errorf("%s does not round-trip through cyclonedx-go:\nfirst  %.400s\nsecond %.400s", name, ja, jb)
	}
	return &bom
}

// TestDemoExports ingests the simulated hospital, exports every format,
// validates each against its official schema and checks that the VEX
// statements rest on evidence: versions outside ranges, services never
// seen, and a compensating control applied in the test.
func TestDemoExports(t *testing.T) {
	ctx := context.Background()
	d := ingestDemo(t)
	bomSchema, csafSchema := schemas(t)
	cfg := risk.DefaultConfig()
	cfg.MinObservation = time.Hour // the capture covers two hours
	opts := export.LoadOptions{Risk: cfg, Now: demoNow, Tool: "test"}
	in, err := export.Load(ctx, d, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Devices) < 50 || len(in.Findings) < 10 {
		t.Fatalf("%d devices, %d findings: the demo hospital has dozens of each", len(in.Devices), len(in.Findings))
	}

	// Apply a segment control to one exploitable finding whose services
	// were seen: it must turn not_affected, citing the control.
	var target *export.Statement
	for _, st := range export.Statements(in) {
		if st.State == export.Exploitable && st.Item != nil {
			target = &st
			break
		}
	}
	if target == nil {
		t.Fatal("no exploitable finding in the demo hospital")
	}
	store, err := risk.OpenStore(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	ctl := risk.Control{ActionID: "segment-test-1", Kind: risk.KindSegment, Findings: []string{target.Item.ID}, AppliedAt: demoNow.Add(-time.Hour), Note: "own VLAN"}
	if err := store.Apply(ctx, ctl); err != nil {
		t.Fatal(err)
	}
	if in, err = export.Load(ctx, d, opts); err != nil {
		t.Fatal(err)
	}
	sts := export.Statements(in)
	byEvidence := map[export.Evidence][]export.Statement{}
	states := map[export.State]int{}
	for _, st := range sts {
		states[st.State]++
		if st.Evidence != "" {
			byEvidence[st.Evidence] = append(byEvidence[st.Evidence], st)
		}
		if st.DeviceID == target.DeviceID && st.Finding.Advisory == target.Finding.Advisory {
			if st.State != export.NotAffected || st.Evidence != export.EvidenceControl || !strings.Contains(st.Detail, "segment-test-1") || st.Justification.CycloneDX != "protected_by_mitigating_control" {
				t.Errorf("segmented finding: %s %s %q %+v", st.State, st.Evidence, st.Detail, st.Justification)
			}
		}
	}
	t.Logf("states %v; evidence: version %d, service %d, control %d", states, len(byEvidence[export.EvidenceVersion]), len(byEvidence[export.EvidenceService]), len(byEvidence[export.EvidenceControl]))
	for _, ev := range []export.Evidence{export.EvidenceVersion, export.EvidenceService, export.EvidenceControl} {
		if len(byEvidence[ev]) == 0 {
			t.Errorf("no not_affected statement from evidence %s", ev)
		}
	}
	for _, st := range byEvidence[export.EvidenceVersion] {
		ver := ""
		for _, dev := range in.Devices {
			if dev.ID == st.DeviceID {
				ver = dev.Attr(fingerprint.Version)
			}
		}
		if ver == "" || !strings.Contains(st.Detail, "outside") || !strings.Contains(st.Detail, ver) || !strings.Contains(st.Detail, st.Finding.MatchedRange) {
			t.Errorf("version evidence of %s on %s does not name version %q and range %q: %q", st.Finding.Advisory, st.DeviceID, ver, st.Finding.MatchedRange, st.Detail)
		}
	}
	for _, st := range byEvidence[export.EvidenceService] {
		if st.Item == nil || len(st.Item.Services) == 0 || !strings.Contains(st.Detail, st.Item.Services[0].Name) || !strings.Contains(st.Detail, "never") {
			t.Errorf("service evidence of %s on %s does not name the service: %q", st.Finding.Advisory, st.DeviceID, st.Detail)
		}
	}

	// CycloneDX inventory.
	inv := render(t, export.CycloneDX, in)
	validate(t, bomSchema, "cyclonedx", inv)
	bom := roundTrip(t, "cyclonedx", inv)
	if bom.Components == nil || len(*bom.Components) != len(in.Devices) || bom.Vulnerabilities != nil {
		t.Fatalf("cyclonedx: want %d device components and no vulnerabilities", len(in.Devices))
	}
	firmware := 0
	for _, c := range *bom.Components {
		if c.Type != cdx.ComponentTypeDevice || c.BOMRef == "" || c.Name == "" {
			t.Errorf("component %+v", c)
		}
		if c.Components != nil {
			for _, s := range *c.Components {
				if s.Type == cdx.ComponentTypeFirmware && s.Version == c.Version && s.Version != "" {
					firmware++
				}
			}
		}
	}
	if firmware < 10 {
		t.Errorf("only %d devices carry a firmware component", firmware)
	}

	// CycloneDX VEX.
	vex := render(t, export.CycloneDXVEX, in)
	validate(t, bomSchema, "cyclonedx-vex", vex)
	vbom := roundTrip(t, "cyclonedx-vex", vex)
	refs := map[string]bool{}
	for _, c := range *vbom.Components {
		refs[c.BOMRef] = true
	}
	seenRef := map[string]bool{}
	just := map[cdx.ImpactAnalysisJustification]int{}
	for _, v := range *vbom.Vulnerabilities {
		if seenRef[v.BOMRef] {
			t.Errorf("bom-ref %s twice", v.BOMRef)
		}
		seenRef[v.BOMRef] = true
		if v.Analysis == nil || v.Analysis.State == "" || v.Analysis.Detail == "" || v.Affects == nil || len(*v.Affects) != 1 || !refs[(*v.Affects)[0].Ref] {
			t.Fatalf("vulnerability %s: analysis %+v affects %+v", v.ID, v.Analysis, v.Affects)
		}
		if v.Analysis.State == cdx.IASNotAffected {
			if v.Analysis.Justification == "" {
				t.Errorf("%s: not_affected without justification", v.BOMRef)
			}
			just[v.Analysis.Justification]++
		}
	}
	for _, j := range []cdx.ImpactAnalysisJustification{cdx.IAJCodeNotPresent, cdx.IAJCodeNotReachable, cdx.IAJProtectedByMitigatingControl} {
		if just[j] == 0 {
			t.Errorf("no CycloneDX not_affected with justification %s (have %v)", j, just)
		}
	}

	// CSAF VEX.
	cs := render(t, export.CSAFVEX, in)
	validate(t, csafSchema, "csaf-vex", cs)
	checkVEXProfile(t, cs)

	// CMMS formats come from internal/cmms.
	var bundle struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
		Entry        []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(render(t, export.FHIR, in), &bundle); err != nil {
		t.Fatal(err)
	}
	if bundle.ResourceType != "Bundle" || bundle.Type != "collection" || len(bundle.Entry) != len(in.Devices) || bundle.Entry[0].Resource.ResourceType != "Device" {
		t.Errorf("fhir: %s %s with %d entries for %d devices", bundle.ResourceType, bundle.Type, len(bundle.Entry), len(in.Devices))
	}
	rows, err := csv.NewReader(bytes.NewReader(render(t, export.CSV, in))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(in.Devices)+1 || !slices.Contains(rows[0], "Manufacturer") {
		t.Errorf("csv: %d rows for %d devices, header %v", len(rows), len(in.Devices), rows[0])
	}
}

// checkVEXProfile applies the CSAF 2.0 mandatory tests of the csaf_vex
// profile (6.1.27.x) and product id consistency (6.1.1) that a schema
// cannot express.
func checkVEXProfile(t *testing.T, doc []byte) {
	t.Helper()
	type products []string
	var d struct {
		Document struct {
			Category   string                      `json:"category"`
			Notes      []struct{ Category string } `json:"notes"`
			References []struct{ Category string } `json:"references"`
		} `json:"document"`
		ProductTree json.RawMessage `json:"product_tree"`
		Vulns       []struct {
			CVE           string              `json:"cve"`
			IDs           []any               `json:"ids"`
			Notes         []any               `json:"notes"`
			ProductStatus map[string]products `json:"product_status"`
			Flags         []struct {
				Label      string   `json:"label"`
				ProductIDs products `json:"product_ids"`
			} `json:"flags"`
			Threats []struct {
				Category   string   `json:"category"`
				Details    string   `json:"details"`
				ProductIDs products `json:"product_ids"`
			} `json:"threats"`
			Remediations []struct {
				ProductIDs products `json:"product_ids"`
			} `json:"remediations"`
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	if d.Document.Category != "csaf_vex" {
		t.Errorf("category %q", d.Document.Category)
	}
	if !slices.ContainsFunc(d.Document.Notes, func(n struct{ Category string }) bool {
		return slices.Contains([]string{"description", "details", "general", "summary"}, n.Category)
	}) {
		t.Error("6.1.27.1: no description/details/general/summary note")
	}
	if !slices.ContainsFunc(d.Document.References, func(r struct{ Category string }) bool { return r.Category == "external" }) {
		t.Error("6.1.27.2: no external reference")
	}
	defined := map[string]bool{}
	var walk func(raw any)
	walk = func(raw any) {
		switch v := raw.(type) {
		case map[string]any:
			if p, ok := v["product"].(map[string]any); ok {
				id := p["product_id"].(string)
				if defined[id] {
					t.Errorf("6.1.2: product id %s defined twice", id)
				}
				defined[id] = true
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var tree any
	_ = json.Unmarshal(d.ProductTree, &tree)
	walk(tree)
	if len(d.Vulns) == 0 || len(defined) == 0 {
		t.Fatalf("6.1.27.3/4: %d vulnerabilities, %d products", len(d.Vulns), len(defined))
	}
	flagged := 0
	for i, v := range d.Vulns {
		if v.CVE == "" && len(v.IDs) == 0 {
			t.Errorf("6.1.27.8: vulnerability %d has neither cve nor ids", i)
		}
		if len(v.Notes) == 0 {
			t.Errorf("6.1.27.5: vulnerability %s has no notes", v.CVE)
		}
		n := 0
		for _, k := range []string{"fixed", "known_affected", "known_not_affected", "under_investigation"} {
			for _, p := range v.ProductStatus[k] {
				n++
				if !defined[p] {
					t.Errorf("6.1.1: %s %s names undefined product %s", v.CVE, k, p)
				}
			}
		}
		if n == 0 {
			t.Errorf("6.1.27.6: vulnerability %s has no product status", v.CVE)
		}
		for _, p := range v.ProductStatus["known_not_affected"] {
			hasFlag := slices.ContainsFunc(v.Flags, func(f struct {
				Label      string   `json:"label"`
				ProductIDs products `json:"product_ids"`
			}) bool {
				return slices.Contains(f.ProductIDs, p)
			})
			hasImpact := slices.ContainsFunc(v.Threats, func(th struct {
				Category   string   `json:"category"`
				Details    string   `json:"details"`
				ProductIDs products `json:"product_ids"`
			}) bool {
				return th.Category == "impact" && slices.Contains(th.ProductIDs, p) && th.Details != ""
			})
			if !hasFlag || !hasImpact {
				t.Errorf("6.1.27.9: %s not-affected product %s: flag %v, impact statement %v", v.CVE, p, hasFlag, hasImpact)
			}
			flagged++
		}
		for _, p := range v.ProductStatus["known_affected"] {
			if !slices.ContainsFunc(v.Remediations, func(r struct {
				ProductIDs products `json:"product_ids"`
			}) bool {
				return slices.Contains(r.ProductIDs, p)
			}) {
				t.Errorf("6.1.27.10: %s affected product %s has no remediation", v.CVE, p)
			}
		}
	}
	if flagged == 0 {
		t.Error("no known_not_affected product in the CSAF VEX")
	}
}

func jsonschemaUnmarshal(b []byte) (any, error) { return jsonschema.UnmarshalJSON(bytes.NewReader(b)) }
