package nvd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/testutil"
	"github.com/wardiomt/ward/internal/vuln"
)

const record = `{"id":"CVE-2020-25165","sourceIdentifier":"ics-cert@hq.dhs.gov","published":"2020-11-13T18:15:00.000","lastModified":"2020-11-20T19:00:00.000","vulnStatus":"Analyzed","descriptions":[{"lang":"en","value":"x"}],
"metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H","baseScore":6.5}}]},
"weaknesses":[{"source":"nvd@nist.gov","type":"Primary","description":[{"lang":"en","value":"CWE-287"}]}],
"configurations":[{"operator":"AND","nodes":[{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":true,"criteria":"cpe:2.3:o:bd:alaris_8015_pcu_firmware:*:*:*:*:*:*:*:*","versionEndIncluding":"9.33.1","matchCriteriaId":"A"}]},
{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":false,"criteria":"cpe:2.3:h:bd:alaris_8015_pcu:-:*:*:*:*:*:*:*","matchCriteriaId":"B"}]}]}],"references":[]}`

func TestDecodeShapes(t *testing.T) {
	for name, doc := range map[string]string{
		"single":  record,
		"wrapped": `{"cve":` + record + `}`,
		"bulk":    `{"resultsPerPage":1,"startIndex":0,"totalResults":1,"format":"NVD_CVE","version":"2.0","timestamp":"2026-01-01T00:00:00.000","vulnerabilities":[{"cve":` + record + `}]}`,
	} {
		var got []*vuln.Advisory
		if err := Decode(strings.NewReader(doc), func(a *vuln.Advisory) error { got = append(got, a); return nil }); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got) != 1 || len(got[0].Products) != 1 || got[0].Products[0].Range != "<=9.33.1" || got[0].Products[0].Name != "alaris 8015 pcu firmware" || got[0].Vulns[0].CWE[0] != "CWE-287" {
			t.Errorf("%s: %+v", name, got)
		}
	}
}

func TestSharedRecords(t *testing.T) {
	dir := testutil.SharedData(t, "feeds/nvd/nvd-json-2.0")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	v4, ssvc, affected := 0, 0, 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		err = Decode(fh, func(a *vuln.Advisory) error {
			for _, s := range a.Vulns[0].Scores {
				if s.Version == "4.0" {
					v4++
				}
			}
			if a.Vulns[0].SSVC != nil {
				ssvc++
			}
			for _, p := range a.Products {
				if p.CPE == "" {
					affected++
				}
			}
			return nil
		})
		fh.Close()
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
	}
	if len(files) != 96 || v4 == 0 || ssvc == 0 || affected == 0 {
		t.Errorf("files %d, v4 scores %d, ssvc %d, CNA affected products %d", len(files), v4, ssvc, affected)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(record)
	f.Add(`{"vulnerabilities":[{"cve":` + record + `}]}`)
	f.Add(`{"id":"CVE-1-1"}`)
	f.Fuzz(func(t *testing.T, s string) {
		_ = Decode(strings.NewReader(s), func(*vuln.Advisory) error { return nil })
	})
}
