package fingerprint

import "testing"

func TestStripMaker(t *testing.T) {
	for _, tt := range []struct {
		mfr, model, want string
	}{
		{"Brother", "Brother MFC-L8900CDW", "MFC-L8900CDW"},
		{"HP", "hp Color LaserJet MFP M480", "Color LaserJet MFP M480"},
		{"GE HealthCare", "GE CARESCAPE B650", "CARESCAPE B650"},        // the canonical name's first word
		{"Nihon Kohden", "Nihon Kohden Life Scope G9", "Life Scope G9"}, // the whole name first
		{"BD", "Alaris 8015", "Alaris 8015"},                            // a product line stays
		{"Philips", "PhilipsIntelliVue", "PhilipsIntelliVue"},           // not a word of its own
		{"Lexmark", "Lexmark", "Lexmark"},                               // nothing would be left
		{"", "Brother MFC-L8900CDW", "Brother MFC-L8900CDW"},            // no manufacturer claimed
	} {
		cs := []Claim{{Attribute: Model, Value: tt.model}}
		if tt.mfr != "" {
			cs = append(cs, Claim{Attribute: Manufacturer, Value: tt.mfr})
		}
		stripMaker(cs)
		if cs[0].Value != tt.want {
			t.Errorf("%q by %q: model %q, want %q", tt.model, tt.mfr, cs[0].Value, tt.want)
		}
	}
}
