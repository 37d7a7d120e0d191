package canon

import "testing"

func TestManufacturer(t *testing.T) {
	tab := NewTable(map[string]string{"Acme Medical Devices": "Acme"})
	tests := []struct {
		raw, want string
		known     bool
	}{
		{"GE MEDICAL SYSTEMS", "GE HealthCare", true},
		{"General Electric (GE)", "GE HealthCare", true},
		{"gehealthcare", "GE HealthCare", true},
		{"ge_healthcare", "GE HealthCare", true},
		{"Becton, Dickinson and Company", "BD", true},
		{"CareFusion", "BD", true},
		{"Welch Allyn", "Baxter", true},
		{"Hillrom", "Baxter", true},
		{"Koninklijke Philips N.V.", "Philips", true},
		{"SIEMENS", "Siemens Healthineers", true},
		{"TOSHIBA_MEC", "Canon Medical Systems", true},
		{"Canon Inc.", "Canon", true}, // the printer maker is not Canon Medical
		{"Dräger", "Dräger", true},
		{"Draeger Medical", "Dräger", true},
		{"Acme Medical Devices", "Acme", true},
		// Laboratory (IVD) vendors, as ASTM instrument rules name them.
		{"Roche Diagnostics", "Roche", true},
		{"bioMerieux", "bioMérieux", true},
		{"DiaSorin S.p.A.", "DiaSorin", true},
		{"Instrumentation Laboratory", "Werfen", true},
		{"Thermo Fisher", "Thermo Fisher Scientific", true},
		{"Ortho", "Ortho Clinical Diagnostics", true},
		{"Radiometer Medical ApS", "Radiometer", true},
		// Point-of-care vendors, as POCT1-A Hellos name them.
		{"Nova Biomedical Corporation", "Nova Biomedical", true},
		{"HemoCue AB", "HemoCue", true},
		{"Abbott Point of Care", "Abbott", true},
		{"  Unknown Maker GmbH \x00", "Unknown Maker GmbH", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := tab.Manufacturer(tt.raw)
		if got != tt.want || ok != tt.known {
			t.Errorf("Manufacturer(%q) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.known)
		}
	}
}

func TestTaxonomy(t *testing.T) {
	for _, ty := range Types() {
		if !ValidType(string(ty)) {
			t.Errorf("%s not valid", ty)
		}
	}
	if CriticalityOf(InfusionPump) != LifeSustaining || CriticalityOf(Printer) != NonClinical || CriticalityOf("toaster") != NonClinical {
		t.Error("criticality classes wrong")
	}
	if len(NewTable(nil).Canonicals()) < 60 {
		t.Error("too few canonical manufacturers")
	}
}
