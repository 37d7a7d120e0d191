package fingerprint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardiomt/ward/internal/canon"
)

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string // substring, including file:line
	}{
		{
			name:    "syntax error",
			yaml:    "rules:\n  - id: a\n    match: [\n",
			wantErr: "bad.yaml:3: did not find expected node content",
		},
		{
			name:    "unknown key",
			yaml:    "rules:\n  - id: a\n    confidense: 0.5\n",
			wantErr: "bad.yaml:3: field confidense not found",
		},
		{
			name:    "unknown condition key",
			yaml:    "rules:\n  - id: a\n    confidence: 0.5\n    match:\n      - {field: dhcp.hostname, startswith: x}\n    claims: {os: X}\n",
			wantErr: "bad.yaml:5: field startswith not found",
		},
		{
			name:    "no conditions",
			yaml:    "rules:\n  - id: a\n    confidence: 0.5\n    claims: {os: X}\n",
			wantErr: "bad.yaml:2: rule a has no match conditions",
		},
		{
			name:    "regex matching anything",
			yaml:    "rules:\n  - id: a\n    confidence: 0.5\n    match:\n      - {field: dhcp.hostname, regex: '.*'}\n    claims: {os: X}\n",
			wantErr: "bad.yaml:2: rule a would match everything",
		},
		{
			name:    "word-character regex matches any value",
			yaml:    "rules:\n  - id: a\n    confidence: 0.5\n    match:\n      - {field: dhcp.hostname, regex: '\\w*'}\n    claims: {os: X}\n",
			wantErr: "would match everything",
		},
		{
			name:    "present alone",
			yaml:    "rules:\n  - id: a\n    confidence: 0.5\n    match:\n      - {field: dhcp.hostname, present: true}\n    claims: {os: X}\n",
			wantErr: "would match everything",
		},
		{
			name:    "only negated",
			yaml:    "rules:\n  - id: a\n    confidence: 0.5\n    match:\n      - {field: dhcp.hostname, not: true, exact: foo}\n    claims: {os: X}\n",
			wantErr: "would match everything",
		},
		{
			name:    "empty prefix",
			yaml:    "rules:\n  - id: a\n    confidence: 0.5\n    match:\n      - {field: dhcp.hostname, prefix: ''}\n    claims: {os: X}\n",
			wantErr: "bad.yaml:5: rule a: empty string in prefix",
		},
		{
			name:    "two operators",
			yaml:    "rules:\n  - id: a\n    confidence: 0.5\n    match:\n      - {field: dhcp.hostname, prefix: a, suffix: b}\n    claims: {os: X}\n",
			wantErr: "bad.yaml:5: rule a: condition on dhcp.hostname needs exactly one",
		},
		{
			name:    "bad regex",
			yaml:    "rules:\n  - id: a\n    confidence: 0.5\n    match:\n      - {field: dhcp.hostname, regex: '(x'}\n    claims: {os: X}\n",
			wantErr: "bad.yaml:5: rule a: regex:",
		},
		{
			name:    "unknown attribute",
			yaml:    "rules:\n  - id: a\n    confidence: 0.5\n    match:\n      - {field: dhcp.hostname, exact: x}\n    claims:\n      colour: red\n",
			wantErr: "bad.yaml:7: rule a: unknown attribute \"colour\"",
		},
		{
			name:    "type outside the taxonomy",
			yaml:    "rules:\n  - id: a\n    confidence: 0.5\n    match:\n      - {field: dhcp.hostname, exact: x}\n    claims:\n      type: toaster\n",
			wantErr: "bad.yaml:7: rule a: type \"toaster\" is not in the taxonomy",
		},
		{
			name:    "confidence out of range",
			yaml:    "rules:\n  - id: a\n    match:\n      - {field: dhcp.hostname, exact: x}\n    claims:\n      os: {value: X, confidence: 1.5}\n",
			wantErr: "bad.yaml:6: rule a: os confidence 1.5",
		},
		{
			name:    "missing confidence",
			yaml:    "rules:\n  - id: a\n    match:\n      - {field: dhcp.hostname, exact: x}\n    claims: {os: X}\n",
			wantErr: "confidence 0 must be in (0, 1]",
		},
		{
			name:    "capture without regex",
			yaml:    "rules:\n  - id: a\n    confidence: 0.5\n    match:\n      - {field: dhcp.hostname, exact: x}\n    claims: {os: \"$1\"}\n",
			wantErr: "the rule has no regex",
		},
		{
			name:    "capture out of range",
			yaml:    "rules:\n  - id: a\n    confidence: 0.5\n    match:\n      - {field: dhcp.hostname, regex: '^(a)b'}\n    claims: {os: \"$2\"}\n",
			wantErr: "the regex has 1 groups",
		},
		{
			name:    "field reference not in conditions",
			yaml:    "rules:\n  - id: a\n    confidence: 0.5\n    match:\n      - {field: dhcp.hostname, exact: x}\n    claims: {os: \"${dhcp.vendor_class}\"}\n",
			wantErr: "must also appear in a (non-negated) condition",
		},
		{
			name:    "no id",
			yaml:    "rules:\n  - confidence: 0.5\n    match:\n      - {field: dhcp.hostname, exact: x}\n    claims: {os: X}\n",
			wantErr: "bad.yaml:2: rule has no id",
		},
		{
			name:    "field without protocol",
			yaml:    "rules:\n  - id: a\n    confidence: 0.5\n    match:\n      - {field: hostname, exact: x}\n    claims: {os: X}\n",
			wantErr: "bad.yaml:5: rule a: condition needs field",
		},
		{
			name:    "bad tcp signature",
			yaml:    "tcp_signatures:\n  - {label: 's:unix:Linux:', sig: '4:64:0'}\n",
			wantErr: "bad.yaml:2: signature",
		},
		{
			name:    "application label cannot claim an OS",
			yaml:    "tcp_signatures:\n  - {label: 's:!:nmap:', sig: '*:64:0:*:1024,0:mss::0'}\n",
			wantErr: "bad.yaml:2: label",
		},
	}
	vendors := canon.NewTable(nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadFile("bad.yaml", []byte(tt.yaml), vendors, nil)
			if err == nil {
				t.Fatalf("want error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %q does not contain %q", err, tt.wantErr)
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %T is not a *LoadError", err)
			}
		})
	}
}

func TestLoadErrorThroughNew(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "site.yaml"), []byte("rules:\n  - id: x\n    confidence: 0.5\n    match:\n      - {field: a.b, regex: '.*'}\n    claims: {os: X}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := New(Options{UserDir: dir, P0FPath: "-"})
	want := filepath.Join(dir, "site.yaml") + ":2: rule x would match everything"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v; want %q", err, want)
	}
}

func TestDuplicateIDsInDefaultsRefused(t *testing.T) {
	rule := "rules:\n  - id: same\n    confidence: 0.5\n    match:\n      - {field: a.b, exact: x}\n    claims: {os: X}\n"
	fsys := fstest.MapFS{
		"rules/a.yaml": {Data: []byte(rule)},
		"rules/b.yaml": {Data: []byte(rule)},
	}
	ls, err := loadFS(fsys, "rules", "rules", canon.NewTable(nil), newTCPDB())
	if err != nil {
		t.Fatal(err)
	}
	_, err = dedupe(ls)
	if err == nil || !strings.Contains(err.Error(), "rules/b.yaml:2: duplicate rule id same (first at rules/a.yaml:2)") {
		t.Fatalf("err = %v", err)
	}
}

func TestEmbeddedDefaultsAreValid(t *testing.T) {
	ls, err := loadFS(defaultRules, "rules", "rules", canon.NewTable(nil), newTCPDB())
	if err != nil {
		t.Fatal(err)
	}
	rules, err := dedupe(ls)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) < 200 {
		t.Fatalf("only %d default rules", len(rules))
	}
}

// TestMedicalManufacturerCoverage counts the distinct medical manufacturers
// the default rules can name (constants and map values).
func TestMedicalManufacturerCoverage(t *testing.T) {
	medical := map[string]bool{}
	for _, m := range []string{"GE HealthCare", "Philips", "Siemens Healthineers", "BD", "Baxter", "Medtronic", "B. Braun",
		"Fresenius Kabi", "ICU Medical", "Canon Medical Systems", "FUJIFILM", "Carestream Health", "Agfa HealthCare", "Hologic",
		"Dräger", "Mindray", "Nihon Kohden", "Spacelabs Healthcare", "Masimo", "Hamilton Medical", "Abbott", "Roche",
		"Beckman Coulter", "Sysmex", "Ortho Clinical Diagnostics", "Zoll Medical", "Stryker", "Change Healthcare", "Ziehm Imaging",
		"Samsung Medison", "Esaote", "Shimadzu", "Konica Minolta", "Vyaire Medical", "Getinge", "Olympus", "Karl Storz", "Elekta",
		"Varian", "Qualcomm Life", "Insulet", "Tandem Diabetes Care", "Dexcom", "Omron", "ResMed", "Withings", "AliveCor",
		"Epic", "Cerner", "Medical Information Technology (MEDITECH)", "Sectra", "Natus Medical", "Orthanc"} {
		medical[m] = true
	}
	e := defaultEngine(t)
	seen := map[string]bool{}
	for _, r := range e.rules {
		for _, c := range r.claims {
			if c.attr != Manufacturer {
				continue
			}
			if medical[c.value] {
				seen[c.value] = true
			}
			for _, v := range c.vmap {
				if medical[v] {
					seen[v] = true
				}
			}
		}
	}
	// TLS subject rule names vendors through a capture; count those too.
	for _, name := range []string{"Zoll Medical", "Stryker", "Getinge", "Olympus", "Karl Storz", "Elekta", "Varian", "Natus Medical", "Sectra", "Vyaire Medical", "Beckman Coulter"} {
		if got := e.canonical(name + " Inc"); got == name {
			for _, r := range e.rules {
				if r.id == "tls-cert-vendor" && r.conds[0].re.MatchString("O="+name) {
					seen[name] = true
				}
			}
		}
	}
	if len(seen) < 40 {
		var missing []string
		for m := range medical {
			if !seen[m] {
				missing = append(missing, m)
			}
		}
		t.Fatalf("default rules name %d medical manufacturers, want >= 40; missing %v", len(seen), missing)
	}
}

func TestUserOverrideAndDisable(t *testing.T) {
	e := newTestEngine(t, `
rules:
  # replaces the default with the same id: lower confidence, different value
  - id: dhcp-vc-msft5
    confidence: 0.2
    match:
      - {field: dhcp.vendor_class, exact: "MSFT 5.0"}
    claims: {os: Windows (site rule)}
  - id: dicom-model-tag
    disabled: true
  - id: site-pump-names
    description: this hospital names its pumps PUMP-<ward>-<n>
    confidence: 0.6
    match:
      - {field: dhcp.hostname, regex: '^PUMP-(?P<ward>[A-Z]+)-\d+$'}
    claims:
      type: infusion_pump
      hostname: "${value}"
      model: "ward ${ward}"
`)
	got := e.Claims(obs("dhcp", "dhcp.vendor_class", "MSFT 5.0"), nil)
	if len(got) != 1 || got[0].Value != "Windows (site rule)" || got[0].Confidence != 0.2 {
		t.Fatalf("override: got %+v", got)
	}
	for _, c := range e.Claims(obs("dicom", "dicom.model", "Unknown Scanner 9000"), nil) {
		if c.Rule == "dicom-model-tag" {
			t.Fatalf("disabled rule still claims: %+v", c)
		}
	}
	sum := summarize(e.Claims(obs("dhcp", "dhcp.hostname", "PUMP-ICU-7"), nil))
	for _, w := range []string{"type=infusion_pump", "hostname=PUMP-ICU-7", "model=ward ICU"} {
		found := false
		for _, g := range sum {
			found = found || g == w
		}
		if !found {
			t.Errorf("missing %s in %v", w, sum)
		}
	}
	if e.RuleCount() != defaultEngine(t).RuleCount() {
		t.Errorf("rule count %d; want %d (one replaced, one disabled, one added)", e.RuleCount(), defaultEngine(t).RuleCount())
	}
}

func TestUserDuplicateIDsRefused(t *testing.T) {
	dir := t.TempDir()
	rule := "rules:\n  - id: mine\n    confidence: 0.5\n    match:\n      - {field: a.b, exact: x}\n    claims: {os: X}\n"
	for _, n := range []string{"a.yaml", "b.yml"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(rule), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := New(Options{UserDir: dir, P0FPath: "-"}); err == nil || !strings.Contains(err.Error(), "duplicate rule id mine") {
		t.Fatalf("err = %v", err)
	}
}

func TestTemplates(t *testing.T) {
	e := newTestEngine(t, `
rules:
  - id: t1
    confidence: 0.5
    match:
      - {field: x.a, regex: '^(\w+)-(\d+)$'}
      - {field: x.b, prefix: v}
    claims:
      model: "$1 model ${2} ($$5) ${x.b}"
      version: "${value}"
      os:
        value: "$1"
        map: {alpha: Alpha OS}
`)
	got := summarize(e.Claims(obs("x", "x.a", "alpha-42", "x.b", "v9"), nil))
	want := []string{"model=alpha model 42 ($5) v9", "os=Alpha OS", "version=alpha-42"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %v want %v", got, want)
	}
	// The second condition is required.
	if got := e.Claims(obs("x", "x.a", "alpha-42"), nil); len(got) != 0 {
		t.Fatalf("missing x.b: got %v", got)
	}
	// Unmapped value: no os claim.
	got = summarize(e.Claims(obs("x", "x.a", "beta-1", "x.b", "v"), nil))
	for _, g := range got {
		if strings.HasPrefix(g, "os=") {
			t.Fatalf("unmapped value claimed %s", g)
		}
	}
}

func TestCaseSensitivity(t *testing.T) {
	e := newTestEngine(t, `
rules:
  - id: ci
    confidence: 0.5
    match:
      - {field: x.a, contains: "jetdirect"}
    claims: {type: printer}
  - id: cs
    confidence: 0.5
    match:
      - {field: x.b, suffix: "MEC", case_sensitive: true}
    claims: {type: mr}
`)
	if got := e.Claims(obs("x", "x.a", "HP JETDIRECT J7949E"), nil); len(got) != 1 {
		t.Errorf("case-insensitive contains: %v", got)
	}
	if got := e.Claims(obs("x", "x.b", "toshiba_mec"), nil); len(got) != 0 {
		t.Errorf("case-sensitive suffix matched lower case: %v", got)
	}
	if got := e.Claims(obs("x", "x.b", "TOSHIBA_MEC"), nil); len(got) != 1 {
		t.Errorf("case-sensitive suffix: %v", got)
	}
}
