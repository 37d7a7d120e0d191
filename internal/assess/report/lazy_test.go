package report

import "testing"

// The page template is parsed on first use, so a template error no longer
// stops the package from initialising: parse it here.
func TestPageParses(t *testing.T) {
	if page() == nil || page() != page() {
		t.Fatal("want one parsed page template, built once")
	}
	if page().Lookup("page") == nil {
		t.Fatal("page template has no definition named page")
	}
}
