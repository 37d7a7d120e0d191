package export_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/export"
	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/identity"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/vuln"
)

// handInput is a two-device site: one pump outside the affected range, one
// with an unknown version.
func handInput() *export.Input {
	dev := func(id, version string) *inventory.Device {
		d := &inventory.Device{ID: id, Site: "north", MAC: "00:11:22:33:44:5" + id[len(id)-1:], IPs: []inventory.IPRecord{{IP: "10.1.1." + id[len(id)-1:]}}}
		d.Identity = identity.Identity{}
		for a, v := range map[fingerprint.Attribute]string{fingerprint.Manufacturer: "Acme", fingerprint.Model: "Pump 9", fingerprint.Version: version, fingerprint.Serial: "SN-" + id} {
			if v != "" {
				d.Identity[a] = &identity.Attribute{Value: v}
			}
		}
		return d
	}
	return &export.Input{Site: "north", At: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
		Devices: []*inventory.Device{dev("d1", "3.1"), dev("d2", "")},
		Findings: []vuln.Finding{
			{DeviceID: "d1", Advisory: "ICSMA-26-001-01", Status: vuln.NotAffected, CVEs: []string{"CVE-2026-0001"}, MatchedRange: `"< 3.0"`, Reason: `Acme "Pump 9" version 3.1 is outside every affected range ("< 3.0") of Acme Pump 9`,
				CVSS: []vuln.Score{{Source: "CISA", Version: "3.1", Score: 9.8, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}},
			{DeviceID: "d2", Advisory: "ICSMA-26-001-01", Status: vuln.UnderInvestigation, CVEs: []string{"CVE-2026-0001"}, Reason: "device version unknown"},
		},
		Advisories: map[string]export.AdvisoryRef{"ICSMA-26-001-01": {Title: "Acme Pump 9", URL: "https://www.cisa.gov/news-events/ics-medical-advisories/icsma-26-001-01", Publisher: "CISA"}},
	}
}

// TestSchemasReject makes sure the schema checks have teeth: the hand-built
// documents validate, and the same documents with one invalid value do not.
func TestSchemasReject(t *testing.T) {
	bomSchema, csafSchema := schemas(t)
	in := handInput()
	for _, c := range []struct {
		f        export.Format
		old, new string
	}{
		{export.CycloneDX, `"type": "device"`, `"type": "gadget"`},
		{export.CycloneDXVEX, `"state": "not_affected"`, `"state": "fine"`},
		{export.CSAFVEX, `"csaf_version": "2.0"`, `"csaf_version": "2.1"`},
		{export.CSAFVEX, `"label": "vulnerable_code_not_present"`, `"label": "not_vulnerable"`},
	} {
		s := bomSchema
		if c.f == export.CSAFVEX {
			s = csafSchema
		}
		doc := render(t, c.f, in)
		validate(t, s, string(c.f), doc)
		if c.f == export.CSAFVEX {
			checkVEXProfile(t, doc)
		}
		bad := bytes.Replace(doc, []byte(c.old), []byte(c.new), 1)
		if bytes.Equal(bad, doc) {
			t.Fatalf("%s: %s not in the document:\n%s", c.f, c.old, doc)
		}
		inst, err := jsonschemaUnmarshal(bad)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(inst); err == nil {
			t.Errorf("%s with %s validates", c.f, c.new)
		}
	}
}
