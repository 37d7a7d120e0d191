package rdp

// Under standard RDP security (the server selected PROTOCOL_RDP, or did not
// negotiate at all), the MCS Connect Initial and Connect Response PDUs that
// follow the negotiation travel in cleartext (MS-RDPBCGR 2.2.1.3–2.2.1.4).
// Their GCC user data carries the client's core data (TS_UD_CS_CORE: its
// RDP version, keyboard layout, Windows build and NetBIOS computer name)
// and the server's (TS_UD_SC_CORE: its RDP version). Only those are read:
// nothing of the product ID, serial number or clientDigProductId (license
// identifiers, not device ones), and the Client Info PDU with the user name
// comes later, encrypted.

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

const (
	maxMCS = 4096 // a Connect Initial is a few hundred bytes; its channel and monitor lists stay well below this

	x224DT = 0xF0

	// T.125 BER tags of MCS Connect-Initial and Connect-Response
	// ([APPLICATION 101] and [APPLICATION 102], constructed).
	tagConnectInitial  = 0x7f65
	tagConnectResponse = 0x7f66
	tagOctetString     = 0x04

	csCore = 0xC001 // TS_UD_CS_CORE
	scCore = 0x0C01 // TS_UD_SC_CORE

	// Offsets in TS_UD_CS_CORE, from the start of its header.
	coreVersion  = 4
	coreLayout   = 16
	coreBuild    = 20
	coreName     = 24
	coreNameSize = 32
	coreMinLen   = coreName + coreNameSize // the fields read; the mandatory part is longer (132)

	maxName = 64 // 16 UTF-16 code units: at most 48 bytes of UTF-8
)

// h221 keys that start the GCC user data of each side.
var (
	keyClient = []byte("Duca")
	keyServer = []byte("McDn")
)

// connect buffers side i's first TPKT packet after the negotiation and reads
// it; it returns the bytes after it.
func (s *stream) connect(m *dissect.Meta, i int, data []byte, e observe.Emitter) []byte {
	ms := &s.mcs[i]
	p, prev := data, len(ms.buf)
	if prev > 0 || len(data) < 4 {
		if ms.buf == nil {
			ms.buf = make([]byte, 0, 512)
		}
		ms.buf = append(ms.buf, data[:min(len(data), maxMCS-prev)]...)
		p = ms.buf
	}
	if len(p) < 4 {
		return nil
	}
	n := int(binary.BigEndian.Uint16(p[2:4]))
	if p[0] != tpktVersion || p[1] != 0 || n < 4+3 || n > maxMCS {
		ms.done, ms.buf = true, nil // not TPKT, or too long to be read: no more
		return nil
	}
	if len(p) < n {
		if prev == 0 && len(ms.buf) == 0 {
			if ms.buf == nil {
				ms.buf = make([]byte, 0, max(n, 512))
			}
			ms.buf = append(ms.buf, data...)
		}
		return nil
	}
	var rest []byte
	if used := n - prev; used < len(data) {
		rest = data[used:]
	}
	ms.done = true
	if i == 0 {
		s.d.clientCore(m, p[:n], e)
	} else {
		s.d.serverCore(m, p[:n], e)
	}
	ms.buf = nil
	return rest
}

// userData returns the GCC user data blocks of an MCS Connect PDU in one
// TPKT packet: the settings data blocks after the h221 key. tag tells the
// MCS PDU expected, key the h221 key.
func userData(p []byte, tag int, key []byte) ([]byte, bool) {
	// X.224 Data TPDU: length indicator 2, code, EOT.
	if len(p) < 7 || p[4] != 2 || p[5]&0xF0 != x224DT {
		return nil, false
	}
	t, body, _, ok := ber(p[7:])
	if !ok || t != tag {
		return nil, false
	}
	// The Connect PDU's last element is its userData OCTET STRING: the
	// GCC Conference Create Request or Response.
	var last []byte
	lastTag := -1
	for len(body) > 0 {
		t, v, r, ok := ber(body)
		if !ok {
			return nil, false
		}
		lastTag, last, body = t, v, r
	}
	if lastTag != tagOctetString {
		return nil, false
	}
	// The GCC PDU is PER-encoded; its fixed head (object identifier,
	// lengths, conference name) is short, and the h221 key ends it.
	k := bytes.Index(last[:min(len(last), 64)], key)
	if k < 0 {
		return nil, false
	}
	b := last[k+len(key):]
	n, b, ok := perLength(b)
	if !ok {
		return nil, false
	}
	return b[:min(n, len(b))], true
}

// ber reads one BER element (a one- or two-byte tag, definite length) at the
// start of b.
func ber(b []byte) (tag int, val, rest []byte, ok bool) {
	if len(b) < 2 {
		return 0, nil, nil, false
	}
	tag, b = int(b[0]), b[1:]
	if tag&0x1f == 0x1f {
		if b[0]&0x80 != 0 || len(b) < 2 {
			return 0, nil, nil, false
		}
		tag, b = tag<<8|int(b[0]), b[1:]
	}
	n := int(b[0])
	b = b[1:]
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 2 || len(b) < k {
			return 0, nil, nil, false
		}
		n = 0
		for _, c := range b[:k] {
			n = n<<8 | int(c)
		}
		b = b[k:]
	}
	if n > len(b) {
		return 0, nil, nil, false
	}
	return tag, b[:n], b[n:], true
}

// perLength reads an ALIGNED PER length determinant (one byte, or two with
// the top bits 10).
func perLength(b []byte) (int, []byte, bool) {
	if len(b) < 1 {
		return 0, nil, false
	}
	switch {
	case b[0]&0x80 == 0:
		return int(b[0]), b[1:], true
	case b[0]&0xC0 == 0x80 && len(b) >= 2:
		return int(b[0]&0x3f)<<8 | int(b[1]), b[2:], true
	}
	return 0, nil, false
}

// dataBlock returns the user data block of type typ among blocks.
func dataBlock(blocks []byte, typ uint16) ([]byte, bool) {
	for len(blocks) >= 4 {
		t := binary.LittleEndian.Uint16(blocks[0:2])
		n := int(binary.LittleEndian.Uint16(blocks[2:4]))
		if n < 4 || n > len(blocks) {
			return nil, false
		}
		if t == typ {
			return blocks[:n], true
		}
		blocks = blocks[n:]
	}
	return nil, false
}

// clientCore reads the client's Connect Initial and emits its core data.
func (d *Dissector) clientCore(m *dissect.Meta, p []byte, e observe.Emitter) {
	blocks, ok := userData(p, tagConnectInitial, keyClient)
	if !ok {
		return
	}
	b, ok := dataBlock(blocks, csCore)
	if !ok || len(b) < coreMinLen {
		return
	}
	ver := binary.LittleEndian.Uint32(b[coreVersion:])
	if ver>>16 != 8 {
		return
	}
	o := &d.obs
	m.Fill(o, "rdp")
	o.Add("rdp.message", "mcs_connect_initial")
	o.Add("rdp.client_version", d.version(ver))
	if v := binary.LittleEndian.Uint32(b[coreBuild:]); v != 0 {
		o.Add("rdp.client_build", d.number(strconv.AppendUint(d.scratch[:0], uint64(v), 10)))
	}
	if name := d.name(b[coreName : coreName+coreNameSize]); name != "" {
		o.Add("rdp.client_name", name)
	}
	if v := binary.LittleEndian.Uint32(b[coreLayout:]); v != 0 {
		o.Add("rdp.keyboard_layout", d.number(hex(d.scratch[:0], v)))
	}
	d.emit(o, e)
}

// serverCore reads the server's Connect Response and emits its version.
func (d *Dissector) serverCore(m *dissect.Meta, p []byte, e observe.Emitter) {
	blocks, ok := userData(p, tagConnectResponse, keyServer)
	if !ok {
		return
	}
	b, ok := dataBlock(blocks, scCore)
	if !ok || len(b) < 8 {
		return
	}
	ver := binary.LittleEndian.Uint32(b[4:])
	if ver>>16 != 8 {
		return
	}
	o := &d.obs
	m.Fill(o, "rdp")
	o.Add("rdp.message", "mcs_connect_response")
	o.Add("rdp.server_version", d.version(ver))
	d.emit(o, e)
}

// versions names the RDP versions of MS-RDPBCGR 2.2.1.3.2 (client) and
// 2.2.1.4.2 (server): 0x00080001 is RDP 4.0; 0x00080004 covers every
// version from 5.0 (Windows 2000) to 8.1 (Windows 8.1, Server 2012 R2);
// 0x00080005 is 10.0 and each step after it one minor version more.
func (d *Dissector) version(v uint32) string {
	switch minor := v & 0xffff; {
	case minor == 1:
		return "4.0"
	case minor == 4:
		return "5.0-8.1"
	case minor >= 5 && minor < 5+32:
		return d.number(strconv.AppendUint(append(d.scratch[:0], "10."...), uint64(minor-5), 10))
	}
	return d.number(hex(d.scratch[:0], v))
}

// hex formats v as "0x" and four hex digits, or eight when it needs them.
func hex(b []byte, v uint32) []byte {
	const digits = "0123456789abcdef"
	b = append(b, "0x"...)
	w := 4
	if v > 0xffff {
		w = 8
	}
	for i := w - 1; i >= 0; i-- {
		b = append(b, digits[v>>(4*i)&0xf])
	}
	return b
}

// number returns b as a string, shared between connections.
func (d *Dissector) number(b []byte) string {
	if s, ok := d.numbers.Lookup(b); ok {
		return s
	}
	s := string(b)
	d.numbers.Store(b, s)
	return s
}

// name decodes the clientName field: UTF-16LE, ended by a NUL, printable
// characters only, spaces trimmed.
func (d *Dissector) name(raw []byte) string {
	n := 0
	for n+1 < len(raw) && (raw[n] != 0 || raw[n+1] != 0) {
		n += 2
	}
	raw = raw[:n]
	if s, ok := d.names.Lookup(raw); ok {
		return s
	}
	out := d.scratch[:0]
	for i := 0; i+1 < len(raw); i += 2 {
		r := rune(binary.LittleEndian.Uint16(raw[i:]))
		if utf16.IsSurrogate(r) {
			r2 := utf8.RuneError
			if i+3 < len(raw) {
				r2 = utf16.DecodeRune(r, rune(binary.LittleEndian.Uint16(raw[i+2:])))
			}
			if r = r2; r != utf8.RuneError {
				i += 2 // the pair's low half
			}
		}
		if r == utf8.RuneError || !unicode.IsPrint(r) || len(out)+utf8.RuneLen(r) > maxName {
			continue
		}
		out = utf8.AppendRune(out, r)
	}
	out = bytes.TrimSpace(out)
	if len(out) == 0 {
		return ""
	}
	s := string(out)
	d.names.Store(raw, s)
	return s
}
