// Package fhir builds and reads FHIR R4 Device resources and Bundles for the
// CMMS connectors and reconciliation, and validates resources against a FHIR
// type definition (see Definitions).
package fhir

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Identifier systems Ward uses when the config names none.
const (
	SystemWardID   = "urn:ward:device"
	SystemMAC      = "urn:ward:mac"
	SystemAssetTag = "urn:ward:asset-tag"
	SystemLocation = "urn:ward:location"
	SystemType     = "urn:ward:device-type"
)

// Identifier type texts, also how Device identifiers are recognised on import.
const (
	TypeMAC      = "MAC address"
	TypeAssetTag = "Asset tag"
)

// Info is what Ward knows of a device, in CMMS terms.
type Info struct {
	WardID, AssetTag, MAC, IP     string
	Manufacturer, Model, Serial   string
	Version, Type, Location, Name string
	Active                        bool
	LastSeen                      time.Time
}

// Coding is a FHIR Coding.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is a FHIR CodeableConcept.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Identifier is a FHIR Identifier.
type Identifier struct {
	Type   *CodeableConcept `json:"type,omitempty"`
	System string           `json:"system,omitempty"`
	Value  string           `json:"value,omitempty"`
}

// Reference is a FHIR Reference.
type Reference struct {
	Reference  string      `json:"reference,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

// DeviceName is Device.deviceName.
type DeviceName struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// DeviceVersion is Device.version.
type DeviceVersion struct {
	Type  *CodeableConcept `json:"type,omitempty"`
	Value string           `json:"value"`
}

// Meta is Resource.meta.
type Meta struct {
	LastUpdated string `json:"lastUpdated,omitempty"`
}

// Device is the subset of the R4 Device resource Ward writes and reads.
type Device struct {
	ResourceType string           `json:"resourceType"`
	ID           string           `json:"id,omitempty"`
	Meta         *Meta            `json:"meta,omitempty"`
	Identifier   []Identifier     `json:"identifier,omitempty"`
	Status       string           `json:"status,omitempty"`
	Manufacturer string           `json:"manufacturer,omitempty"`
	SerialNumber string           `json:"serialNumber,omitempty"`
	DeviceName   []DeviceName     `json:"deviceName,omitempty"`
	ModelNumber  string           `json:"modelNumber,omitempty"`
	Type         *CodeableConcept `json:"type,omitempty"`
	Version      []DeviceVersion  `json:"version,omitempty"`
	Location     *Reference       `json:"location,omitempty"`
}

// BundleRequest is Bundle.entry.request.
type BundleRequest struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

// BundleEntry is one Bundle entry.
type BundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
	Request  *BundleRequest  `json:"request,omitempty"`
}

// Bundle is a FHIR Bundle.
type Bundle struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Timestamp    string        `json:"timestamp,omitempty"`
	Entry        []BundleEntry `json:"entry,omitempty"`
}

// NewDevice builds the Device resource of a device. Status is active, or
// inactive for a device gone silent.
func NewDevice(in Info) Device {
	d := Device{ResourceType: "Device", Status: "active", Manufacturer: in.Manufacturer,
		SerialNumber: in.Serial, ModelNumber: in.Model}
	if !in.Active {
		d.Status = "inactive"
	}
	if in.WardID != "" {
		d.Identifier = append(d.Identifier, Identifier{System: SystemWardID, Value: in.WardID})
	}
	if in.AssetTag != "" {
		d.Identifier = append(d.Identifier, Identifier{Type: &CodeableConcept{Text: TypeAssetTag}, System: SystemAssetTag, Value: in.AssetTag})
	}
	if in.MAC != "" {
		d.Identifier = append(d.Identifier, Identifier{Type: &CodeableConcept{Text: TypeMAC}, System: SystemMAC, Value: in.MAC})
	}
	if in.Name != "" {
		d.DeviceName = []DeviceName{{Name: in.Name, Type: "user-friendly-name"}}
	}
	if in.Type != "" {
		d.Type = &CodeableConcept{Coding: []Coding{{System: SystemType, Code: in.Type}}, Text: in.Type}
	}
	if in.Version != "" {
		d.Version = []DeviceVersion{{Value: in.Version}}
	}
	if in.Location != "" {
		d.Location = &Reference{Identifier: &Identifier{System: SystemLocation, Value: in.Location}, Display: in.Location}
	}
	if !in.LastSeen.IsZero() {
		d.Meta = &Meta{LastUpdated: in.LastSeen.UTC().Format(time.RFC3339)}
	}
	return d
}

// Entry is one device of a transaction, with the idempotency key that names
// its entry (fullUrl is a UUID derived from the key, stable across retries).
type Entry struct {
	Key    string
	Device Device
}

// TransactionBundle builds a transaction that upserts each device by its
// Ward identifier (conditional update), so replays converge.
func TransactionBundle(entries []Entry, now time.Time) (Bundle, error) {
	b := Bundle{ResourceType: "Bundle", Type: "transaction", Timestamp: now.UTC().Format(time.RFC3339)}
	for _, e := range entries {
		raw, err := json.Marshal(e.Device)
		if err != nil {
			return b, err
		}
		url := "Device"
		method := "POST"
		for _, id := range e.Device.Identifier {
			if id.System == SystemWardID {
				url, method = "Device?identifier="+id.System+"|"+id.Value, "PUT"
			}
		}
		b.Entry = append(b.Entry, BundleEntry{FullURL: KeyURN(e.Key), Resource: raw, Request: &BundleRequest{Method: method, URL: url}})
	}
	return b, nil
}

// CollectionBundle is the file export: a collection of Devices.
func CollectionBundle(devs []Device, now time.Time) (Bundle, error) {
	b := Bundle{ResourceType: "Bundle", Type: "collection", Timestamp: now.UTC().Format(time.RFC3339)}
	for _, d := range devs {
		raw, err := json.Marshal(d)
		if err != nil {
			return b, err
		}
		fu := ""
		for _, id := range d.Identifier {
			if id.System == SystemWardID {
				fu = KeyURN(id.Value)
			}
		}
		b.Entry = append(b.Entry, BundleEntry{FullURL: fu, Resource: raw})
	}
	return b, nil
}

// KeyURN maps a key to a urn:uuid (name-based, SHA-256 truncated, RFC 9562 v8 layout).
func KeyURN(key string) string {
	h := sha256.Sum256([]byte(key))
	h[6] = h[6]&0x0f | 0x80
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return "urn:uuid:" + x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// ReadDevices reads the Device resources of a Bundle (any type) or a single
// Device; other resources are skipped.
func ReadDevices(r io.Reader) ([]Device, error) {
	raw, err := io.ReadAll(io.LimitReader(r, 256<<20))
	if err != nil {
		return nil, err
	}
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("fhir: %w", err)
	}
	switch head.ResourceType {
	case "Device":
		var d Device
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("fhir Device: %w", err)
		}
		return []Device{d}, nil
	case "Bundle":
	default:
		return nil, fmt.Errorf("fhir: resourceType %q, want Bundle or Device", head.ResourceType)
	}
	var b Bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("fhir Bundle: %w", err)
	}
	var out []Device
	for i, e := range b.Entry {
		if len(e.Resource) == 0 {
			continue
		}
		if err := json.Unmarshal(e.Resource, &head); err != nil {
			return nil, fmt.Errorf("fhir Bundle.entry[%d]: %w", i, err)
		}
		if head.ResourceType != "Device" {
			continue
		}
		var d Device
		if err := json.Unmarshal(e.Resource, &d); err != nil {
			return nil, fmt.Errorf("fhir Bundle.entry[%d]: %w", i, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// IdentifierOf returns the first identifier whose type text or system
// mentions what (case-insensitive), "" if none.
func (d *Device) IdentifierOf(what string) string {
	what = strings.ToLower(what)
	for _, id := range d.Identifier {
		t := ""
		if id.Type != nil {
			t = id.Type.Text
			for _, c := range id.Type.Coding {
				t += " " + c.Code + " " + c.Display
			}
		}
		if strings.Contains(strings.ToLower(t+" "+id.System), what) {
			return id.Value
		}
	}
	return ""
}
