// Package archtest checks the one-way data flow of ../shared/STYLE.md:
// capture -> dissect -> observations -> identity/inventory -> vulns ->
// risk -> API/UI/exports. A package may import its own row or rows above.
package archtest

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/wardiomt/ward/"

// rows maps package path prefixes (under internal/) to their row; longest
// prefix wins. Side packages (-1) may import anything and are checked only
// for who imports them.
var rows = map[string]int{
	"observe": 0, "cpe": 0, "version": 0, "oui": 0, "canon": 0,
	"capture": 1, "decode": 1, "dissect": 1, "dissectors": 1,
	"fingerprint": 2, "identity": 2,
	"inventory": 3,
	"vuln":      4, "feeds": 4,
	"risk": 5, "threat": 5, "assess": 5, "cmms": 5,
	"api": 6, "web": 6, "export": 6, "siem": 6, "server": 6, "auth": 6,
	"db": -1, "config": -1, "telemetry": -1, "sensor": -1, "testutil": -1, "simulate": -1, "uplink": -1, "demo": -1,
	"archtest": -1,
}

func rowOf(pkg string) (int, bool) {
	p := strings.TrimPrefix(pkg, mod+"internal/")
	if p == pkg {
		return 0, false
	}
	best, row := "", 0
	for prefix, r := range rows {
		if (p == prefix || strings.HasPrefix(p, prefix+"/")) && len(prefix) > len(best) {
			best, row = prefix, r
		}
	}
	return row, best != ""
}

// sideAllowed lists the side packages stage packages may use: the database
// handle everywhere, and the sensor upload wire format in the server.
func sideAllowed(side, importer string) bool {
	switch side {
	case "db":
		return true
	case "uplink", "sensor":
		return strings.Contains(importer, "/internal/api") || strings.Contains(importer, "/internal/server")
	}
	return false
}

func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "github.com/wardiomt/ward/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.ImportPath, mod+"internal/") {
			continue
		}
		from, known := rowOf(p.ImportPath)
		if !known {
			t.Errorf("%s has no row in the layering table: add it (STYLE.md section 2)", p.ImportPath)
			continue
		}
		checked++
		for _, imp := range p.Imports {
			to, ok := rowOf(imp)
			if !ok {
				continue
			}
			top := strings.SplitN(strings.TrimPrefix(imp, mod+"internal/"), "/", 2)[0]
			switch {
			case rows[top] == -1 && from >= 0 && !sideAllowed(top, p.ImportPath):
				t.Errorf("%s imports side package %s (side packages are for cmd/ward and tests)", p.ImportPath, imp)
			case from >= 0 && to > from:
				t.Errorf("%s (row %d) imports %s (row %d): data flows one way", p.ImportPath, from, imp, to)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked only %d packages", checked)
	}
}
