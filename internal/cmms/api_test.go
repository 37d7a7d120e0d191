package cmms

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/cmms/reconcile"
	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/inventory"
)

type lister struct{ *memInventory }

func (l lister) Devices(ctx context.Context, f inventory.DeviceFilter) ([]*inventory.Device, int, error) {
	return l.ListDevices(ctx, f)
}

func TestHandler(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) { testHandler(t, d) })
}

func testHandler(t *testing.T, d *db.DB) {
	inv := fixture(3, 1)
	client := doerFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 422, Status: "422 Unprocessable Entity", Body: io.NopCloser(strings.NewReader("no")), Request: r}, nil
	})
	cc := ConnectorConfig{Name: "hook", Type: TypeWebhook, URL: "http://127.0.0.1:1/", Secret: "k"}
	ctx := context.Background()
	ob, err := Open(ctx, d, inv, Options{Config: testOutboxConfig(cc), Connectors: []Connector{NewWebhook(cc, client)}})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, ob) // 422 is permanent: all three dead
	srv := httptest.NewServer(&Handler{Outbox: ob, Devices: lister{inv}})
	defer srv.Close()

	get := func(path string, want int) map[string][]Delivery {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		var out map[string][]Delivery
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	dead := get("/api/v1/cmms/outbox?status=dead", 200)["deliveries"]
	if len(dead) != 3 || !strings.Contains(dead[0].LastError, "422") {
		t.Fatalf("dead = %+v", dead)
	}
	get("/api/v1/cmms/outbox?status=bogus", 400)
	post := func(path, body string, want int) []byte {
		resp, err := http.Post(srv.URL+path, "text/csv", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	post("/api/v1/cmms/outbox/"+itoa(dead[0].ID)+"/retry", "", 202)
	post("/api/v1/cmms/outbox/999/retry", "", 404)
	post("/api/v1/cmms/outbox/x/retry", "", 400)
	if p := get("/api/v1/cmms/outbox?status=pending", 200)["deliveries"]; len(p) != 1 || p[0].ID != dead[0].ID || p[0].Attempts != 0 {
		t.Errorf("pending after retry = %+v", p)
	}

	csv := "Asset Tag,MAC Address,Location\nBME-7,00-09-FB-00-00-01,ICU-4\nBME-8,,\n"
	var rep reconcile.Report
	if err := json.Unmarshal(post("/api/v1/cmms/reconcile?link=true", csv, 200), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Matched != 1 || rep.Matched[0].Device.ID != "dev-001" || rep.Summary.Ghosts != 1 || rep.Summary.Unmanaged != 2 {
		t.Fatalf("report %+v", rep.Summary)
	}
	links, _ := ob.Links(ctx, "")
	if links["BME-7"] != "dev-001" {
		t.Errorf("links %v", links)
	}
	if b := post("/api/v1/cmms/reconcile?format=csv", csv, 200); !strings.HasPrefix(string(b), strings.Join(reconcile.CSVHeader, ",")) {
		t.Errorf("csv report %s", b)
	}
	post("/api/v1/cmms/reconcile", "nothing,here\n1,2\n", 400)

	// The link travels with later deliveries.
	inv.add(inventory.Event{ID: 100, Site: "default", DeviceID: "dev-001", Type: inventory.EventMoved})
	if _, err := ob.Feed(ctx); err != nil {
		t.Fatal(err)
	}
	q, err := ob.heads(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, h := range q {
		if h.EventID == 100 && strings.Contains(h.payload, `"asset_tag":"BME-7"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("asset tag not in the queued payload: %+v", q)
	}
}
