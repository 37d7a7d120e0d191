package cmms

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/cmms/fhir"
	"github.com/wardiomt/ward/internal/inventory"
)

// FHIRInfo converts a record to the FHIR builder's input. A device whose
// latest change is "silent" is inactive.
func FHIRInfo(r Record, ev inventory.EventType) fhir.Info {
	last, _ := time.Parse(time.RFC3339, r["last_seen"])
	return fhir.Info{WardID: r["id"], AssetTag: r["asset_tag"], MAC: r["mac"], IP: r["ip"],
		Manufacturer: r["manufacturer"], Model: r["model"], Serial: r["serial"], Version: r["version"],
		Type: r["type"], Location: r["location"], Name: r["hostname"],
		Active: r["silent"] != "true" && ev != inventory.EventSilent, LastSeen: last}
}

func fhirEntries(batch []Message) []fhir.Entry {
	out := make([]fhir.Entry, 0, len(batch))
	for _, m := range batch {
		out = append(out, fhir.Entry{Key: m.Key, Device: fhir.NewDevice(FHIRInfo(m.Device, m.Event.Type))})
	}
	return out
}

// FHIRServer POSTs a transaction Bundle of Device upserts to a FHIR R4 base
// URL. Each entry's fullUrl is derived from the idempotency key, and the
// conditional update on Ward's identifier makes a replay converge.
type FHIRServer struct {
	name, base string
	batch      int
	client     HTTPDoer
	now        func() time.Time
}

// NewFHIRServer builds the connector; client nil uses http.DefaultClient.
func NewFHIRServer(cc ConnectorConfig, client HTTPDoer) *FHIRServer {
	if client == nil {
		client = http.DefaultClient
	}
	f := &FHIRServer{name: cc.Name, base: strings.TrimRight(cc.URL, "/"), batch: cc.MaxBatch, client: client, now: time.Now}
	if f.batch <= 0 {
		f.batch = 50
	}
	return f
}

// Name returns the connector name.
func (f *FHIRServer) Name() string { return f.name }

// MaxBatch is the entries per transaction.
func (f *FHIRServer) MaxBatch() int { return f.batch }

// Send posts the transaction.
func (f *FHIRServer) Send(ctx context.Context, batch []Message) error {
	b, err := fhir.TransactionBundle(fhirEntries(batch), f.now())
	if err != nil {
		return &PermanentError{err}
	}
	body, err := json.Marshal(b)
	if err != nil {
		return &PermanentError{err}
	}
	hdr := http.Header{}
	hdr.Set("Content-Type", "application/fhir+json")
	hdr.Set("Accept", "application/fhir+json")
	return post(ctx, f.client, f.base+"/", body, hdr)
}

// FHIRFile writes each batch as a transaction Bundle file into a directory
// (for CMMS that pick files up). The file name is a hash of the batch's
// keys and the write is atomic (temp file, sync, rename), so a replay
// rewrites the same file instead of adding one.
type FHIRFile struct {
	name, dir string
	now       func() time.Time
}

// NewFHIRFile builds the connector.
func NewFHIRFile(cc ConnectorConfig) *FHIRFile {
	return &FHIRFile{name: cc.Name, dir: cc.Path, now: time.Now}
}

// Name returns the connector name.
func (f *FHIRFile) Name() string { return f.name }

// MaxBatch is the entries per file.
func (f *FHIRFile) MaxBatch() int { return 100 }

// Send writes the file.
func (f *FHIRFile) Send(_ context.Context, batch []Message) error {
	b, err := fhir.TransactionBundle(fhirEntries(batch), f.now())
	if err != nil {
		return &PermanentError{err}
	}
	body, err := json.MarshalIndent(b, "", " ")
	if err != nil {
		return &PermanentError{err}
	}
	h := sha256.New()
	for _, m := range batch {
		h.Write([]byte(m.Key + "\n"))
	}
	name := fmt.Sprintf("ward-%s-%s.json", f.now().UTC().Format("20060102"), hex.EncodeToString(h.Sum(nil))[:16])
	return writeAtomic(f.dir, name, body)
}

func writeAtomic(dir, name string, body []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(body)
	if err := closeSync(tmp, err); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}

// NewConnectors builds the configured connectors; client nil uses
// http.DefaultClient (callers set timeouts through the outbox config).
func NewConnectors(cfg Config, client HTTPDoer) []Connector {
	out := make([]Connector, 0, len(cfg.Connectors))
	for _, cc := range cfg.Connectors {
		switch cc.Type {
		case TypeWebhook:
			out = append(out, NewWebhook(cc, client))
		case TypeFHIR:
			out = append(out, NewFHIRServer(cc, client))
		case TypeFHIRFile:
			out = append(out, NewFHIRFile(cc))
		case TypeServiceNow:
			out = append(out, NewServiceNow(cc, client))
		case TypeCSV:
			out = append(out, NewCSVFile(cc))
		}
	}
	return out
}
