package cmms

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/cmms/fhir"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/testutil"
)

// The wire contracts receivers code against: the webhook body and the FHIR
// transaction for one software update of an infusion pump.
func TestWireContractsGolden(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	msg := Message{DeliveryID: 7, Key: IdempotencyKey(42, "x"), Site: "default", DeviceID: "d1",
		Event: EventInfo{ID: 42, Type: inventory.EventSoftware, Attribute: "version", Before: "8.00.01", After: "8.01.01", Time: at},
		Device: Record{"id": "d1", "site": "default", "asset_tag": "BME-00412", "mac": "58:46:e1:7a:6a:eb", "ip": "10.0.12.21",
			"manufacturer": "Baxter", "model": "Spectrum IQ", "version": "8.01.01", "serial": "412584", "type": "infusion_pump",
			"hostname": "SPECTRUM-12584", "location": "ICU-3", "last_seen": "2026-03-02T09:00:00Z", "silent": "false"}}

	var body []byte
	hook := NewWebhook(ConnectorConfig{Name: "x", URL: "http://127.0.0.1/", Secret: "k"}, doerFunc(func(r *http.Request) (*http.Response, error) {
		body, _ = io.ReadAll(r.Body)
		if !Verify([]byte("k"), body, r.Header.Get(HeaderSignature)) || r.Header.Get(HeaderIdempotency) != msg.Key {
			t.Errorf("headers %v", r.Header)
		}
		return &http.Response{StatusCode: 200, Body: io.NopCloser(http.NoBody), Request: r}, nil
	}))
	hook.now = func() time.Time { return at }
	if err := hook.Send(context.Background(), []Message{msg}); err != nil {
		t.Fatal(err)
	}
	var wb any
	_ = json.Unmarshal(body, &wb)
	testutil.Golden(t, "webhook-body", wb)

	b, err := fhir.TransactionBundle(fhirEntries([]Message{msg}), at)
	if err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, "fhir-transaction", b)
	f, err := os.Open("fhir/testdata/r4-device.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	defs, err := fhir.LoadDefinitions(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(b)
	if errs := defs.Validate(raw); len(errs) > 0 {
		t.Errorf("R4 validation: %v", errs)
	}
}
