package http

import (
	"bytes"
	"encoding/hex"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// maxIPP bounds the IPP response bodies read for printer attributes. The
// body is read as it streams by and only the few values below are kept, so
// the bound costs cycles, not memory; it is above MaxBodySkip because a
// Get-Printer-Attributes answer for "all" and media-col-database runs to
// tens of KiB on office printers, and the naming attributes may come last.
const maxIPP = 256 << 10

// maxIPPValue bounds each kept value: IPP text and the device id are at
// most 1023 octets (RFC 8011), with a language tag when "WithLanguage".
const maxIPPValue = 1100

// IPP tags (RFC 8010 section 3.5).
const (
	ippTagPrinter   = 0x04 // printer-attributes group
	ippTagEnd       = 0x03 // end-of-attributes
	ippTagLastGroup = 0x0F // 0x00-0x0F delimit groups
	ippEnum         = 0x23
	ippOctetString  = 0x30
	ippTextLang     = 0x35
	ippNameLang     = 0x36
	ippBegColl      = 0x34
	ippEndColl      = 0x37
	ippText         = 0x41
	ippName         = 0x42
	ippURI          = 0x45
)

// Where the reader is in the body.
const (
	ippHeader    = iota // version, status-code, request-id: 8 bytes
	ippTag              // a delimiter or value tag
	ippNameLen          // 2 bytes
	ippNameData         // the attribute name
	ippValueLen         // 2 bytes
	ippValueData        // the value
	ippOff              // finished, or not IPP: the rest is stepped over
)

// The printer-description attributes kept.
const (
	ippMakeModel = iota
	ippDeviceID
	ippFirmwareString
	ippFirmwareVersion
	ippPrinterName
	ippInfo
	ippLocation
	ippUUID
	// printer-type is CUPS's own: the printer described is a queue of a
	// print server, which is the responder.
	ippPrinterType
	ippFields
)

// ippNaming are the fields that say which printer it is.
const ippNaming = 1<<ippPrinterType - 1

// ippReader reads the attributes of an IPP response (RFC 8010) as its
// body streams by, whatever the segment boundaries, keeping only the first
// value of the printer-description attributes above, and only in the
// printer-attributes group: other groups (job attributes carry job and
// user names) are stepped over byte by byte, never copied. Each byte moves
// the reader on, so it takes time linear in the body and no more memory
// than the kept values.
type ippReader struct {
	state  uint8
	group  byte  // delimiter tag of the current group
	tag    byte  // value tag of the current value
	groups uint8 // printer-attributes groups begun
	depth  int   // collection nesting
	need   int   // bytes of the header, name or value still to come
	acc    int   // the big-endian length being read
	field  int   // the kept attribute the current one is, or -1
	keep   bool  // the current value is kept
	nameN  int
	name   [32]byte // the current attribute name, when it fits
	has    uint16   // kept fields
	span   [ippFields]ippSpan
	vals   []byte // kept values, reused
}

// ippSpan is where a kept value lies in vals, and its value tag.
type ippSpan struct {
	off, n int
	tag    byte
}

func (r *ippReader) reset() {
	vals := r.vals[:0]
	*r = ippReader{state: ippHeader, need: 8, field: -1, vals: vals}
}

// feed reads the next body bytes. It reports true once, at the
// end-of-attributes tag of a response that gave kept values from one
// printer-attributes group: a response listing several printers (a print
// server's CUPS-Get-Printers) does not describe the responder.
func (r *ippReader) feed(p []byte) bool {
	for len(p) > 0 {
		switch r.state {
		case ippHeader:
			if r.need == 8 && p[0] != 1 && p[0] != 2 {
				r.state = ippOff // not IPP/1.x or 2.x
				return false
			}
			n := min(r.need, len(p))
			r.need -= n
			p = p[n:]
			if r.need == 0 {
				r.state = ippTag
			}
		case ippTag:
			t := p[0]
			p = p[1:]
			if t > ippTagLastGroup {
				r.tag, r.state, r.need, r.acc = t, ippNameLen, 2, 0
				continue
			}
			if t == ippTagEnd {
				r.state = ippOff
				return r.has&ippNaming != 0 && r.groups == 1
			}
			r.group, r.depth, r.field = t, 0, -1
			if t == ippTagPrinter {
				r.groups++
				if r.groups > 1 {
					r.state = ippOff
					return false
				}
			}
		case ippNameLen, ippValueLen:
			r.acc = r.acc<<8 | int(p[0])
			p = p[1:]
			if r.need--; r.need > 0 {
				continue
			}
			r.need = r.acc
			switch {
			case r.state == ippValueLen:
				r.state = ippValueData
				r.beginValue()
				if r.need == 0 {
					r.endValue()
				}
			case r.need == 0: // an additional value of the current attribute
				r.state, r.need, r.acc = ippValueLen, 2, 0
			default:
				r.state, r.nameN, r.field = ippNameData, 0, -1
			}
		case ippNameData:
			n := min(r.need, len(p))
			if r.nameN+n <= len(r.name) {
				copy(r.name[r.nameN:], p[:n])
			}
			r.nameN += n
			r.need -= n
			p = p[n:]
			if r.need == 0 {
				r.field = -1
				if r.nameN <= len(r.name) {
					r.field = ippField(r.name[:r.nameN])
				}
				r.state, r.need, r.acc = ippValueLen, 2, 0
			}
		case ippValueData:
			n := min(r.need, len(p))
			if r.keep {
				sp := &r.span[r.field]
				k := min(n, maxIPPValue-sp.n)
				r.vals = append(r.vals, p[:k]...)
				sp.n += k
			}
			r.need -= n
			p = p[n:]
			if r.need == 0 {
				r.endValue()
			}
		default:
			return false
		}
	}
	return false
}

// beginValue decides whether the value starting is kept: the first value
// of a kept attribute, of a syntax it may have, outside any collection.
func (r *ippReader) beginValue() {
	depth := r.depth
	switch r.tag {
	case ippBegColl:
		r.depth++
	case ippEndColl:
		r.depth = max(r.depth-1, 0)
	}
	r.keep = r.group == ippTagPrinter && depth == 0 && r.field >= 0 &&
		r.has&(1<<r.field) == 0 && ippSyntaxOK(r.field, r.tag)
	if r.keep {
		r.span[r.field] = ippSpan{off: len(r.vals), tag: r.tag}
	}
}

func (r *ippReader) endValue() {
	if r.keep {
		r.has |= 1 << r.field
		r.keep = false
	}
	r.state = ippTag
}

// ippField returns the kept attribute named name, or -1.
func ippField(name []byte) int {
	switch string(name) {
	case "printer-make-and-model":
		return ippMakeModel
	case "printer-device-id":
		return ippDeviceID
	case "printer-firmware-string-version":
		return ippFirmwareString
	case "printer-firmware-version":
		return ippFirmwareVersion
	case "printer-name":
		return ippPrinterName
	case "printer-info":
		return ippInfo
	case "printer-location":
		return ippLocation
	case "printer-uuid":
		return ippUUID
	case "printer-type":
		return ippPrinterType
	}
	return -1
}

// ippSyntaxOK reports whether a value of tag fits field: text or name for
// the texts (printers mix them up), uri for the uuid, octetString for the
// firmware version.
func ippSyntaxOK(field int, tag byte) bool {
	switch field {
	case ippUUID:
		return tag == ippURI
	case ippFirmwareVersion:
		return tag == ippOctetString
	case ippPrinterType:
		return tag == ippEnum
	}
	return tag == ippText || tag == ippName || tag == ippTextLang || tag == ippNameLang
}

// value returns the kept value of field without its language tag, or nil.
func (r *ippReader) value(field int) []byte {
	if r.has&(1<<field) == 0 {
		return nil
	}
	sp := r.span[field]
	v := r.vals[sp.off : sp.off+sp.n]
	if sp.tag != ippTextLang && sp.tag != ippNameLang {
		return v
	}
	// language length, language, text length, text
	if len(v) < 2 {
		return nil
	}
	l := int(v[0])<<8 | int(v[1])
	if 2+l+2 > len(v) {
		return nil
	}
	v = v[2+l:]
	n := int(v[0])<<8 | int(v[1])
	return v[2:][:min(n, len(v)-2)] // a value cut at maxIPPValue keeps its head
}

// ippDescription emits what a printer said about itself in a response's
// printer-attributes group; or, from a CUPS server, what the server says
// of the printer behind one of its queues (http.ipp_print_server).
func (s *stream) ippDescription(m *dissect.Meta, r *ippReader, e observe.Emitter) {
	max := s.cfg.MaxValue
	id := r.value(ippDeviceID)
	model := deviceIDValue(id, "MDL", "MODEL", "")
	if len(model) == 0 {
		model = r.value(ippMakeModel)
	}
	firmware := r.value(ippFirmwareString)
	if len(firmware) == 0 {
		firmware = r.value(ippFirmwareVersion)
		if !printable(firmware) {
			s.sc.val = hex.AppendEncode(s.sc.val[:0], firmware[:min(len(firmware), 64)])
			firmware = s.sc.val
		}
	}
	name := r.value(ippPrinterName)
	if len(bytes.TrimSpace(name)) == 0 {
		name = r.value(ippInfo)
	}
	o := &s.sc.obs
	m.Fill(o, "http")
	o.Add("http.device_description", "ipp")
	o.Add("http.device_manufacturer", s.sc.text(deviceIDValue(id, "MFG", "MANUFACTURER", ""), max))
	o.Add("http.device_model", s.sc.text(model, max))
	o.Add("http.device_serial", s.sc.text(deviceIDValue(id, "SN", "SERN", "SERIALNUMBER"), max))
	o.Add("http.device_firmware", s.sc.text(firmware, max))
	o.Add("http.device_name", s.sc.text(name, max))
	o.Add("http.device_location", s.sc.text(r.value(ippLocation), max))
	o.Add("http.device_make_and_model", s.sc.text(r.value(ippMakeModel), max))
	o.Add("http.device_uuid", s.sc.text(r.value(ippUUID), max))
	o.Add("http.device_id", s.sc.text(id, max))
	if r.has&(1<<ippPrinterType) != 0 {
		o.Add("http.ipp_print_server", "cups")
	}
	e.Emit(o)
}

// deviceIDValue returns the value of the first of keys (compared without
// case, "" for none) in an IEEE 1284 device id, "KEY:value;KEY:value;".
func deviceIDValue(id []byte, k1, k2, k3 string) []byte {
	for len(id) > 0 {
		pair := id
		if i := bytes.IndexByte(id, ';'); i >= 0 {
			pair, id = id[:i], id[i+1:]
		} else {
			id = nil
		}
		c := bytes.IndexByte(pair, ':')
		if c < 0 {
			continue
		}
		k := bytes.TrimSpace(pair[:c])
		if eq(k, k1) || eq(k, k2) || (k3 != "" && eq(k, k3)) {
			return bytes.TrimSpace(pair[c+1:])
		}
	}
	return nil
}

// printable reports whether b is printable ASCII: a firmware version sent
// as text in an octetString.
func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
