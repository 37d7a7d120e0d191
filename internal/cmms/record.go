package cmms

import (
	"strconv"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
)

// Attributes are the Ward attributes a field mapping may name.
var Attributes = []string{
	"id", "site", "asset_tag", "mac", "macs", "ip", "ips", "hostname", "manufacturer", "model",
	"version", "serial", "type", "criticality", "os", "location", "switch_port", "subnet",
	"first_seen", "last_seen", "silent",
}

func validSource(s string) bool {
	if strings.HasPrefix(s, "const:") {
		return true
	}
	for _, a := range Attributes {
		if a == s {
			return true
		}
	}
	return false
}

// Record is a flat snapshot of a device's attributes, taken when the delivery
// is queued so a retry sends what the event saw.
type Record map[string]string

// NewRecord flattens d; assetTag comes from reconciliation links ("" if none).
func NewRecord(d *inventory.Device, assetTag string) Record {
	r := Record{"id": d.ID, "site": d.Site, "asset_tag": assetTag, "mac": d.MAC,
		"macs": strings.Join(d.MACs, " "), "ip": d.IP(),
		"hostname":     d.Attr(fingerprint.Hostname),
		"manufacturer": d.Attr(fingerprint.Manufacturer), "model": d.Attr(fingerprint.Model),
		"version": d.Attr(fingerprint.Version), "serial": d.Attr(fingerprint.Serial),
		"type": d.Attr(fingerprint.DeviceType), "criticality": d.Criticality(), "os": d.Attr(fingerprint.OS),
		"location": d.Location, "switch_port": d.SwitchPort, "subnet": d.Subnet,
		"first_seen": ts(d.FirstSeen), "last_seen": ts(d.LastSeen), "silent": strconv.FormatBool(d.Silent),
	}
	ips := make([]string, 0, len(d.IPs))
	for _, ip := range d.IPs {
		ips = append(ips, ip.IP)
	}
	r["ips"] = strings.Join(ips, " ")
	for k, v := range r {
		if v == "" {
			delete(r, k)
		}
	}
	return r
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Get returns the value of a mapping source: an attribute or "const:VALUE".
func (r Record) Get(src string) string {
	if c, ok := strings.CutPrefix(src, "const:"); ok {
		return c
	}
	return r[src]
}

// Map applies a field mapping, in mapping order.
func (r Record) Map(fields []Field) []KV {
	out := make([]KV, 0, len(fields))
	for _, f := range fields {
		out = append(out, KV{f.Name, r.Get(f.From)})
	}
	return out
}

// KV is one mapped CMMS field.
type KV struct{ Name, Value string }

// EventInfo is the change that caused a delivery.
type EventInfo struct {
	ID        int64               `json:"id"`
	Type      inventory.EventType `json:"type"`
	Attribute string              `json:"attribute,omitempty"`
	Before    string              `json:"before,omitempty"`
	After     string              `json:"after,omitempty"`
	Time      time.Time           `json:"time"`
}

// Message is one delivery handed to a connector.
type Message struct {
	DeliveryID int64  // outbox row
	Key        string // idempotency key: event id + connector, stable across retries
	Site       string
	DeviceID   string
	Event      EventInfo
	Device     Record
}

// CSVFields is the default mapping of the CSV and ServiceNow connectors: the
// columns CMMS asset imports expect.
var CSVFields = []Field{
	{"Asset Tag", "asset_tag"}, {"Manufacturer", "manufacturer"}, {"Model", "model"},
	{"Serial Number", "serial"}, {"Software Version", "version"}, {"MAC Address", "mac"},
	{"IP Address", "ip"}, {"Location", "location"}, {"Device Type", "type"}, {"Last Seen", "last_seen"},
}

// ServiceNowFields is the default Import Set mapping (u_ columns of a staging table).
var ServiceNowFields = []Field{
	{"u_asset_tag", "asset_tag"}, {"u_manufacturer", "manufacturer"}, {"u_model", "model"},
	{"u_serial_number", "serial"}, {"u_software_version", "version"}, {"u_mac_address", "mac"},
	{"u_ip_address", "ip"}, {"u_location", "location"}, {"u_device_type", "type"},
	{"u_last_seen", "last_seen"}, {"u_ward_id", "id"},
}

// WebhookFields is the default webhook device mapping: every attribute under its own name.
func WebhookFields() []Field {
	out := make([]Field, 0, len(Attributes))
	for _, a := range Attributes {
		out = append(out, Field{a, a})
	}
	return out
}
