package fhir

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func defs(t testing.TB) *Definitions {
	t.Helper()
	f, err := os.Open("testdata/r4-device.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := LoadDefinitions(f)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var pump = Info{WardID: "mac:00:09:fb:01:02:03", AssetTag: "BME-00412", MAC: "00:09:fb:01:02:03", IP: "10.1.2.30",
	Manufacturer: "Baxter", Model: "Sigma Spectrum", Serial: "SN12345", Version: "8.01.01", Type: "infusion-pump",
	Location: "ICU-3", Name: "PUMP-ICU3-07", Active: true, LastSeen: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}

func TestDeviceValidates(t *testing.T) {
	d := defs(t)
	for _, in := range []Info{pump, {WardID: "ip:10.0.0.9"}, {MAC: "00:00:00:00:00:01", Active: false}} {
		raw, _ := json.Marshal(NewDevice(in))
		if errs := d.Validate(raw); len(errs) > 0 {
			t.Errorf("%s: %v", raw, errs)
		}
	}
	b, err := TransactionBundle([]Entry{{"k1", NewDevice(pump)}, {"k2", NewDevice(Info{WardID: "x"})}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(b)
	if errs := d.Validate(raw); len(errs) > 0 {
		t.Errorf("transaction bundle: %v", errs)
	}
	c, _ := CollectionBundle([]Device{NewDevice(pump)}, time.Now())
	raw, _ = json.Marshal(c)
	if errs := d.Validate(raw); len(errs) > 0 {
		t.Errorf("collection bundle: %v", errs)
	}
}

// The validator must reject what the R4 Device definition forbids.
func TestValidateRejects(t *testing.T) {
	d := defs(t)
	good, _ := json.Marshal(NewDevice(pump))
	tests := []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"status outside the required value set", func(m map[string]any) { m["status"] = "retired" }, `Device.status: "retired" is not in the required value set`},
		{"status as array", func(m map[string]any) { m["status"] = []any{"active"} }, "Device.status: at most one value allowed"},
		{"version not repeating", func(m map[string]any) { m["version"] = map[string]any{"value": "1"} }, "Device.version: repeating element must be an array"},
		{"version.value required", func(m map[string]any) { m["version"] = []any{map[string]any{}} }, "Device.version[0].value: required element missing"},
		{"unknown element", func(m map[string]any) { m["macAddress"] = "x" }, "Device.macAddress: unknown element"},
		{"deviceName.type binding", func(m map[string]any) {
			m["deviceName"] = []any{map[string]any{"name": "x", "type": "nickname"}}
		}, `Device.deviceName[0].type: "nickname" is not in the required value set`},
		{"identifier value type", func(m map[string]any) { m["identifier"] = []any{map[string]any{"value": 7.0}} }, "Device.identifier[0].value: string expected"},
		{"lastUpdated format", func(m map[string]any) { m["meta"] = map[string]any{"lastUpdated": "yesterday"} }, `Device.meta.lastUpdated: "yesterday" is not a valid instant`},
		{"wrong resource", func(m map[string]any) { m["resourceType"] = "Gadget" }, `unknown resourceType "Gadget"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			_ = json.Unmarshal(good, &m)
			tt.edit(m)
			raw, _ := json.Marshal(m)
			errs := d.Validate(raw)
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tt.want) {
				t.Errorf("errors %q do not contain %q", msgs, tt.want)
			}
		})
	}
}

func TestReadDevicesRoundTrip(t *testing.T) {
	b, _ := CollectionBundle([]Device{NewDevice(pump)}, time.Now())
	raw, _ := json.Marshal(b)
	got, err := ReadDevices(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Device{NewDevice(pump)}, got); diff != "" {
		t.Error(diff)
	}
	if got[0].IdentifierOf("asset") != "BME-00412" || got[0].IdentifierOf("mac") != pump.MAC {
		t.Errorf("identifiers: %+v", got[0].Identifier)
	}
	if _, err := ReadDevices(strings.NewReader(`{"resourceType":"Patient"}`)); err == nil {
		t.Error("a Patient is not a device list")
	}
}

func TestKeyURN(t *testing.T) {
	u := KeyURN("ward-evt-1-fhir")
	if u != KeyURN("ward-evt-1-fhir") || u == KeyURN("ward-evt-2-fhir") || !primitive()["uuid"].MatchString(u) {
		t.Errorf("KeyURN = %s", u)
	}
}

func FuzzReadDevices(f *testing.F) {
	b, _ := CollectionBundle([]Device{NewDevice(pump)}, time.Now())
	raw, _ := json.Marshal(b)
	f.Add(raw)
	f.Add([]byte(`{"resourceType":"Device","identifier":[{"value":"x"}]}`))
	d := defs(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _ = ReadDevices(bytes.NewReader(in))
		_ = d.Validate(in)
	})
}
