package simulate

import (
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wardiomt/ward/internal/canon"
)

//go:embed catalog.json
var catalogJSON []byte

// Kind is one catalogue entry: a product line of one manufacturer.
type Kind struct {
	ID           string      `json:"id"`
	Type         string      `json:"type"`
	Manufacturer string      `json:"manufacturer"`
	Models       []string    `json:"models"`
	Versions     []string    `json:"versions"`
	Serial       string      `json:"serial"`
	OUI          []string    `json:"oui"`
	OS           string      `json:"os"`
	Stack        string      `json:"stack"`
	Hostname     string      `json:"hostname"`
	Weight       int         `json:"weight"`
	Role         string      `json:"role"`
	Protocols    []string    `json:"protocols"`
	Listen       []Service   `json:"listen"`
	DICOM        *dicomSpec  `json:"dicom"`
	HL7          *hl7Spec    `json:"hl7"`
	HTTP         *httpSpec   `json:"http"`
	SNMP         *snmpSpec   `json:"snmp"`
	TLS          *tlsSpec    `json:"tls"`
	MDNS         *mdnsSpec   `json:"mdns"`
	SSDP         *ssdpSpec   `json:"ssdp"`
	SMB          *smbSpec    `json:"smb"`
	BACnet       *bacnetSpec `json:"bacnet"`
	ASTM         *astmSpec   `json:"astm"`

	ouis  [][3]byte
	speak map[string]bool
	canon string
}

type dicomSpec struct {
	Modality    string `json:"modality"`
	SOP         string `json:"sop"`
	Root        string `json:"root"`
	ImplVersion string `json:"impl_version"`
	AE          string `json:"ae"`
	Explicit    bool   `json:"explicit"`
}

// bacnetSpec: the ASHRAE vendor identifier and the first device instance
// (each device adds its index, as sites number controllers).
type bacnetSpec struct {
	Vendor   int `json:"vendor"`
	Instance int `json:"instance"`
}

// astmSpec: the analyser sends its results to the LIS as ASTM E1394
// records in E1381 frames, on this TCP port, instead of HL7.
type astmSpec struct {
	Port uint16 `json:"port"`
}

type hl7Spec struct {
	App    string `json:"app"`
	MDS    string `json:"mds"`
	Vendor string `json:"vendor"`
}

type httpSpec struct {
	Server    string `json:"server"`
	UserAgent string `json:"user_agent"`
}

type snmpSpec struct {
	Descr string `json:"descr"`
	OID   string `json:"oid"`
}

type tlsSpec struct {
	CN         string `json:"cn"`
	O          string `json:"o"`
	SelfSigned bool   `json:"self_signed"`
	Expired    bool   `json:"expired"`
	SNI        string `json:"sni"`
}

type mdnsSpec struct {
	Service string `json:"service"`
	TY      string `json:"ty"`
}

type ssdpSpec struct {
	Server string `json:"server"`
}

type smbSpec struct {
	NativeOS string `json:"native_os"`
	LanMan   string `json:"lanman"`
}

// Service is a listening port.
type Service struct {
	Port      uint16 `json:"port"`
	Transport string `json:"transport"`
}

// Catalog is the parsed device catalogue.
type Catalog struct {
	Kinds []*Kind
	byID  map[string]*Kind
}

// byRole returns the first kind with role r, or nil.
func (c *Catalog) byRole(r string) *Kind {
	for _, k := range c.Kinds {
		if k.Role == r {
			return k
		}
	}
	return nil
}

// LoadCatalog parses the embedded catalogue and checks it: every type must be
// in the canon taxonomy, every OUI 3 bytes, every kind with models/versions.
func LoadCatalog() (*Catalog, error) {
	var raw struct {
		Kinds []*Kind `json:"kinds"`
	}
	if err := json.Unmarshal(catalogJSON, &raw); err != nil {
		return nil, fmt.Errorf("simulate: parse catalog: %w", err)
	}
	tab := canon.NewTable(nil)
	c := &Catalog{Kinds: raw.Kinds, byID: map[string]*Kind{}}
	for _, k := range raw.Kinds {
		if !canon.ValidType(k.Type) {
			return nil, fmt.Errorf("simulate: catalog kind %q: type %q not in the canon taxonomy", k.ID, k.Type)
		}
		if len(k.Models) == 0 || len(k.Versions) == 0 || len(k.OUI) == 0 {
			return nil, fmt.Errorf("simulate: catalog kind %q: needs models, versions and oui", k.ID)
		}
		if _, ok := osProfiles[k.Stack]; !ok {
			return nil, fmt.Errorf("simulate: catalog kind %q: unknown stack %q", k.ID, k.Stack)
		}
		for _, o := range k.OUI {
			b, err := hex.DecodeString(o)
			if err != nil || len(b) != 3 {
				return nil, fmt.Errorf("simulate: catalog kind %q: bad oui %q", k.ID, o)
			}
			k.ouis = append(k.ouis, [3]byte{b[0], b[1], b[2]})
		}
		k.speak = map[string]bool{}
		for _, p := range k.Protocols {
			k.speak[p] = true
		}
		k.canon, _ = tab.Manufacturer(k.Manufacturer)
		if _, dup := c.byID[k.ID]; dup {
			return nil, fmt.Errorf("simulate: catalog kind %q defined twice", k.ID)
		}
		c.byID[k.ID] = k
	}
	return c, nil
}

// Speaks reports whether the kind uses protocol p.
func (k *Kind) Speaks(p string) bool { return k.speak[p] }

// Canonical is the canon-table manufacturer name.
func (k *Kind) Canonical() string { return k.canon }

// expand fills {model} {version} {serial} {hostname} {mfr} in a template.
func (d *device) expand(tpl string) string {
	if !strings.Contains(tpl, "{") {
		return tpl
	}
	return strings.NewReplacer("{model}", d.model(), "{version}", d.version(), "{serial}", d.serial,
		"{hostname}", d.hostname, "{mfr}", d.kind.Manufacturer).Replace(tpl)
}
