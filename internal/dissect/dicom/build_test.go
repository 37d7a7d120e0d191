package dicom

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"net"
	"net/netip"
	"time"

	"github.com/wardiomt/ward/internal/dissect"
)

// Builders of Upper Layer PDUs and datasets for tests: every byte follows
// PS3.8/PS3.5, so the tests exercise real encodings, including the ones the
// dcmtk captures do not show (big endian, deflate, undefined lengths).

type pc struct {
	id       byte
	abstract string
	ts       []string
}

func u16be(v int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(v)) }

func subItem(typ byte, val []byte) []byte {
	b := []byte{typ, 0}
	b = append(b, u16be(len(val))...)
	return append(b, val...)
}

func pdu(typ byte, body []byte) []byte {
	b := []byte{typ, 0}
	b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
	return append(b, body...)
}

func ae(s string) []byte {
	b := bytes.Repeat([]byte{' '}, 16)
	copy(b, s)
	return b
}

func userInfoItem(roles ...[]byte) []byte {
	ui := subItem(0x51, binary.BigEndian.AppendUint32(nil, 32768))
	ui = append(ui, subItem(0x52, []byte("1.2.3.4.5.6"))...)
	ui = append(ui, subItem(0x55, []byte("TESTIMPL_1"))...)
	// A user identity sub-item with a password: must never be read out.
	uid := []byte{2, 1}
	uid = append(uid, u16be(len("CANARYUSER"))...)
	uid = append(uid, "CANARYUSER"...)
	uid = append(uid, u16be(len("CANARYPASS"))...)
	uid = append(uid, "CANARYPASS"...)
	ui = append(ui, subItem(0x58, uid)...)
	for _, r := range roles {
		ui = append(ui, r...)
	}
	return subItem(0x50, ui)
}

func roleItem(uid string, scu, scp byte) []byte {
	v := u16be(len(uid))
	v = append(v, uid...)
	v = append(v, scu, scp)
	return subItem(0x54, v)
}

func fixedPart(calling, called string) []byte {
	b := []byte{0, 1, 0, 0}
	b = append(b, ae(called)...)
	b = append(b, ae(calling)...)
	b = append(b, make([]byte, 32)...)
	return append(b, subItem(0x10, []byte("1.2.840.10008.3.1.1.1"))...)
}

func associateRQ(calling, called string, pcs []pc, roles ...[]byte) []byte {
	b := fixedPart(calling, called)
	for _, p := range pcs {
		v := []byte{p.id, 0, 0, 0}
		v = append(v, subItem(0x30, []byte(p.abstract))...)
		for _, ts := range p.ts {
			v = append(v, subItem(0x40, []byte(ts))...)
		}
		b = append(b, subItem(0x20, v)...)
	}
	return pdu(pduAssociateRQ, append(b, userInfoItem(roles...)...))
}

func associateAC(calling, called string, pcs []pc, roles ...[]byte) []byte {
	b := fixedPart(calling, called)
	for _, p := range pcs {
		v := []byte{p.id, 0, 0, 0}
		v = append(v, subItem(0x40, []byte(p.ts[0]))...)
		b = append(b, subItem(0x21, v)...)
	}
	return pdu(pduAssociateAC, append(b, userInfoItem(roles...)...))
}

// pdv wraps one message fragment in a P-DATA-TF.
func pdv(pcid byte, command, last bool, data []byte) []byte {
	mch := byte(0)
	if command {
		mch |= 1
	}
	if last {
		mch |= 2
	}
	item := binary.BigEndian.AppendUint32(nil, uint32(len(data)+2))
	item = append(item, pcid, mch)
	return pdu(pduPData, append(item, data...))
}

// implicit encodes an element in Implicit VR Little Endian.
func implicit(tag uint32, val []byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, uint16(tag>>16))
	b = binary.LittleEndian.AppendUint16(b, uint16(tag))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(val)))
	return append(b, val...)
}

func pad(s string) []byte {
	if len(s)%2 == 1 {
		s += " "
	}
	return []byte(s)
}

func usLE(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }

// commandSet builds a DIMSE command set (always Implicit VR LE).
func commandSet(field uint16, sop string, hasDataset bool) []byte {
	var body []byte
	body = append(body, implicit(0x00000002, pad(sop+"\x00"[:len(sop)%2]))...)
	body = append(body, implicit(0x00000100, usLE(field))...)
	body = append(body, implicit(0x00000110, usLE(1))...)
	ds := uint16(0x0101)
	if hasDataset {
		ds = 0
	}
	body = append(body, implicit(0x00000800, usLE(ds))...)
	body = append(body, implicit(0x00001000, []byte("2.25.99999999999999999999999999999999\x00"))...)
	return append(implicit(0x00000000, binary.LittleEndian.AppendUint32(nil, uint32(len(body)))), body...)
}

// el is one element for the dataset encoder; children make it a sequence.
type el struct {
	tag       uint32
	vr        string
	val       []byte
	items     [][]el // sequence items
	undefined bool   // undefined length sequence and items
}

type enc struct {
	explicit, be bool
}

func (e enc) u16(b []byte, v uint16) []byte {
	if e.be {
		return binary.BigEndian.AppendUint16(b, v)
	}
	return binary.LittleEndian.AppendUint16(b, v)
}

func (e enc) u32(b []byte, v uint32) []byte {
	if e.be {
		return binary.BigEndian.AppendUint32(b, v)
	}
	return binary.LittleEndian.AppendUint32(b, v)
}

func (e enc) tag(b []byte, t uint32) []byte { return e.u16(e.u16(b, uint16(t>>16)), uint16(t)) }

func (e enc) encode(els []el) []byte {
	var b []byte
	for _, x := range els {
		val := x.val
		if x.vr == "SQ" {
			val = nil
			for _, it := range x.items {
				inner := e.encode(it)
				val = e.tag(val, tagItem)
				if x.undefined {
					val = e.u32(val, undefinedLength)
					val = append(val, inner...)
					val = e.u32(e.tag(val, tagItemDelim), 0)
				} else {
					val = e.u32(val, uint32(len(inner)))
					val = append(val, inner...)
				}
			}
			if x.undefined {
				val = e.u32(e.tag(val, tagSequenceDelim), 0)
			}
		}
		n := uint32(len(val))
		if x.undefined {
			n = undefinedLength
		}
		b = e.tag(b, x.tag)
		switch {
		case !e.explicit:
			b = e.u32(b, n)
		case longVR(x.vr[0], x.vr[1]):
			b = append(b, x.vr...)
			b = append(b, 0, 0)
			b = e.u32(b, n)
		default:
			b = append(b, x.vr...)
			b = e.u16(b, uint16(n))
		}
		b = append(b, val...)
	}
	return b
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	w, _ := flate.NewWriter(&out, flate.BestCompression)
	_, _ = w.Write(b)
	_ = w.Close()
	return out.Bytes()
}

// canaryDataset is a C-STORE dataset with device attributes, canary PHI,
// nested sequences (defined and undefined length, one holding more canary
// PHI and a decoy manufacturer) and pixel data.
func canaryDataset() []el {
	str := func(s string) []byte { return pad(s) }
	return []el{
		{tag: 0x00080005, vr: "CS", val: str("ISO_IR 100")},
		{tag: 0x00080016, vr: "UI", val: str("1.2.840.10008.5.1.4.1.1.2\x00")},
		{tag: 0x00080050, vr: "SH", val: str("CANARYACC123")},
		{tag: 0x00080060, vr: "CS", val: str("CT")},
		{tag: 0x00080070, vr: "LO", val: str("Acme Medical")},
		{tag: 0x00080080, vr: "LO", val: str("Test Hospital")},
		{tag: 0x00081010, vr: "SH", val: str("CTSTATION1")},
		{tag: 0x00081032, vr: "SQ", undefined: true, items: [][]el{{
			{tag: 0x00080070, vr: "LO", val: str("DECOY NESTED")},
			{tag: 0x00100010, vr: "PN", val: str("CANARY^NESTED")},
		}}},
		{tag: 0x00081090, vr: "LO", val: str("Scanner 9000")},
		{tag: 0x00081110, vr: "SQ", items: [][]el{{
			{tag: 0x00081150, vr: "UI", val: str("1.2.3\x00")},
		}}},
		{tag: 0x00100010, vr: "PN", val: str("CANARY^PATIENT^NAME")},
		{tag: 0x00100020, vr: "LO", val: str("CANARYPID0042")},
		{tag: 0x00100030, vr: "DA", val: str("19010101")},
		{tag: 0x00181000, vr: "LO", val: str("SN-0001")},
		{tag: 0x00181020, vr: "LO", val: str(`1.0\2.0`)},
		{tag: 0x0020000D, vr: "UI", val: str("2.25.1234567890CANARY\x00")},
		{tag: 0x00400275, vr: "SQ", undefined: true, items: [][]el{{
			{tag: 0x00100010, vr: "PN", val: str("CANARY^AFTER")},
		}}},
		{tag: 0x7FE00010, vr: "OW", val: make([]byte, 4096)},
	}
}

var canaries = []string{"CANARY", "19010101", "CANARYPASS"}

// testMeta is a pair of endpoints: modality 10.0.0.5:40000 -> PACS 10.0.0.9:104.
func testMeta(clientToServer bool) *dissect.Meta {
	m := &dissect.Meta{
		Time:      time.Unix(1700000000, 0),
		SrcMAC:    net.HardwareAddr{0, 0x11, 0x22, 0x33, 0x44, 0x55},
		DstMAC:    net.HardwareAddr{0, 0x66, 0x77, 0x88, 0x99, 0xaa},
		SrcIP:     netip.MustParseAddr("10.0.0.5"),
		DstIP:     netip.MustParseAddr("10.0.0.9"),
		SrcPort:   40000,
		DstPort:   104,
		Transport: "tcp",
	}
	if !clientToServer {
		r := m.Reverse()
		return &r
	}
	return m
}
