// Package reconcile compares a CMMS asset list with the devices Ward sees on
// the network: matched assets (with fields that disagree and a suggested
// update), unmanaged devices (on the network, not in the CMMS) and ghost
// assets (in the CMMS, never seen). Every decision carries its reason.
package reconcile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/wardiomt/ward/internal/cmms/fhir"
)

// Asset is one CMMS record.
type Asset struct {
	Row          int    `json:"row"` // 1-based data row, or Bundle entry index
	AssetTag     string `json:"asset_tag,omitempty"`
	Serial       string `json:"serial,omitempty"`
	MAC          string `json:"mac,omitempty"` // normalised aa:bb:cc:dd:ee:ff when it parsed
	IP           string `json:"ip,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Model        string `json:"model,omitempty"`
	Version      string `json:"software_version,omitempty"`
	Location     string `json:"location,omitempty"`
	Type         string `json:"device_type,omitempty"`
}

// Fields an asset list may carry.
const (
	FieldAssetTag     = "asset_tag"
	FieldSerial       = "serial"
	FieldMAC          = "mac"
	FieldIP           = "ip"
	FieldManufacturer = "manufacturer"
	FieldModel        = "model"
	FieldVersion      = "version"
	FieldLocation     = "location"
	FieldType         = "type"
)

// headings are the normalised column headings recognised without a mapping.
var headings = map[string]string{
	"assettag": FieldAssetTag, "asset": FieldAssetTag, "assetno": FieldAssetTag, "assetnumber": FieldAssetTag,
	"assetid": FieldAssetTag, "tag": FieldAssetTag, "tagnumber": FieldAssetTag, "equipmentno": FieldAssetTag,
	"equipmentnumber": FieldAssetTag, "equipmentid": FieldAssetTag, "controlnumber": FieldAssetTag, "cmmsid": FieldAssetTag,
	"serialnumber": FieldSerial, "serialno": FieldSerial, "serial": FieldSerial, "sn": FieldSerial, "snumber": FieldSerial,
	"macaddress": FieldMAC, "mac": FieldMAC, "macaddr": FieldMAC, "hardwareaddress": FieldMAC, "ethernetaddress": FieldMAC,
	"ipaddress": FieldIP, "ip": FieldIP, "ipaddr": FieldIP, "ipv4": FieldIP, "ipv4address": FieldIP,
	"manufacturer": FieldManufacturer, "mfr": FieldManufacturer, "make": FieldManufacturer, "vendor": FieldManufacturer, "mfg": FieldManufacturer, "brand": FieldManufacturer,
	"model": FieldModel, "modelnumber": FieldModel, "modelno": FieldModel, "modelname": FieldModel,
	"softwareversion": FieldVersion, "firmwareversion": FieldVersion, "firmware": FieldVersion, "swversion": FieldVersion,
	"software": FieldVersion, "version": FieldVersion, "fwversion": FieldVersion, "softwarerevision": FieldVersion,
	"location": FieldLocation, "department": FieldLocation, "room": FieldLocation, "site": FieldLocation, "unit": FieldLocation,
	"devicetype": FieldType, "type": FieldType, "equipmenttype": FieldType, "category": FieldType, "class": FieldType, "devicecategory": FieldType,
}

// alnum lowercases s and keeps letters and digits only: headings, serials,
// asset tags and models compare in this form.
func alnum(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Mapping overrides heading recognition: Ward field (FieldSerial, ...) ->
// the heading used in the file (compared case- and punctuation-insensitively).
type Mapping map[string]string

// ReadCSV reads a CMMS export. The delimiter (comma, semicolon, tab) is
// sniffed from the header line. Rows whose MAC does not parse keep the raw
// text in MAC and get a warning.
func ReadCSV(r io.Reader, m Mapping) ([]Asset, []string, error) {
	raw, err := io.ReadAll(io.LimitReader(r, 256<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("reconcile csv: %w", err)
	}
	raw = bytes.TrimPrefix(raw, []byte("\ufeff"))
	first, _, _ := bytes.Cut(raw, []byte("\n"))
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.Comma = sniff(first)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	hdr, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("reconcile csv: header: %w", err)
	}
	col := map[string]int{}
	over := map[string]string{}
	for f, h := range m {
		over[alnum(h)] = f
	}
	for i, h := range hdr {
		k := alnum(h)
		f, ok := over[k]
		if !ok && len(m) > 0 {
			if _, mapped := m[headings[k]]; mapped {
				continue // the mapping names another column for this field
			}
		}
		if !ok {
			f, ok = headings[k]
		}
		if _, dup := col[f]; ok && !dup {
			col[f] = i
		}
	}
	for f, h := range m {
		if _, ok := col[f]; !ok {
			return nil, nil, fmt.Errorf("reconcile csv: mapped column %q for %s not in the header", h, f)
		}
	}
	if len(col) == 0 {
		return nil, nil, fmt.Errorf("reconcile csv: no recognised column in header %q", hdr)
	}
	var out []Asset
	var warns []string
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reconcile csv: row %d: %w", row, err)
		}
		get := func(f string) string {
			if i, ok := col[f]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		a := Asset{Row: row, AssetTag: get(FieldAssetTag), Serial: get(FieldSerial), IP: get(FieldIP),
			Manufacturer: get(FieldManufacturer), Model: get(FieldModel), Version: get(FieldVersion),
			Location: get(FieldLocation), Type: get(FieldType)}
		if raw := get(FieldMAC); raw != "" {
			if mac, ok := NormalizeMAC(raw); ok {
				a.MAC = mac
			} else {
				a.MAC = raw
				warns = append(warns, fmt.Sprintf("row %d: MAC %q does not parse", row, raw))
			}
		}
		if a == (Asset{Row: row}) {
			continue // blank line
		}
		out = append(out, a)
	}
	return out, warns, nil
}

func sniff(line []byte) rune {
	best, n := ',', bytes.Count(line, []byte(","))
	for _, c := range []rune{';', '\t', '|'} {
		if k := bytes.Count(line, []byte(string(c))); k > n {
			best, n = c, k
		}
	}
	return best
}

// NormalizeMAC accepts the usual spellings (aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF,
// aabb.ccdd.eeff, aabbccddeeff, with or without padding like 0:9:fb:1:2:3) and
// returns lower-case colon form.
func NormalizeMAC(s string) (string, bool) {
	s = strings.TrimSpace(s)
	var hex []byte
	switch {
	case strings.ContainsAny(s, ":-") && !strings.Contains(s, "."):
		parts := strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == '-' })
		if len(parts) != 6 {
			return "", false
		}
		for _, p := range parts {
			if len(p) == 1 {
				p = "0" + p
			}
			if len(p) != 2 {
				return "", false
			}
			hex = append(hex, p...)
		}
	case strings.Contains(s, "."):
		parts := strings.Split(s, ".")
		if len(parts) != 3 {
			return "", false
		}
		for _, p := range parts {
			if len(p) != 4 {
				return "", false
			}
			hex = append(hex, p...)
		}
	default:
		hex = []byte(strings.ReplaceAll(s, " ", ""))
	}
	if len(hex) != 12 {
		return "", false
	}
	var b strings.Builder
	for i, c := range bytes.ToLower(hex) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
		if i > 0 && i%2 == 0 {
			b.WriteByte(':')
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

// ReadFHIR reads the Devices of a FHIR Bundle as assets: the asset tag and MAC
// come from identifiers typed or namespaced "asset"/"mac", the location from
// the location reference's display or identifier.
func ReadFHIR(r io.Reader) ([]Asset, error) {
	devs, err := fhir.ReadDevices(r)
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	out := make([]Asset, 0, len(devs))
	for i, d := range devs {
		a := Asset{Row: i + 1, AssetTag: d.IdentifierOf("asset"), Serial: d.SerialNumber,
			Manufacturer: d.Manufacturer, Model: d.ModelNumber}
		if mac, ok := NormalizeMAC(d.IdentifierOf("mac")); ok {
			a.MAC = mac
		}
		if len(d.Version) > 0 {
			a.Version = d.Version[0].Value
		}
		if d.Location != nil {
			a.Location = d.Location.Display
			if a.Location == "" && d.Location.Identifier != nil {
				a.Location = d.Location.Identifier.Value
			}
		}
		if d.Type != nil {
			a.Type = d.Type.Text
		}
		out = append(out, a)
	}
	return out, nil
}
