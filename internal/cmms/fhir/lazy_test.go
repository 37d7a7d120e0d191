package fhir

import "testing"

// The primitive patterns compile on first use, so a bad one no longer stops
// the package from initialising: compile them here.
func TestPrimitivePatternsCompile(t *testing.T) {
	p := primitive()
	if len(p) == 0 {
		t.Fatal("no primitive patterns")
	}
	for name, re := range p {
		if re == nil {
			t.Errorf("%s: nil pattern", name)
		}
	}
	if q := primitive(); q["id"] != p["id"] {
		t.Error("primitive patterns built more than once")
	}
}
