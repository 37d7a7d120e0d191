package cmms

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/cmms/fhir"
	"github.com/wardiomt/ward/internal/db/dbtest"
)

// keyIndex maps idempotency keys back to (device, event) for receivers
// whose payloads carry the key only indirectly (FHIR fullUrl).
func keyIndex(inv *memInventory, conn string) map[string]change {
	out := map[string]change{}
	for _, e := range inv.evs {
		k := IdempotencyKey(e.ID, conn)
		out[fhir.KeyURN(k)] = change{k, e.DeviceID, e.ID}
	}
	return out
}

func TestFHIRServerDelivery(t *testing.T) {
	f, err := os.Open("fhir/testdata/r4-device.json")
	if err != nil {
		t.Fatal(err)
	}
	defs, err := fhir.LoadDefinitions(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	inv := fixture(8, 4)
	idx := keyIndex(inv, "fhir")
	rcv := newReceiver()
	rcv.fail, rcv.slow, rcv.drop, rcv.delay = 2, 5, 7, 300*time.Millisecond
	srv := rcv.serve(t, func(req *http.Request) ([]change, error) {
		if req.URL.Path != "/fhir/" || req.Header.Get("Content-Type") != "application/fhir+json" {
			return nil, fmt.Errorf("POST %s %s", req.URL.Path, req.Header.Get("Content-Type"))
		}
		body, _ := io.ReadAll(req.Body)
		if errs := defs.Validate(body); len(errs) > 0 {
			return nil, fmt.Errorf("bundle invalid: %v", errs)
		}
		var b fhir.Bundle
		if err := json.Unmarshal(body, &b); err != nil || b.Type != "transaction" {
			return nil, fmt.Errorf("bundle: %v %q", err, b.Type)
		}
		var out []change
		for _, e := range b.Entry {
			c, ok := idx[e.FullURL]
			if !ok {
				return nil, fmt.Errorf("unknown fullUrl %s", e.FullURL)
			}
			var d fhir.Device
			_ = json.Unmarshal(e.Resource, &d)
			if e.Request.Method != "PUT" || e.Request.URL != "Device?identifier="+fhir.SystemWardID+"|"+c.device || d.IdentifierOf("mac") == "" {
				return nil, fmt.Errorf("entry %+v %s", e.Request, e.Resource)
			}
			out = append(out, c)
		}
		return out, nil
	})
	cc := ConnectorConfig{Name: "fhir", Type: TypeFHIR, URL: srv.URL + "/fhir", MaxBatch: 3}
	ob, err := Open(context.Background(), dbtest.SQLite(t), inv, Options{Config: testOutboxConfig(cc), Connectors: []Connector{NewFHIRServer(cc, srv.Client())}})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, ob)
	rcv.check(t, wantKeys(inv, "fhir", DefaultEvents))
}

func TestServiceNowDelivery(t *testing.T) {
	for _, auth := range []string{"basic", "bearer"} {
		t.Run(auth, func(t *testing.T) {
			t.Setenv("SN_PASSWORD", "pw")
			t.Setenv("SN_TOKEN", "tok")
			inv := fixture(5, 4)
			rcv := newReceiver()
			rcv.fail, rcv.slow, rcv.delay = 3, 4, 300*time.Millisecond
			var setsMu sync.Mutex // a slow answer overlaps the next request
			var sets []string     // import sets issued, in order
			runAfter := 0
			rcv.answer = func() any {
				setsMu.Lock()
				defer setsMu.Unlock()
				sets = append(sets, fmt.Sprintf("ISET%04d", len(sets)+1))
				return map[string]string{"import_set_id": sets[len(sets)-1], "multi_import_set_id": "M1"}
			}
			srv := rcv.serve(t, func(req *http.Request) ([]change, error) {
				setsMu.Lock()
				issued := slices.Clone(sets)
				setsMu.Unlock()
				if ra := req.URL.Query().Get("run_after"); ra != "" {
					if !slices.Contains(issued, ra) {
						return nil, fmt.Errorf("run_after %q was never issued (%v)", ra, issued)
					}
					setsMu.Lock()
					runAfter++
					setsMu.Unlock()
				}
				if req.URL.Path != "/api/now/import/u_ward_devices/insertMultiple" {
					return nil, fmt.Errorf("path %s", req.URL.Path)
				}
				u, p, ok := req.BasicAuth()
				switch {
				case auth == "basic" && (!ok || u != "ward" || p != "pw"):
					return nil, fmt.Errorf("basic auth %q %q", u, p)
				case auth == "bearer" && req.Header.Get("Authorization") != "Bearer tok":
					return nil, fmt.Errorf("auth %q", req.Header.Get("Authorization"))
				}
				var body struct {
					Records []map[string]string `json:"records"`
				}
				if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
					return nil, err
				}
				var out []change
				for _, r := range body.Records {
					k := r["u_ward_idempotency_key"]
					// ward-evt-<id>-<connector>
					id, _ := strconv.ParseInt(strings.Split(k, "-")[2], 10, 64)
					if r["u_mac_address"] == "" || r["u_ward_id"] == "" || r["u_location"] != "ICU-3" {
						return nil, fmt.Errorf("record %v", r)
					}
					out = append(out, change{k, r["u_ward_id"], id})
				}
				return out, nil
			})
			cc := ConnectorConfig{Name: "sn", Type: TypeServiceNow, URL: srv.URL, Table: "u_ward_devices", MaxBatch: 4}
			if auth == "basic" {
				cc.Username, cc.PasswordEnv = "ward", "SN_PASSWORD"
			} else {
				cc.TokenEnv = "SN_TOKEN"
			}
			if err := cc.Validate(); err != nil {
				t.Fatal(err)
			}
			ob, err := Open(context.Background(), dbtest.SQLite(t), inv, Options{Config: testOutboxConfig(cc), Connectors: []Connector{NewServiceNow(cc, srv.Client())}})
			if err != nil {
				t.Fatal(err)
			}
			drain(t, ob)
			rcv.check(t, wantKeys(inv, "sn", DefaultEvents))
			setsMu.Lock()
			defer setsMu.Unlock()
			if runAfter == 0 || runAfter < len(sets)-3 {
				t.Errorf("only %d of %d requests chained with run_after", runAfter, len(sets))
			}
		})
	}
}

func TestFileConnectors(t *testing.T) {
	dir := t.TempDir()
	inv := fixture(3, 3)
	csvc := ConnectorConfig{Name: "csv", Type: TypeCSV, Path: filepath.Join(dir, "cmms.csv"), Events: []string{"new", "moved", "software_update", "configuration_change", "silent", "returned"}}
	fc := ConnectorConfig{Name: "ff", Type: TypeFHIRFile, Path: filepath.Join(dir, "fhir")}
	cfg := testOutboxConfig(csvc, fc)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ob, err := Open(context.Background(), dbtest.SQLite(t), inv, Options{Config: cfg, Connectors: NewConnectors(cfg, nil)})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, ob)
	f, err := os.Open(csvc.Path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	wantHdr := "Asset Tag,Manufacturer,Model,Serial Number,Software Version,MAC Address,IP Address,Location,Device Type,Last Seen,Event,Event Time,Idempotency Key"
	if strings.Join(rows[0], ",") != wantHdr {
		t.Errorf("header %v", rows[0])
	}
	if len(rows)-1 != len(inv.evs) {
		t.Errorf("csv rows = %d, want %d", len(rows)-1, len(inv.evs))
	}
	for _, r := range rows[1:] {
		if r[5] == "" || r[6] == "" || r[7] != "ICU-3" || r[12] == "" {
			t.Errorf("row %v", r)
		}
	}
	files, _ := filepath.Glob(filepath.Join(fc.Path, "*.json"))
	n := 0
	for _, p := range files {
		raw, _ := os.ReadFile(p)
		var b fhir.Bundle
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatal(err)
		}
		n += len(b.Entry)
	}
	if n != len(wantKeys(inv, "ff", DefaultEvents)) {
		t.Errorf("fhir file entries = %d, want %d", n, len(wantKeys(inv, "ff", DefaultEvents)))
	}
}

func TestLoadConfig(t *testing.T) {
	in := `
locations:
  - subnet: 10.1.2.0/24
    name: ICU-3
cmms:
  outbox:
    max_attempts: 5
    backoff: 1s
  connectors:
    - name: hook
      type: webhook
      url: https://cmms.example/hooks/ward
      secret_env: WARD_HOOK_SECRET
      sites: [north]
      fields:
        - {name: assetTag, from: asset_tag}
        - {name: source, from: "const:ward"}
`
	cfg, err := LoadConfig(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Outbox.MaxAttempts != 5 || cfg.Outbox.Backoff != time.Second || cfg.Outbox.MaxBackoff != time.Hour || len(cfg.Connectors) != 1 {
		t.Errorf("cfg = %+v", cfg)
	}
	cc := cfg.Connectors[0]
	if cc.wants("default", "new") || !cc.wants("north", "moved") || cc.wants("north", "returned") {
		t.Error("site/event filter")
	}
	rec := Record{"asset_tag": "A1"}
	if got := rec.Map(cc.Fields); got[0] != (KV{"assetTag", "A1"}) || got[1] != (KV{"source", "ward"}) {
		t.Errorf("mapping %v", got)
	}
	for _, bad := range []string{
		"cmms:\n  connectors:\n    - {name: a, type: carrier-pigeon}\n",
		"cmms:\n  connectors:\n    - {name: a, type: webhook, url: http://x}\n",
		"cmms:\n  connectors:\n    - {name: a, type: csv, path: x, fields: [{name: A, from: colour}]}\n",
		"cmms:\n  connectors:\n    - {name: a, type: csv, path: x, events: [exploded]}\n",
		"cmms:\n  connectors:\n    - {name: a, type: csv, path: x, colour: red}\n",
		"cmms:\n  connectors:\n    - {name: a, type: csv, path: x}\n    - {name: a, type: csv, path: y}\n",
		"cmms:\n  connectors:\n    - {name: a, type: servicenow, url: http://x, table: t}\n",
	} {
		if _, err := LoadConfig(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
