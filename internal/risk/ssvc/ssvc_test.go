package ssvc

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/testutil"
)

// TestOfficialDeployerTable replays every row of the official CSV (a
// different file from the JSON Ward embeds) through Decide.
func TestOfficialTablesRowByRow(t *testing.T) {
	dir := testutil.SharedData(t, "feeds/ssvc/csv/ssvc")
	cases := []struct {
		csv   string
		table func() (*Table, error)
		rows  int
	}{
		{"deployer_patch_application_priority_1_0_0.csv", Deployer, 72},
		{"human_impact_1_0_0.csv", HumanImpact, 16},
	}
	for _, c := range cases {
		t.Run(c.csv, func(t *testing.T) {
			tab, err := c.table()
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(filepath.Join(dir, c.csv))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			recs, err := csv.NewReader(f).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			header := recs[0]
			// Map CSV column names (decision point names, maybe with version) to keys by name.
			byName := map[string]DecisionPoint{}
			for _, dp := range tab.DecisionPoints {
				byName[strings.ToLower(dp.Name)] = dp
			}
			rows := 0
			for _, rec := range recs[1:] {
				in := map[string]string{}
				var wantOut string
				for i, col := range header {
					name := strings.ToLower(strings.TrimSpace(col))
					if j := strings.Index(name, " v"); j > 0 {
						name = name[:j]
					}
					if i == 0 && (name == "row" || name == "") {
						continue
					}
					dp, ok := byName[name]
					if !ok {
						t.Fatalf("CSV column %q names no decision point of the table", col)
					}
					key := ""
					for _, v := range dp.Values {
						if strings.EqualFold(v.Name, strings.TrimSpace(rec[i])) || strings.EqualFold(v.Key, strings.TrimSpace(rec[i])) {
							key = v.Key
						}
					}
					if key == "" {
						t.Fatalf("row %v: value %q is not one of %s", rec, rec[i], dp.Name)
					}
					if dp.ID() == tab.Outcome {
						wantOut = key
					} else {
						in[dp.Key] = key
					}
				}
				got, err := tab.Decide(in)
				if err != nil {
					t.Fatal(err)
				}
				if got.Key != wantOut {
					t.Errorf("row %v: got %s, want %s", rec, got.Key, wantOut)
				}
				rows++
			}
			if rows != c.rows {
				t.Fatalf("checked %d rows, want %d", rows, c.rows)
			}
			t.Logf("%s: all %d official rows reproduced", c.csv, rows)
		})
	}
}

func TestDecideAndVector(t *testing.T) {
	tab, err := Deployer()
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]string{"E": "A", "EXP": "O", "A": "Y", "HI": "VH"}
	out, err := tab.Decide(in)
	if err != nil || out.Name != "Immediate" {
		t.Fatalf("Decide = %v, %v; want Immediate", out, err)
	}
	v := tab.Vector(in, out, time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC))
	if v != "SSVCv2/E:A/EXP:O/A:Y/HI:VH/DSOI:I/2026-11-28T00:00:00Z/" {
		t.Errorf("vector = %q", v)
	}
	if _, err := tab.Decide(map[string]string{"E": "A"}); err == nil {
		t.Error("incomplete inputs accepted")
	}
	if _, err := tab.Decide(map[string]string{"E": "X", "EXP": "O", "A": "Y", "HI": "VH"}); err == nil {
		t.Error("unknown value accepted")
	}
}

func TestParseRejects(t *testing.T) {
	for name, js := range map[string]string{
		"not json":      `{`,
		"no outcome":    `{"key":"X","decision_points":{},"outcome":"a:B:1","mapping":[]}`,
		"incomplete":    `{"key":"X","decision_points":{"a:I:1":{"namespace":"a","key":"I","version":"1","values":[{"key":"Y"},{"key":"N"}]},"a:O:1":{"namespace":"a","key":"O","version":"1","values":[{"key":"Z"}]}},"outcome":"a:O:1","mapping":[{"a:I:1":"Y","a:O:1":"Z"}]}`,
		"unknown value": `{"key":"X","decision_points":{"a:I:1":{"namespace":"a","key":"I","version":"1","values":[{"key":"Y"}]},"a:O:1":{"namespace":"a","key":"O","version":"1","values":[{"key":"Z"}]}},"outcome":"a:O:1","mapping":[{"a:I:1":"Q","a:O:1":"Z"}]}`,
	} {
		if _, err := Parse([]byte(js)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	b, _ := tables.ReadFile("tables/human_impact_1_0_0.json")
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		tab, err := Parse(b)
		if err == nil {
			for _, dp := range tab.Inputs() {
				_ = dp.ID()
			}
		}
	})
}
