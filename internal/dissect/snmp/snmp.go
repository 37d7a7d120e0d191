// Package snmp reads SNMP v1, v2c and v3 messages with a small BER parser of
// its own. Responses, traps, informs and reports can carry the MIB-II system
// group (sysDescr, sysObjectID, sysName, sysLocation, sysContact), which
// names a device's vendor, model and firmware as exactly as anything on the
// wire. v1/v2c also send their community string in clear: Ward flags that as
// a finding but never emits or keeps the community itself, because it is a
// password.
package snmp

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Ports are SNMP's agent and trap ports.
const (
	PortAgent = 161
	PortTrap  = 162
)

// maxText caps text values; sysDescr banners run long, so it is generous.
const maxText = 512

// maxVarbinds bounds the work per message.
const maxVarbinds = 512

// BER tags SNMP uses.
const (
	tagInteger   = 0x02
	tagOctets    = 0x04
	tagNull      = 0x05
	tagOID       = 0x06
	tagSequence  = 0x30
	tagIPAddress = 0x40
)

// Preallocated errors: a bad datagram costs no allocation.
var (
	errTrunc    = fmt.Errorf("snmp ber element: %w", dissect.ErrTruncated)
	errLength   = fmt.Errorf("snmp ber length form: %w", dissect.ErrMalformed)
	errTag      = fmt.Errorf("snmp unexpected ber tag: %w", dissect.ErrMalformed)
	errVersion  = fmt.Errorf("snmp version: %w", dissect.ErrMalformed)
	errPDU      = fmt.Errorf("snmp pdu type: %w", dissect.ErrMalformed)
	errVarbinds = fmt.Errorf("snmp too many varbinds: %w", dissect.ErrMalformed)
)

// readTLV splits one BER element (single-byte tag, definite length) off p.
func readTLV(p []byte) (tag byte, val, rest []byte, err error) {
	if len(p) < 2 {
		return 0, nil, nil, errTrunc
	}
	tag = p[0]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, errTag // multi-byte tags do not occur in SNMP
	}
	n, hdr := int(p[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 {
			return 0, nil, nil, errLength // indefinite or absurd lengths
		}
		if len(p) < 2+k {
			return 0, nil, nil, errTrunc
		}
		n = 0
		for _, b := range p[2 : 2+k] {
			n = n<<8 | int(b)
		}
		hdr += k
	}
	if n > len(p)-hdr {
		return 0, nil, nil, errTrunc
	}
	return tag, p[hdr : hdr+n], p[hdr+n:], nil
}

// expect reads an element and checks its tag.
func expect(p []byte, want byte) (val, rest []byte, err error) {
	tag, val, rest, err := readTLV(p)
	if err != nil {
		return nil, nil, err
	}
	if tag != want {
		return nil, nil, errTag
	}
	return val, rest, nil
}

// container reads a constructed element's header and returns its content,
// cut short at the end of p when the declared length runs past it. Some
// agents and tools mis-size the USM parameters SEQUENCE; the elements inside
// are still read strictly, one by one, as Wireshark does.
func container(p []byte, want byte) ([]byte, error) {
	val, _, err := expect(p, want)
	if err != errTrunc || len(p) < 2 || p[0] != want {
		return val, err
	}
	hdr := 2
	if p[1]&0x80 != 0 {
		hdr += int(p[1] & 0x7f)
	}
	if hdr > len(p) {
		return nil, errTrunc
	}
	return p[hdr:], nil
}

// small decodes a non-negative INTEGER of up to 4 bytes, or -1.
func small(v []byte) int64 {
	if len(v) == 0 || len(v) > 5 || v[0]&0x80 != 0 {
		return -1
	}
	var n int64
	for _, b := range v {
		n = n<<8 | int64(b)
	}
	return n
}

// message is one parsed SNMP message; its slices point into the datagram
// and live for one call only.
type message struct {
	version      int64
	envelope     bool // version and community/global data were read
	community    bool // a v1/v2c community was present (its value is never kept)
	pduTag       byte
	hasPDU       bool
	varbinds     []byte
	trapEnt      []byte // v1 trap enterprise OID
	trapAgent    []byte // v1 trap agent address
	engineID     []byte // v3 authoritative engine
	v3Flags      byte
	v3HasFlags   bool
	v3Encrypted  bool
	v3SecModelOK bool
}

// parseMessage reads the envelope and PDU header of a message.
func parseMessage(p []byte, m *message) error {
	body, _, err := expect(p, tagSequence)
	if err != nil {
		return err
	}
	v, body, err := expect(body, tagInteger)
	if err != nil {
		return err
	}
	m.version = small(v)
	switch m.version {
	case 0, 1, 2:
		// v2u (2, historic) has a parameters string where v1/v2c have the
		// community; it is read the same way but not called a community.
		c, rest, err := expect(body, tagOctets)
		if err != nil {
			return err
		}
		m.envelope = true
		m.community = c != nil && m.version != 2
		return parsePDU(rest, m)
	case 3:
		return parseV3(body, m)
	}
	return errVersion
}

func parseV3(body []byte, m *message) error {
	global, body, err := expect(body, tagSequence)
	if err != nil {
		return err
	}
	// msgID, msgMaxSize, msgFlags, msgSecurityModel
	_, g, err := expect(global, tagInteger)
	if err != nil {
		return err
	}
	if _, g, err = expect(g, tagInteger); err != nil {
		return err
	}
	flags, g, err := expect(g, tagOctets)
	if err != nil {
		return err
	}
	if len(flags) == 1 {
		m.v3Flags, m.v3HasFlags = flags[0], true
	}
	m.envelope = true
	model, _, err := expect(g, tagInteger)
	if err != nil {
		return err
	}
	secParams, body, err := expect(body, tagOctets)
	if err != nil {
		return err
	}
	if small(model) == 3 { // USM: a SEQUENCE whose first element is the engine ID
		if usm, err := container(secParams, tagSequence); err == nil {
			if id, _, err := expect(usm, tagOctets); err == nil {
				m.engineID = id
			}
		}
	}
	tag, data, _, err := readTLV(body)
	if err != nil {
		return err
	}
	switch tag {
	case tagOctets:
		m.v3Encrypted = true
		return nil
	case tagSequence: // ScopedPDU: contextEngineID, contextName, PDU
		_, data, err = expect(data, tagOctets)
		if err != nil {
			return err
		}
		if _, data, err = expect(data, tagOctets); err != nil {
			return err
		}
		return parsePDU(data, m)
	}
	return errTag
}

func parsePDU(p []byte, m *message) error {
	tag, pdu, _, err := readTLV(p)
	if err != nil {
		return err
	}
	if tag < 0xa0 || tag > 0xa8 {
		return errPDU
	}
	m.pduTag, m.hasPDU = tag, true
	if tag == 0xa4 { // v1 Trap-PDU
		ent, rest, err := expect(pdu, tagOID)
		if err != nil {
			return err
		}
		m.trapEnt = ent
		agent, rest, err := expect(rest, tagIPAddress)
		if err != nil {
			return err
		}
		m.trapAgent = agent
		for range 3 { // generic-trap, specific-trap, time-stamp
			if _, _, rest, err = readTLV(rest); err != nil {
				return err
			}
		}
		m.varbinds, _, err = expect(rest, tagSequence)
		return err
	}
	rest := pdu
	for range 3 { // request-id, error-status/non-repeaters, error-index/max-repetitions
		if _, rest, err = expect(rest, tagInteger); err != nil {
			return err
		}
	}
	m.varbinds, _, err = expect(rest, tagSequence)
	return err
}

// walkVarbinds calls fn for each (OID, value tag, value) until fn returns false.
func walkVarbinds(p []byte, fn func(oid []byte, tag byte, val []byte) bool) error {
	for i := 0; len(p) > 0; i++ {
		if i == maxVarbinds {
			return errVarbinds
		}
		vb, rest, err := expect(p, tagSequence)
		if err != nil {
			return err
		}
		p = rest
		oid, vb, err := expect(vb, tagOID)
		if err != nil {
			return err
		}
		tag, val, _, err := readTLV(vb)
		if err != nil {
			return err
		}
		if !fn(oid, tag, val) {
			return nil
		}
	}
	return nil
}

// appendOID formats a BER-encoded OID as dotted text; ok is false when the
// encoding is broken.
func appendOID(b, oid []byte) ([]byte, bool) {
	if len(oid) == 0 {
		return b, false
	}
	var sub uint64
	first := true
	for i, c := range oid {
		if sub > 1<<56 {
			return b, false
		}
		sub = sub<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			if i == len(oid)-1 {
				return b, false
			}
			continue
		}
		if first {
			x := min(sub/40, 2)
			b = strconv.AppendUint(b, x, 10)
			b = append(b, '.')
			b = strconv.AppendUint(b, sub-40*x, 10)
			first = false
		} else {
			b = append(b, '.')
			b = strconv.AppendUint(b, sub, 10)
		}
		sub = 0
	}
	return b, true
}

// Encoded OIDs of the system group and friends, compared as bytes so the
// walk allocates nothing.
var (
	oidSysDescr    = []byte{0x2b, 6, 1, 2, 1, 1, 1, 0}
	oidSysObjectID = []byte{0x2b, 6, 1, 2, 1, 1, 2, 0}
	oidSysContact  = []byte{0x2b, 6, 1, 2, 1, 1, 4, 0}
	oidSysName     = []byte{0x2b, 6, 1, 2, 1, 1, 5, 0}
	oidSysLocation = []byte{0x2b, 6, 1, 2, 1, 1, 6, 0}
	oidTrapOID     = []byte{0x2b, 6, 1, 6, 3, 1, 1, 4, 1, 0}
	prefixEnterp   = []byte{0x2b, 6, 1, 4, 1}
)

var pduNames = [...]string{
	"get-request", "get-next-request", "get-response", "set-request", "trap",
	"get-bulk-request", "inform-request", "snmpv2-trap", "report",
}

// Dissector reads SNMP datagrams.
type Dissector struct {
	obs observe.Observation
	buf []byte
	// Agents answer the same polls with the same values: emitted strings
	// come from bounded caches keyed by their bytes.
	texts observe.Interner // text() of wire bytes
	strs  observe.Interner // string() of formatted bytes (OIDs, addresses, numbers)
}

// New returns an SNMP dissector.
func New() *Dissector { return &Dissector{buf: make([]byte, 0, 128)} }

var _ dissect.UDPDissector = (*Dissector)(nil)

// Name is "snmp".
func (*Dissector) Name() string { return "snmp" }

// MatchUDP accepts datagrams to or from ports 161/162 that start like a
// BER SEQUENCE.
func (*Dissector) MatchUDP(sp, dp uint16, p []byte) bool {
	if len(p) < 2 || p[0] != tagSequence {
		return false
	}
	return sp == PortAgent || dp == PortAgent || sp == PortTrap || dp == PortTrap
}

// carriesValues reports whether a PDU type holds values describing its sender.
func carriesValues(tag byte) bool {
	switch tag {
	case 0xa2, 0xa4, 0xa6, 0xa7, 0xa8:
		return true
	}
	return false
}

// DissectUDP emits one observation per message: version, PDU type, the
// cleartext-community flag and any system-group values.
func (d *Dissector) DissectUDP(meta *dissect.Meta, p []byte, e observe.Emitter) error {
	var msg message
	err := parseMessage(p, &msg)
	if !msg.envelope {
		return err
	}
	o := &d.obs
	meta.Fill(o, "snmp")
	switch msg.version {
	case 0:
		o.Add("snmp.version", "v1")
	case 1:
		o.Add("snmp.version", "v2c")
	case 2:
		o.Add("snmp.version", "v2u")
	case 3:
		o.Add("snmp.version", "v3")
	}
	if msg.community {
		o.Add("snmp.cleartext_community", "seen")
	}
	if msg.hasPDU {
		o.Add("snmp.pdu", pduNames[msg.pduTag-0xa0])
	}
	if msg.version == 3 {
		d.v3(meta, &msg)
	}
	if len(msg.trapEnt) > 0 {
		if b, ok := appendOID(d.buf[:0], msg.trapEnt); ok {
			o.Add("snmp.trap_enterprise", d.strs.String(b))
		}
	}
	if len(msg.trapAgent) == 4 {
		d.buf = d.buf[:0]
		for i, c := range msg.trapAgent {
			if i > 0 {
				d.buf = append(d.buf, '.')
			}
			d.buf = strconv.AppendUint(d.buf, uint64(c), 10)
		}
		o.Add("snmp.agent_address", d.strs.String(d.buf))
	}
	if msg.hasPDU && carriesValues(msg.pduTag) {
		if werr := walkVarbinds(msg.varbinds, d.varbind); werr != nil && err == nil {
			err = werr
		}
	}
	e.Emit(o)
	return err
}

func (d *Dissector) v3(meta *dissect.Meta, msg *message) {
	o := &d.obs
	if len(msg.engineID) > 0 {
		id := msg.engineID[:min(len(msg.engineID), 32)]
		d.buf = hex.AppendEncode(d.buf[:0], id)
		o.Add("snmp.engine_id", d.strs.String(d.buf))
		// RFC 3411: a set top bit means the first four bytes carry the
		// vendor's IANA enterprise number, the fifth the format of the rest.
		if len(id) >= 5 && id[0]&0x80 != 0 {
			n := uint64(id[0]&0x7f)<<24 | uint64(id[1])<<16 | uint64(id[2])<<8 | uint64(id[3])
			d.buf = strconv.AppendUint(d.buf[:0], n, 10)
			o.Add("snmp.engine_enterprise", d.strs.String(d.buf))
			d.engineData(id[4], id[5:])
		}
		if owner := engineOwner(meta, msg); owner != "" {
			o.Add("snmp.engine_owner", owner)
		}
	}
	if msg.v3HasFlags {
		switch msg.v3Flags & 3 {
		case 0:
			o.Add("snmp.v3_security", "noAuthNoPriv")
		case 1:
			o.Add("snmp.v3_security", "authNoPriv")
		case 3:
			o.Add("snmp.v3_security", "authPriv")
		}
	}
}

// engineData adds what an RFC 3411 engine ID of the given format carries:
// the engine's MAC address (format 3, the usual choice of network gear
// and printers), IPv4 or IPv6 address (1, 2) or administrator text (4).
func (d *Dissector) engineData(format byte, data []byte) {
	o := &d.obs
	switch {
	case format == 1 && len(data) == 4:
		o.Add("snmp.engine_format", "ipv4")
		o.Add("snmp.engine_ip", d.strs.String(netip.AddrFrom4([4]byte(data)).AppendTo(d.buf[:0])))
	case format == 2 && len(data) == 16:
		o.Add("snmp.engine_format", "ipv6")
		o.Add("snmp.engine_ip", d.strs.String(netip.AddrFrom16([16]byte(data)).AppendTo(d.buf[:0])))
	case format == 3 && len(data) == 6:
		o.Add("snmp.engine_format", "mac")
		d.buf = d.buf[:0]
		for i, c := range data {
			if i > 0 {
				d.buf = append(d.buf, ':')
			}
			d.buf = hex.AppendEncode(d.buf, []byte{c})
		}
		o.Add("snmp.engine_mac", d.strs.String(d.buf))
	case format == 4 && dissect.PrintableASCII(data):
		o.Add("snmp.engine_format", "text")
		o.Add("snmp.engine_text", d.texts.Text(data, text))
	case format == 5:
		o.Add("snmp.engine_format", "octets")
	case format >= 128:
		o.Add("snmp.engine_format", "enterprise")
	}
}

// engineOwner says whose the authoritative engine is: the agent's, which
// is the sender of a response, report or SNMPv2 trap and the receiver of a
// request or inform. An encrypted PDU (authPriv) is judged by the ports:
// from the agent port 161 or to the trap port 162, the sender's.
func engineOwner(meta *dissect.Meta, msg *message) string {
	if msg.hasPDU {
		switch msg.pduTag {
		case 0xa2, 0xa7, 0xa8: // response, SNMPv2-trap, report
			return "sender"
		case 0xa0, 0xa1, 0xa3, 0xa5, 0xa6: // get, get-next, set, get-bulk, inform
			return "receiver"
		}
		return ""
	}
	switch {
	case meta.SrcPort == 161 || meta.DstPort == 162:
		return "sender"
	case meta.DstPort == 161:
		return "receiver"
	}
	return ""
}

// varbind adds a system-group value to the observation.
func (d *Dissector) varbind(oid []byte, tag byte, val []byte) bool {
	o := &d.obs
	switch {
	case tag == tagOctets && bytes.Equal(oid, oidSysDescr):
		o.Add("snmp.sys_descr", d.texts.Text(val, text))
	case tag == tagOctets && bytes.Equal(oid, oidSysName):
		o.Add("snmp.sys_name", d.texts.Text(val, text))
	case tag == tagOctets && bytes.Equal(oid, oidSysLocation):
		o.Add("snmp.sys_location", d.texts.Text(val, text))
	case tag == tagOctets && bytes.Equal(oid, oidSysContact):
		o.Add("snmp.sys_contact", d.texts.Text(val, text))
	case tag == tagOID && bytes.Equal(oid, oidSysObjectID):
		if b, ok := appendOID(d.buf[:0], val); ok {
			o.Add("snmp.sys_object_id", d.strs.String(b))
		}
		if ent, ok := enterprise(val); ok {
			d.buf = strconv.AppendUint(d.buf[:0], ent, 10)
			o.Add("snmp.enterprise", d.strs.String(d.buf))
		}
	case tag == tagOID && bytes.Equal(oid, oidTrapOID):
		if b, ok := appendOID(d.buf[:0], val); ok {
			o.Add("snmp.trap_oid", d.strs.String(b))
		}
	}
	return true
}

// enterprise returns N of an OID under 1.3.6.1.4.1.N.
func enterprise(oid []byte) (uint64, bool) {
	if !bytes.HasPrefix(oid, prefixEnterp) {
		return 0, false
	}
	var n uint64
	for i, c := range oid[len(prefixEnterp):] {
		if i == 5 {
			return 0, false
		}
		n = n<<7 | uint64(c&0x7f)
		if c&0x80 == 0 {
			return n, true
		}
	}
	return 0, false
}

// text makes wire bytes a clean, bounded string.
func text(v []byte) string {
	for len(v) > 0 && (v[len(v)-1] == 0 || v[len(v)-1] == ' ') {
		v = v[:len(v)-1]
	}
	if len(v) > maxText {
		v = v[:maxText]
	}
	if len(v) == 0 {
		return ""
	}
	s := string(v)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.TrimSpace(s)
}
