package feeds

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/testutil"
	"github.com/wardiomt/ward/internal/vuln"
)

func TestImportSharedFeeds(t *testing.T) {
	root := testutil.SharedData(t, "feeds")
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, err := NewStore(ctx, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The 360k-row EPSS file is imported once, by TestUpdateFromMirror;
		// here the subset keeps both dialects quick.
		paths := []string{
			filepath.Join(root, "csaf-icsma"), filepath.Join(root, "csaf-other"), filepath.Join(root, "kev"),
			filepath.Join(root, "nvd"), filepath.Join(root, "epss", "epss_subset_ward_targets.csv"),
		}
		sums, skipped, err := s.ImportPaths(ctx, paths, vuln.NewNormalizer(nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		byFormat := map[Format]int{}
		for _, sm := range sums {
			byFormat[sm.Format]++
		}
		want := map[Format]int{FormatCSAF: 183, FormatKEV: 2, FormatNVD: 96, FormatCVE5: 40, FormatEPSS: 1}
		for f, n := range want {
			if byFormat[f] != n {
				t.Errorf("%s files imported = %d, want %d", f, byFormat[f], n)
			}
		}
		for _, sk := range skipped {
			base := filepath.Base(sk)
			if base != "manifest.csv" && base != "known_exploited_vulnerabilities_schema.json" {
				t.Errorf("unexpectedly skipped %s", sk)
			}
		}
		st, err := s.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Advisories["csaf"] != 183 || st.Advisories["nvd"] != 96 || st.Advisories["cve5"] != 40 {
			t.Errorf("advisories by source = %v", st.Advisories)
		}
		if st.KEV < 1662 || st.EPSS < 800 {
			t.Errorf("KEV = %d, EPSS = %d", st.KEV, st.EPSS)
		}
		// Idempotent: a second import of a file changes no counts.
		if _, err := s.ImportFile(ctx, filepath.Join(root, "csaf-icsma", "icsma-20-317-01.json"), nil); err != nil {
			t.Fatal(err)
		}
		st2, _ := s.Status(ctx)
		if st2.Advisories["csaf"] != 183 {
			t.Errorf("re-import changed count to %d", st2.Advisories["csaf"])
		}
		k, err := s.KEV(ctx, []string{"CVE-2017-0144", "CVE-2000-0001"})
		if err != nil || len(k) != 1 || k["CVE-2017-0144"].DateAdded.IsZero() {
			t.Errorf("KEV lookup = %v, %v", k, err)
		}
	})
}

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// TestMalformed feeds each format a broken variant and checks the precise
// message and that the database is untouched.
func TestMalformed(t *testing.T) {
	root := testutil.SharedData(t, "feeds")
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	csafDoc := read("csaf-icsma/icsma-20-317-01.json")
	nvdDoc := read("nvd/nvd-json-2.0/CVE-2017-0144.json")
	cve5Doc := read("nvd/cve5-vulnrichment/CVE-2023-30563.json")
	kevDoc := read("kev/known_exploited_vulnerabilities.json")
	epssDoc := "#model_version:v2025.03.14,score_date:2026-08-16T00:00:00+0000\ncve,epss,percentile\nCVE-2017-0144,0.94,0.99\nCVE-2019-0708,0.944,0.999\n"
	bulk := `{"resultsPerPage":2,"startIndex":0,"totalResults":2,"format":"NVD_CVE","version":"2.0","timestamp":"2026-01-01T00:00:00.000","vulnerabilities":[{"cve":` + nvdDoc + `},{"cve":` + nvdDoc + `}]}`
	tests := []struct {
		name, doc, wantErr string
	}{
		{"csaf truncated", csafDoc[:len(csafDoc)/2], "unexpected end of JSON input"},
		{"csaf wrong type", strings.Replace(csafDoc, `"version": "1"`, `"version": 1`, 1), "cannot unmarshal number"},
		{"csaf unknown enum", strings.Replace(csafDoc, `"category": "vendor_fix"`, `"category": "vendor_fixx"`, 1), "vendor_fixx"},
		{"csaf bad date", strings.Replace(csafDoc, `"initial_release_date": "2020-11-12T00:00:00.000000Z"`, `"initial_release_date": "12/11/2020"`, 1), "initial_release_date"},
		{"csaf unknown field", strings.Replace(csafDoc, `"csaf_version"`, `"surprise": 1, "csaf_version"`, 1), "unknown field"},
		{"nvd truncated", nvdDoc[:len(nvdDoc)-200], "unexpected EOF"},
		{"nvd wrong type", strings.Replace(nvdDoc, `"baseScore": 8.8`, `"baseScore": "8.8"`, 1), "baseScore"},
		{"nvd unknown status", strings.Replace(nvdDoc, `"vulnStatus": "Deferred"`, `"vulnStatus": "Pending"`, 1), `vulnStatus "Pending"`},
		{"nvd bad date", strings.Replace(nvdDoc, `"published": "2017-03-17T00:59:04.010"`, `"published": "17.03.2017"`, 1), "published: bad date"},
		{"nvd bulk truncated", bulk[:len(bulk)-len(nvdDoc)/2], "vulnerabilities[1]"},
		{"nvd bad cpe", strings.Replace(nvdDoc, `"criteria": "cpe:2.3:a:microsoft:server_message_block:1.0`, `"criteria": "cpe:2.3:q:microsoft:server_message_block:1.0`, 1), "part \"q\""},
		{"cve5 truncated", cve5Doc[:300], "unexpected EOF"},
		{"cve5 wrong type", strings.Replace(cve5Doc, `"baseScore": 8.2`, `"baseScore": "high"`, 1), "cannot unmarshal string"},
		{"cve5 unknown ssvc", strings.Replace(cve5Doc, `"Exploitation": "none"`, `"Exploitation": "rampant"`, 1), `"rampant"`},
		{"cve5 unknown status", strings.Replace(cve5Doc, `"status": "affected"`, `"status": "vulnerable"`, 1), `status "vulnerable"`},
		{"cve5 bad date", strings.Replace(cve5Doc, `"datePublished": "2023-07-13T19:04:43.518Z"`, `"datePublished": "yesterday"`, 1), "datePublished"},
		{"kev truncated", kevDoc[:len(kevDoc)/3], "KEV vulnerabilities"},
		{"kev wrong type", strings.Replace(kevDoc, `"count": 1662`, `"count": "1662"`, 1), "count"},
		{"kev unknown enum", strings.Replace(kevDoc, `"knownRansomwareCampaignUse": "Unknown"`, `"knownRansomwareCampaignUse": "Maybe"`, 1), `"Maybe"`},
		{"kev bad date", strings.Replace(kevDoc, `"dateAdded": "2026-08-07"`, `"dateAdded": "08/07/2026"`, 1), "dateAdded"},
		{"epss bad number", strings.Replace(epssDoc, "0.944", "high", 1), "line 4"},
		{"epss wrong header", strings.Replace(epssDoc, "cve,epss,percentile", "cve,score", 1), "header"},
		{"epss out of range", strings.Replace(epssDoc, "0.94,", "1.94,", 1), "line 3"},
		{"epss bad date", strings.Replace(epssDoc, "2026-08-16T00:00:00+0000", "soon", 1), "score_date"},
		{"epss gz truncated", string(gz(t, []byte(epssDoc))[:30]), "unexpected EOF"},
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, err := NewStore(ctx, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		// A known-good baseline that broken files must not disturb.
		if _, err := s.ImportReader(ctx, "good-epss.csv", strings.NewReader(strings.Replace(epssDoc, "0.94,", "0.5,", 1)), nil); err != nil {
			t.Fatal(err)
		}
		before, _ := s.Status(ctx)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.doc == "" || !strings.Contains(tt.name, "truncated") && !strings.Contains(tt.name, "gz") && strings.Count(tt.doc, "") == 0 {
					t.Fatal("bad fixture")
				}
				_, err := s.ImportReader(ctx, tt.name+".json", strings.NewReader(tt.doc), nil)
				if err == nil {
					t.Fatalf("import accepted a malformed file")
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.name) {
					t.Errorf("error %q does not name the file and %q", err, tt.wantErr)
				}
				after, _ := s.Status(ctx)
				if len(after.Advisories) != len(before.Advisories) || after.KEV != before.KEV || after.EPSS != before.EPSS || len(after.Imports) != len(before.Imports) {
					t.Errorf("DB changed: before %+v after %+v", before, after)
				}
				e, _ := s.EPSS(ctx, []string{"CVE-2017-0144"})
				if e["CVE-2017-0144"].EPSS != 0.5 {
					t.Errorf("EPSS overwritten by a failed import: %v", e)
				}
			})
		}
		// The fixtures differ from the originals only by the defect: the
		// originals import (bulk with two copies too).
		for name, doc := range map[string]string{"csaf": csafDoc, "nvd": nvdDoc, "bulk": bulk, "cve5": cve5Doc, "epss-gz": string(gz(t, []byte(epssDoc)))} {
			if _, err := s.ImportReader(ctx, name, strings.NewReader(doc), nil); err != nil {
				t.Errorf("original %s rejected: %v", name, err)
			}
		}
	})
}

func TestSniff(t *testing.T) {
	tests := map[string]Format{
		`{"document":{"csaf_version":"2.0"}}`:                     FormatCSAF,
		`{"title":"x","catalogVersion":"1","vulnerabilities":[]}`: FormatKEV,
		`{"dataType":"CVE_RECORD","cveMetadata":{}}`:              FormatCVE5,
		`{"resultsPerPage":1,"format":"NVD_CVE"}`:                 FormatNVD,
		`{"id":"CVE-2020-1","sourceIdentifier":"x"}`:              FormatNVD,
		"#model_version:x\ncve,epss,percentile\n":                 FormatEPSS,
		`{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"catalogVersion":{},"vulnerabilities":{}}}`: FormatUnknown,
		"cve,groups,sources\n": FormatUnknown,
		"\ufefficsad_ID,Original_Release_Date,ICS-CERT_Number,Vendor\n1,1/1/2020,ICSA-20-001-01,Acme\n": FormatICSAdv,
	}
	for in, want := range tests {
		if got := Sniff([]byte(in)); got != want {
			t.Errorf("Sniff(%.40q) = %q, want %q", in, got, want)
		}
	}
}
