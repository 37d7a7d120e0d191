package feeds

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/testutil"
)

// mirror serves the shared files the way the official endpoints do.
func mirror(t *testing.T, root string) (*httptest.Server, *[]string, *sync.Mutex) {
	t.Helper()
	var nvdRecords []json.RawMessage
	files, _ := filepath.Glob(filepath.Join(root, "nvd", "nvd-json-2.0", "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		nvdRecords = append(nvdRecords, b)
	}
	var (
		mu   sync.Mutex
		seen []string
	)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /rest/json/cves/2.0", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, "nvd apiKey="+r.Header.Get("apiKey")+" "+r.URL.RawQuery)
		mu.Unlock()
		start, _ := strconv.Atoi(r.URL.Query().Get("startIndex"))
		per, _ := strconv.Atoi(r.URL.Query().Get("resultsPerPage"))
		end := min(start+per, len(nvdRecords))
		var buf bytes.Buffer
		fmt.Fprintf(&buf, `{"resultsPerPage":%d,"startIndex":%d,"totalResults":%d,"format":"NVD_CVE","version":"2.0","timestamp":"2026-11-28T00:00:00.000","vulnerabilities":[`, end-start, start, len(nvdRecords))
		for i := start; i < end; i++ {
			if i > start {
				buf.WriteByte(',')
			}
			buf.WriteString(`{"cve":`)
			buf.Write(nvdRecords[i])
			buf.WriteByte('}')
		}
		buf.WriteString("]}")
		w.Write(buf.Bytes())
	})
	mux.HandleFunc("GET /kev.json", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(root, "kev", "known_exploited_vulnerabilities.json"))
	})
	mux.HandleFunc("GET /ics.csv", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(root, "ics-advisory-project", "CISA_ICS_ADV_Master.csv"))
	})
	mux.HandleFunc("GET /epss.csv.gz", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(root, "epss", "epss_scores-2026-08-16.csv.gz"))
	})
	mux.HandleFunc("GET /.well-known/csaf/provider-metadata.json", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"canonical_url":"/.well-known/csaf/provider-metadata.json","distributions":[{"rolie":{"feeds":[{"summary":"public","tlp_label":"WHITE","url":"/csaf/white/feed.json"},{"summary":"private","tlp_label":"AMBER","url":"/csaf/amber/feed.json"}]}}]}`)
	})
	mux.HandleFunc("GET /csaf/white/feed.json", func(w http.ResponseWriter, r *http.Request) {
		docs, _ := filepath.Glob(filepath.Join(root, "csaf-icsma", "icsma-2[34]-*.json"))
		var entries []string
		for _, d := range docs {
			entries = append(entries, fmt.Sprintf(`{"id":%q,"content":{"type":"application/json","src":"docs/%s"}}`, filepath.Base(d), filepath.Base(d)))
		}
		entries = append(entries, `{"id":"x","content":{"src":"docs/not-medical.json"}}`)
		fmt.Fprintf(w, `{"feed":{"id":"white","entry":[%s]}}`, joinComma(entries))
	})
	mux.HandleFunc("GET /csaf/white/docs/{name}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(root, "csaf-icsma", filepath.Base(r.PathValue("name"))))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux}}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &seen, &mu
}

func joinComma(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(x)
	}
	return b.String()
}

func TestUpdateFromMirror(t *testing.T) {
	root := testutil.SharedData(t, "feeds")
	srv, seen, mu := mirror(t, root)
	ctx := context.Background()
	s, err := NewStore(ctx, dbtest.SQLite(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var slept []time.Duration
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	cfg := UpdateConfig{
		Sources:       []string{"kev", "epss", "csaf", "icsadv", "nvd"},
		NVDBase:       srv.URL + "/rest/json/cves/2.0",
		ICSAdvURL:     srv.URL + "/ics.csv",
		NVDAPIKey:     "secret-key",
		NVDPageSize:   40,
		KEVURL:        srv.URL + "/kev.json",
		EPSSURL:       srv.URL + "/epss.csv.gz",
		CSAFProviders: []string{srv.URL + "/.well-known/csaf/provider-metadata.json"},
		CSAFMatch:     `icsma-`,
		Now:           func() time.Time { return now },
		Sleep:         func(_ context.Context, d time.Duration) error { slept = append(slept, d); now = now.Add(d); return nil },
	}
	sums, err := Update(ctx, s, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	docs, _ := filepath.Glob(filepath.Join(root, "csaf-icsma", "icsma-2[34]-*.json"))
	if st.Advisories["nvd"] != 96 || st.KEV != 1662 || st.EPSS < 360000 || st.Advisories["csaf"] != len(docs) || st.Advisories["icsadv"] < 3900 {
		t.Errorf("after update: advisories %v, KEV %d, EPSS %d; want 96 NVD, 1662 KEV, %d CSAF, the advisory index (%d files)", st.Advisories, st.KEV, st.EPSS, len(docs), len(sums))
	}
	mu.Lock()
	defer mu.Unlock()
	nvdCalls := 0
	for _, q := range *seen {
		if len(q) > 3 && q[:3] == "nvd" {
			nvdCalls++
			if !bytes.Contains([]byte(q), []byte("apiKey=secret-key")) {
				t.Errorf("NVD request without apiKey header: %s", q)
			}
		}
	}
	if nvdCalls != 3 { // 96 records at 40 per page
		t.Errorf("NVD pages fetched = %d, want 3", nvdCalls)
	}
	if len(slept) != 2 || slept[0] != 600*time.Millisecond {
		t.Errorf("rate limit waits = %v, want two waits of 600ms", slept)
	}
	// The second run asks only for records modified since the first.
	*seen = nil
	mu.Unlock()
	cfg.Sources = []string{"nvd"}
	if _, err := Update(ctx, s, cfg, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(*seen) == 0 || !bytes.Contains([]byte((*seen)[0]), []byte("lastModStartDate=2026-11-28")) {
		t.Errorf("incremental NVD query = %v", *seen)
	}
}
