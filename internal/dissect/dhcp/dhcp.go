// Package dhcp reads DHCPv4 (RFC 2131/2132) messages. A client's DISCOVER
// and REQUEST name it (hostname, FQDN, vendor class) and fingerprint its
// stack (parameter request list, option order); the server's OFFER and ACK
// tell the address it gets; relay agent information (option 82) names the
// switch port it is plugged into.
package dhcp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

const (
	headerLen  = 236 // fixed BOOTP header before the magic cookie
	maxHexByte = 64  // opaque option bytes shown as hex, at most
	maxText    = 256
)

var magicCookie = []byte{99, 130, 83, 99}

// Dissector reads DHCPv4 datagrams on ports 67/68.
type Dissector struct {
	cfg Config
	obs observe.Observation
	opt options
	buf []byte
	// Clients renew and re-announce with the same values: emitted strings
	// come from bounded caches keyed by their bytes.
	texts observe.Interner // text() of wire bytes
	strs  observe.Interner // string() of formatted bytes (addresses, hex, lists)
}

// options holds the offsets of the options Ward reads, for one message.
// Each is a slice of the datagram, valid only during DissectUDP.
type options struct {
	msgType                                                 int
	hostname, vendorClass, prl, clientID, requestedIP, fqdn []byte
	serverID, relay, vendorSpecific, userClass, domain      []byte
	viClass, viSpecific                                     []byte
	overload                                                byte
	order                                                   []byte // option codes in order of appearance
}

// New returns a DHCPv4 dissector.
func New() *Dissector { return &Dissector{cfg: defaultConfig()} }

var _ dissect.UDPDissector = (*Dissector)(nil)

// Name is "dhcp".
func (*Dissector) Name() string { return "dhcp" }

// MatchUDP accepts datagrams between the BOOTP ports (67↔68, and 67↔67
// between relays and servers) that carry the DHCP magic cookie.
func (d *Dissector) MatchUDP(srcPort, dstPort uint16, p []byte) bool {
	if !d.cfg.port(srcPort) || !d.cfg.port(dstPort) {
		return false
	}
	return len(p) >= headerLen+4 && bytes.Equal(p[headerLen:headerLen+4], magicCookie)
}

// DissectUDP emits one observation per message; see the package README of
// fields in docs/observations.md. Fields:
// dhcp.message_type, dhcp.op, dhcp.client_mac, dhcp.client_ip,
// dhcp.your_ip, dhcp.relay_ip, dhcp.hostname, dhcp.fqdn, dhcp.vendor_class,
// dhcp.user_class, dhcp.param_request_list, dhcp.options, dhcp.client_id,
// dhcp.requested_ip, dhcp.server_id, dhcp.domain, dhcp.vendor_specific,
// dhcp.enterprise, dhcp.vi_vendor_class, dhcp.relay_circuit_id,
// dhcp.relay_remote_id.
func (d *Dissector) DissectUDP(m *dissect.Meta, p []byte, e observe.Emitter) error {
	if len(p) < headerLen+4 {
		return fmt.Errorf("dhcp header: %w", dissect.ErrTruncated)
	}
	if !bytes.Equal(p[headerLen:headerLen+4], magicCookie) {
		return fmt.Errorf("dhcp magic cookie: %w", dissect.ErrMalformed)
	}
	op := p[0]
	if op != 1 && op != 2 {
		return fmt.Errorf("dhcp op %d: %w", op, dissect.ErrMalformed)
	}
	d.opt = options{msgType: -1, order: d.opt.order[:0]}
	if err := d.parseOptions(p[headerLen+4:]); err != nil {
		return err
	}
	// Option overload (RFC 2132 §9.3): the file and sname fields hold more options.
	if d.opt.overload&1 != 0 {
		_ = d.parseOptions(p[108:236])
	}
	if d.opt.overload&2 != 0 {
		_ = d.parseOptions(p[44:108])
	}
	if d.opt.msgType < 0 {
		// Plain BOOTP: no DHCP message type; still a MAC and maybe a name.
		d.opt.msgType = 0
	}

	m.Fill(&d.obs, "dhcp")
	o := &d.obs
	if name := messageType(d.opt.msgType); name != "" {
		o.Add("dhcp.message_type", name)
	}
	if op == 1 {
		o.Add("dhcp.op", "request")
	} else {
		o.Add("dhcp.op", "reply")
	}
	hlen := int(p[2])
	if hlen > 16 {
		hlen = 16
	}
	if hlen > 0 {
		// For Ethernet this is what net.HardwareAddr.String prints.
		o.Add("dhcp.client_mac", d.hex(p[28:28+hlen]))
	}
	d.addIP(o, "dhcp.client_ip", p[12:16])
	if op == 2 {
		d.addIP(o, "dhcp.your_ip", p[16:20])
	}
	d.addIP(o, "dhcp.relay_ip", p[24:28])
	o.Add("dhcp.hostname", d.texts.Text(d.opt.hostname, text))
	d.addFQDN(o)
	o.Add("dhcp.vendor_class", d.texts.Text(d.opt.vendorClass, text))
	d.addUserClass(o)
	if len(d.opt.prl) > 0 {
		o.Add("dhcp.param_request_list", d.decimalList(d.opt.prl))
	}
	if len(d.opt.order) > 0 {
		o.Add("dhcp.options", d.decimalList(d.opt.order))
	}
	if len(d.opt.clientID) > 0 {
		o.Add("dhcp.client_id", d.hex(d.opt.clientID))
	}
	d.addIP(o, "dhcp.requested_ip", d.opt.requestedIP)
	d.addIP(o, "dhcp.server_id", d.opt.serverID)
	o.Add("dhcp.domain", d.texts.Text(d.opt.domain, text))
	if len(d.opt.vendorSpecific) > 0 {
		o.Add("dhcp.vendor_specific", d.hex(d.opt.vendorSpecific))
	}
	d.addVendorIdentifying(o)
	d.addRelay(o)
	e.Emit(o)
	return nil
}

// parseOptions walks one option area, recording the options Ward reads.
// Loops are bounded by the area's length: each step consumes >= 1 byte.
func (d *Dissector) parseOptions(b []byte) error {
	for i := 0; i < len(b); {
		code := b[i]
		if code == 0 { // pad
			i++
			continue
		}
		if code == 255 { // end
			return nil
		}
		if i+2 > len(b) {
			return fmt.Errorf("dhcp option %d length: %w", code, dissect.ErrTruncated)
		}
		l := int(b[i+1])
		if i+2+l > len(b) {
			return fmt.Errorf("dhcp option %d value: %w", code, dissect.ErrTruncated)
		}
		v := b[i+2 : i+2+l]
		i += 2 + l
		if len(d.opt.order) < 255 {
			d.opt.order = append(d.opt.order, code)
		}
		switch code {
		case 53:
			if l >= 1 && d.opt.msgType < 0 {
				d.opt.msgType = int(v[0])
			}
		case 12:
			d.opt.hostname = first(d.opt.hostname, v)
		case 60:
			d.opt.vendorClass = first(d.opt.vendorClass, v)
		case 55:
			d.opt.prl = first(d.opt.prl, v)
		case 61:
			d.opt.clientID = first(d.opt.clientID, v)
		case 50:
			d.opt.requestedIP = first(d.opt.requestedIP, v)
		case 81:
			d.opt.fqdn = first(d.opt.fqdn, v)
		case 54:
			d.opt.serverID = first(d.opt.serverID, v)
		case 82:
			d.opt.relay = first(d.opt.relay, v)
		case 43:
			d.opt.vendorSpecific = first(d.opt.vendorSpecific, v)
		case 77:
			d.opt.userClass = first(d.opt.userClass, v)
		case 15:
			d.opt.domain = first(d.opt.domain, v)
		case 124:
			d.opt.viClass = first(d.opt.viClass, v)
		case 125:
			d.opt.viSpecific = first(d.opt.viSpecific, v)
		case 52:
			if l >= 1 {
				d.opt.overload = v[0]
			}
		}
	}
	// No end option: tolerated, many captures are snapped.
	return nil
}

func first(have, v []byte) []byte {
	if have != nil {
		return have
	}
	if v == nil {
		return []byte{}
	}
	return v
}

// addFQDN reads option 81 (RFC 4702): flags, two obsolete RCODE bytes, then
// the name, in DNS wire format when the E flag is set, else ASCII.
func (d *Dissector) addFQDN(o *observe.Observation) {
	v := d.opt.fqdn
	if len(v) < 4 {
		return
	}
	flags, name := v[0], v[3:]
	if flags&0x04 == 0 {
		o.Add("dhcp.fqdn", strings.TrimSuffix(d.texts.Text(name, text), "."))
		return
	}
	d.buf = appendWireName(d.buf[:0], name)
	o.Add("dhcp.fqdn", d.texts.Text(d.buf, text))
}

// appendWireName decodes uncompressed DNS labels (compression is not
// allowed in option 81), stopping at the root label or the end.
func appendWireName(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		l := int(b[i])
		if l == 0 || l&0xc0 != 0 || i+1+l > len(b) {
			break
		}
		if len(dst) > 0 {
			dst = append(dst, '.')
		}
		dst = append(dst, b[i+1:i+1+l]...)
		i += 1 + l
	}
	return dst
}

// addUserClass reads option 77: RFC 3004 length-prefixed class strings, or
// (as Windows and many others send it) one plain string.
func (d *Dissector) addUserClass(o *observe.Observation) {
	v := d.opt.userClass
	if len(v) == 0 {
		return
	}
	d.buf = d.buf[:0]
	ok := true
	for i := 0; i < len(v); {
		l := int(v[i])
		if l == 0 || i+1+l > len(v) {
			ok = false
			break
		}
		if len(d.buf) > 0 {
			d.buf = append(d.buf, ',')
		}
		d.buf = append(d.buf, v[i+1:i+1+l]...)
		i += 1 + l
	}
	if !ok || !dissect.PrintableASCII(d.buf) {
		d.buf = append(d.buf[:0], v...)
	}
	o.Add("dhcp.user_class", d.texts.Text(d.buf, text))
}

// addVendorIdentifying reads RFC 3925 options 124 (V-I vendor class: per
// enterprise, length-prefixed class strings) and 125 (V-I vendor-specific
// information): dhcp.vi_vendor_class "<enterprise>:<s1>,<s2>" for the first
// enterprise of 124, and dhcp.enterprise, the first enterprise number of
// 124, else 125.
func (d *Dissector) addVendorIdentifying(o *observe.Observation) {
	v := d.opt.viClass
	if len(v) < 5 {
		v = d.opt.viSpecific
		if len(v) >= 4 {
			d.buf = strconv.AppendUint(d.buf[:0], uint64(binary.BigEndian.Uint32(v)), 10)
			o.Add("dhcp.enterprise", d.strs.String(d.buf))
		}
		return
	}
	d.buf = strconv.AppendUint(d.buf[:0], uint64(binary.BigEndian.Uint32(v)), 10)
	o.Add("dhcp.enterprise", d.strs.String(d.buf))
	d.buf = append(d.buf, ':')
	n := len(d.buf)
	data := v[5:]
	if l := int(v[4]); l < len(data) {
		data = data[:l]
	}
	for i := 0; i < len(data); {
		l := int(data[i])
		if l == 0 || i+1+l > len(data) || len(d.buf)+l > maxText {
			break
		}
		if len(d.buf) > n {
			d.buf = append(d.buf, ',')
		}
		d.buf = append(d.buf, data[i+1:i+1+l]...)
		i += 1 + l
	}
	if len(d.buf) > n {
		o.Add("dhcp.vi_vendor_class", strings.ToValidUTF8(string(d.buf), "\uFFFD"))
	}
}

// addRelay reads option 82 (RFC 3046) sub-options 1 (circuit ID) and 2
// (remote ID): which switch and port the client is attached to.
func (d *Dissector) addRelay(o *observe.Observation) {
	v := d.opt.relay
	for i := 0; i+2 <= len(v); {
		sub, l := v[i], int(v[i+1])
		if i+2+l > len(v) {
			return
		}
		val := v[i+2 : i+2+l]
		i += 2 + l
		switch sub {
		case 1:
			o.Add("dhcp.relay_circuit_id", d.textOrHex(val))
		case 2:
			o.Add("dhcp.relay_remote_id", d.textOrHex(val))
		}
	}
}

func (d *Dissector) textOrHex(v []byte) string {
	if dissect.PrintableASCII(v) {
		return d.texts.Text(v, text)
	}
	return d.hex(v)
}

// hex formats v as lower-case colon-separated bytes, capped at maxHexByte.
func (d *Dissector) hex(v []byte) string {
	const digits = "0123456789abcdef"
	if len(v) > maxHexByte {
		v = v[:maxHexByte]
	}
	d.buf = d.buf[:0]
	for i, c := range v {
		if i > 0 {
			d.buf = append(d.buf, ':')
		}
		d.buf = append(d.buf, digits[c>>4], digits[c&0xf])
	}
	return d.strs.String(d.buf)
}

func (d *Dissector) decimalList(v []byte) string {
	d.buf = d.buf[:0]
	for i, c := range v {
		if i > 0 {
			d.buf = append(d.buf, ',')
		}
		d.buf = strconv.AppendUint(d.buf, uint64(c), 10)
	}
	return d.strs.String(d.buf)
}

func (d *Dissector) addIP(o *observe.Observation, key string, v []byte) {
	if len(v) != 4 {
		return
	}
	a := netip.AddrFrom4([4]byte(v))
	if a.IsUnspecified() {
		return
	}
	d.buf = a.AppendTo(d.buf[:0])
	o.Add(key, d.strs.String(d.buf))
}

func text(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	b = bytes.TrimSpace(b)
	if len(b) > maxText {
		b = b[:maxText]
	}
	if len(b) == 0 {
		return ""
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// messageType names option 53 values (RFC 2132, 4388 leasequery, 6926
// bulk leasequery); 0 means plain BOOTP.
func messageType(t int) string {
	switch t {
	case 0:
		return "bootp"
	case 1:
		return "discover"
	case 2:
		return "offer"
	case 3:
		return "request"
	case 4:
		return "decline"
	case 5:
		return "ack"
	case 6:
		return "nak"
	case 7:
		return "release"
	case 8:
		return "inform"
	case 9:
		return "forcerenew"
	case 10:
		return "leasequery"
	case 11:
		return "leaseunassigned"
	case 12:
		return "leaseunknown"
	case 13:
		return "leaseactive"
	case 14:
		return "bulkleasequery"
	case 15:
		return "leasequerydone"
	case 16:
		return "activeleasequery"
	case 17:
		return "leasequerystatus"
	case 18:
		return "tls"
	default:
		return "unknown"
	}
}
