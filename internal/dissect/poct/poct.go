// Package poct reads CLSI POCT1-A (POCT1-A2) device messaging: the XML
// messages point-of-care devices (blood glucose meters, blood gas and
// HbA1c analysers, coagulation meters...) exchange with their data manager
// over TCP, often through a docking station, on vendor-chosen ports.
//
// Each message is an XML document whose root is named like HEL.R01 (three
// upper-case letters, a dot, R and two digits); documents follow one
// another on the connection. Values are carried in a V attribute:
// <DEV.model_id V="Inform II"/>. The device opens the conversation with a
// Hello (HEL.R01) that describes it; only the Hello is read for identity.
//
// PHI: the parser streams over the bytes without buffering a message. It
// copies element and attribute names (to recognise them) into a small
// fixed buffer, and it copies an attribute's value only when the attribute
// is V, the message is a Hello and the element is on the allowlist
// (elements below). Observations (OBS.R01/R02: patient IDs, results,
// operator IDs), operator lists (OPL.R01/R02), device status (DST.R01),
// directives, requests and acknowledgements, text and CDATA, comments, and
// the Hello's control ID and creation time are skipped as they stream by,
// never copied, let alone turned into strings.
package poct

import (
	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Field indices of the values read from a Hello.
const (
	fVersion = iota
	fDeviceID
	fVendorID
	fManufacturer
	fModel
	fSerial
	fHW
	fSW
	fName
	numFields
)

// keys are the observation keys of the fields, in emission order.
var keys = [numFields]string{
	fVersion:      "poct.version",
	fDeviceID:     "poct.device_id",
	fVendorID:     "poct.vendor_id",
	fManufacturer: "poct.manufacturer",
	fModel:        "poct.model",
	fSerial:       "poct.serial",
	fHW:           "poct.hw_version",
	fSW:           "poct.sw_version",
	fName:         "poct.device_name",
}

// elements is the allowlist: the Hello elements whose V attribute is read,
// with the spellings seen besides the standard's (documented in
// docs/observations.md).
var elements = map[string]int8{
	"HDR.version_id":        fVersion,
	"DEV.device_id":         fDeviceID,
	"DEV.vendor_id":         fVendorID,
	"DEV.manufacturer_name": fManufacturer,
	"DEV.manufacturer":      fManufacturer,
	"DEV.model_id":          fModel,
	"DEV.model":             fModel,
	"DEV.model_name":        fModel,
	"DEV.serial_id":         fSerial,
	"DEV.serial_number":     fSerial,
	"DEV.serial_no":         fSerial,
	"DEV.hw_version":        fHW,
	"DEV.hardware_version":  fHW,
	"DEV.sw_version":        fSW,
	"DEV.software_version":  fSW,
	"DEV.device_name":       fName,
	"DEV.name":              fName,
}

const (
	maxName = 48   // element and attribute names kept to recognise them
	maxRaw  = 1024 // raw bytes of one V value kept (decoded: maxValue)
)

// Dissector reads POCT1-A messages.
type Dissector struct {
	cfg  Config
	obs  observe.Observation
	norm []byte          // scratch for decoded values
	bufs dissect.BufPool // value buffers of ended connections
	// Dropped counts fields the guard refused (a bug: tests keep it zero).
	Dropped uint64
}

// New returns a POCT1-A dissector with the default bounds.
func New() *Dissector {
	d, _ := NewWithConfig(defaultConfig())
	return d
}

// NewWithConfig returns a POCT1-A dissector with cfg.
func NewWithConfig(cfg Config) (*Dissector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Dissector{cfg: cfg}, nil
}

var _ dissect.TCPDissector = (*Dissector)(nil)

// Name is "poct".
func (*Dissector) Name() string { return "poct" }

// matchWindow is how far into the first payload the root must start.
const matchWindow = 256

// MatchTCP recognises, on any port, a direction that starts (after an
// optional UTF-8 byte order mark and white space) with a POCT1-A message
// root: directly, or after the XML declaration (and comments) within the
// first 256 bytes. Generic XML (SOAP, XMPP, WS-Discovery, UPnP) has no
// root of the form ABC.Rnn and never matches.
func (*Dissector) MatchTCP(_, _ uint16, _ bool, p []byte) bool {
	if len(p) >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF {
		p = p[3:]
	}
	p = p[:min(len(p), matchWindow)]
	p = skipSpace(p)
	if hasPrefix(p, "<?xml") {
		end := index(p, "?>")
		if end < 0 {
			return false
		}
		p = skipSpace(p[end+2:])
		for hasPrefix(p, "<!--") {
			end := index(p[4:], "-->")
			if end < 0 {
				return false
			}
			p = skipSpace(p[4+end+3:])
		}
	}
	return len(p) >= 9 && p[0] == '<' && isRoot(p[1:8]) && (isSpace(p[8]) || p[8] == '>' || p[8] == '/')
}

// isRoot reports whether name is a POCT1-A message root: ABC.Rnn.
func isRoot(name []byte) bool {
	return len(name) == 7 && isUpper(name[0]) && isUpper(name[1]) && isUpper(name[2]) &&
		name[3] == '.' && name[4] == 'R' && isDigit(name[5]) && isDigit(name[6])
}

// isHello reports whether root (an isRoot name) is a Hello: HEL.Rnn.
func isHello(root []byte) bool {
	return root[0] == 'H' && root[1] == 'E' && root[2] == 'L'
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// isNameStart and isNameChar: XML name characters, any non-ASCII byte
// taken as a letter.
func isNameStart(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_' || c == ':' || c >= 0x80
}

func isNameChar(c byte) bool {
	return isNameStart(c) || c >= '0' && c <= '9' || c == '.' || c == '-'
}

func skipSpace(p []byte) []byte {
	for len(p) > 0 && isSpace(p[0]) {
		p = p[1:]
	}
	return p
}

func hasPrefix(p []byte, s string) bool { return len(p) >= len(s) && string(p[:len(s)]) == s }

func index(p []byte, s string) int {
	for i := 0; i+len(s) <= len(p); i++ {
		if string(p[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}
