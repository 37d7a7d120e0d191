// Package dhcpv6 reads DHCPv6 (RFC 8415) messages on ports 546/547. The
// client's DUID often embeds its MAC (DUID-LL/LLT), the vendor class names
// the stack ("311:MSFT 5.0"), the FQDN option names the host, and a relay's
// options say where the client is attached.
package dhcpv6

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

const (
	maxRelayDepth = 32 // RFC 8415 HOP_COUNT_LIMIT
	maxHexBytes   = 130
	maxText       = 256
)

// Option codes read (RFC 8415 §21 unless noted).
const (
	optClientID    = 1
	optServerID    = 2
	optIANA        = 3
	optIATA        = 4
	optIAAddr      = 5
	optORO         = 6
	optRelayMsg    = 9
	optUserClass   = 15
	optVendorClass = 16
	optVendorOpts  = 17
	optInterfaceID = 18
	optIAPD        = 25
	optIAPrefix    = 26
	optRemoteID    = 37 // RFC 4649
	optClientFQDN  = 39 // RFC 4704
	optClientLLA   = 79 // RFC 6939
)

// msg holds what one message (and its relay wrappers) said; slices point
// into the datagram and are used only during DissectUDP.
type msg struct {
	msgType                               byte
	relayed                               bool
	peer, link                            []byte
	interfaceID, remoteID, clientLLA      []byte
	clientID, serverID, vendorClass, fqdn []byte
	userClass, oro, vendorOpts, addr, pfx []byte
	order                                 []uint16
}

// Dissector reads DHCPv6 datagrams.
type Dissector struct {
	cfg  Config
	obs  observe.Observation
	m    msg
	buf  []byte
	list []byte // joined strings, built while buf formats each
	// Clients renew with the same values: emitted strings come from
	// bounded caches keyed by their bytes.
	texts observe.Interner // text() of wire bytes
	strs  observe.Interner // string() of formatted bytes
}

// New returns a DHCPv6 dissector.
func New() *Dissector { return &Dissector{cfg: defaultConfig()} }

var _ dissect.UDPDissector = (*Dissector)(nil)

// Name is "dhcpv6".
func (*Dissector) Name() string { return "dhcpv6" }

// MatchUDP accepts datagrams between the DHCPv6 ports with a known message type.
func (d *Dissector) MatchUDP(srcPort, dstPort uint16, p []byte) bool {
	if !d.cfg.port(srcPort) || !d.cfg.port(dstPort) || len(p) < 4 {
		return false
	}
	return p[0] >= 1 && p[0] <= 21
}

// DissectUDP emits one observation per datagram, describing the innermost
// (client or server) message and the relay closest to the client. Fields:
// dhcpv6.message_type, dhcpv6.duid, dhcpv6.duid_type, dhcpv6.duid_mac,
// dhcpv6.duid_enterprise, dhcpv6.server_duid, dhcpv6.vendor_class,
// dhcpv6.enterprise, dhcpv6.user_class, dhcpv6.fqdn, dhcpv6.option_request,
// dhcpv6.options, dhcpv6.address, dhcpv6.prefix, dhcpv6.relayed,
// dhcpv6.peer_address, dhcpv6.link_address, dhcpv6.relay_interface_id,
// dhcpv6.relay_remote_id, dhcpv6.client_mac.
func (d *Dissector) DissectUDP(m *dissect.Meta, p []byte, e observe.Emitter) error {
	d.m = msg{order: d.m.order[:0]}
	for depth := 0; ; depth++ {
		if len(p) < 4 {
			return fmt.Errorf("dhcpv6 header: %w", dissect.ErrTruncated)
		}
		t := p[0]
		if t != 12 && t != 13 {
			d.m.msgType = t
			if err := d.options(p[4:], 0); err != nil {
				return err
			}
			break
		}
		if depth >= maxRelayDepth {
			return fmt.Errorf("dhcpv6 relay nesting over %d: %w", maxRelayDepth, dissect.ErrMalformed)
		}
		if len(p) < 34 {
			return fmt.Errorf("dhcpv6 relay header: %w", dissect.ErrTruncated)
		}
		d.m.relayed = true
		d.m.link, d.m.peer = p[2:18], p[18:34]
		inner, err := d.relayOptions(p[34:])
		if err != nil {
			return err
		}
		if inner == nil {
			d.m.msgType = t // relay without a relayed message: report the relay itself
			break
		}
		p = inner
	}
	d.emit(m, e)
	return nil
}

// relayOptions records a relay's options (inner relays overwrite outer
// ones: the innermost is closest to the client) and returns the Relay
// Message option's value.
func (d *Dissector) relayOptions(b []byte) ([]byte, error) {
	var inner []byte
	err := walk(b, func(code uint16, v []byte) {
		switch code {
		case optRelayMsg:
			inner = v
		case optInterfaceID:
			d.m.interfaceID = v
		case optRemoteID:
			d.m.remoteID = v
		case optClientLLA:
			d.m.clientLLA = v
		}
	})
	return inner, err
}

// options records a client/server message's options. depth > 0 is inside
// an IA option, where only addresses and prefixes matter.
func (d *Dissector) options(b []byte, depth int) error {
	return walk(b, func(code uint16, v []byte) {
		if depth == 0 && len(d.m.order) < 128 {
			d.m.order = append(d.m.order, code)
		}
		switch code {
		case optClientID:
			setFirst(&d.m.clientID, v)
		case optServerID:
			setFirst(&d.m.serverID, v)
		case optVendorClass:
			setFirst(&d.m.vendorClass, v)
		case optVendorOpts:
			setFirst(&d.m.vendorOpts, v)
		case optClientFQDN:
			setFirst(&d.m.fqdn, v)
		case optUserClass:
			setFirst(&d.m.userClass, v)
		case optORO:
			setFirst(&d.m.oro, v)
		case optIANA, optIAPD:
			if depth == 0 && len(v) >= 12 {
				_ = d.options(v[12:], 1)
			}
		case optIATA:
			if depth == 0 && len(v) >= 4 {
				_ = d.options(v[4:], 1)
			}
		case optIAAddr:
			if depth == 1 && len(v) >= 16 {
				setFirst(&d.m.addr, v[:16])
			}
		case optIAPrefix:
			if depth == 1 && len(v) >= 25 {
				setFirst(&d.m.pfx, v[8:25])
			}
		}
	})
}

func setFirst(dst *[]byte, v []byte) {
	if *dst == nil {
		if v == nil {
			v = []byte{}
		}
		*dst = v
	}
}

// walk calls f for each option in b; each step consumes at least 4 bytes.
func walk(b []byte, f func(code uint16, v []byte)) error {
	for len(b) > 0 {
		if len(b) < 4 {
			return fmt.Errorf("dhcpv6 option header: %w", dissect.ErrTruncated)
		}
		code, l := binary.BigEndian.Uint16(b[0:2]), int(binary.BigEndian.Uint16(b[2:4]))
		if 4+l > len(b) {
			return fmt.Errorf("dhcpv6 option %d: %w", code, dissect.ErrTruncated)
		}
		f(code, b[4:4+l])
		b = b[4+l:]
	}
	return nil
}

func (d *Dissector) emit(m *dissect.Meta, e observe.Emitter) {
	o := &d.obs
	m.Fill(o, "dhcpv6")
	o.Add("dhcpv6.message_type", messageType(d.m.msgType))
	if len(d.m.clientID) > 0 {
		o.Add("dhcpv6.duid", d.hex(d.m.clientID))
		d.addDUID(o, d.m.clientID)
	}
	if len(d.m.serverID) > 0 {
		o.Add("dhcpv6.server_duid", d.hex(d.m.serverID))
	}
	d.addVendorClass(o)
	if len(d.m.userClass) > 0 {
		o.Add("dhcpv6.user_class", d.strings(d.m.userClass))
	}
	d.addFQDN(o)
	if len(d.m.oro) >= 2 {
		d.buf = d.buf[:0]
		for i := 0; i+2 <= len(d.m.oro); i += 2 {
			if i > 0 {
				d.buf = append(d.buf, ',')
			}
			d.buf = strconv.AppendUint(d.buf, uint64(binary.BigEndian.Uint16(d.m.oro[i:])), 10)
		}
		o.Add("dhcpv6.option_request", d.strs.String(d.buf))
	}
	if len(d.m.order) > 0 {
		d.buf = d.buf[:0]
		for i, c := range d.m.order {
			if i > 0 {
				d.buf = append(d.buf, ',')
			}
			d.buf = strconv.AppendUint(d.buf, uint64(c), 10)
		}
		o.Add("dhcpv6.options", d.strs.String(d.buf))
	}
	if len(d.m.addr) == 16 {
		d.buf = netip.AddrFrom16([16]byte(d.m.addr)).AppendTo(d.buf[:0])
		o.Add("dhcpv6.address", d.strs.String(d.buf))
	}
	if len(d.m.pfx) == 17 {
		a := netip.AddrFrom16([16]byte(d.m.pfx[1:]))
		if pf, err := a.Prefix(int(d.m.pfx[0])); err == nil {
			d.buf = pf.AppendTo(d.buf[:0])
			o.Add("dhcpv6.prefix", d.strs.String(d.buf))
		}
	}
	if d.m.relayed {
		o.Add("dhcpv6.relayed", "1")
		d.addAddr(o, "dhcpv6.peer_address", d.m.peer)
		d.addAddr(o, "dhcpv6.link_address", d.m.link)
		if len(d.m.interfaceID) > 0 {
			o.Add("dhcpv6.relay_interface_id", d.textOrHex(d.m.interfaceID))
		}
		if len(d.m.remoteID) > 4 {
			id := d.textOrHex(d.m.remoteID[4:]) // uses d.buf: call before formatting the number
			d.buf = strconv.AppendUint(d.buf[:0], uint64(binary.BigEndian.Uint32(d.m.remoteID)), 10)
			d.buf = append(d.buf, ':')
			d.buf = append(d.buf, id...)
			o.Add("dhcpv6.relay_remote_id", d.strs.String(d.buf))
		}
		// RFC 6939: link-layer type 1 (Ethernet) and the address.
		if v := d.m.clientLLA; len(v) == 8 && binary.BigEndian.Uint16(v) == 1 {
			d.buf = observe.AppendMAC(d.buf[:0], v[2:8])
			o.Add("dhcpv6.client_mac", d.strs.String(d.buf))
		}
	}
	e.Emit(o)
}

// addDUID reads the DUID types of RFC 8415 §11 and RFC 6355.
func (d *Dissector) addDUID(o *observe.Observation, v []byte) {
	if len(v) < 2 {
		return
	}
	var lla []byte
	var hw uint16
	switch binary.BigEndian.Uint16(v) {
	case 1: // LLT: type, hardware type, time, address
		o.Add("dhcpv6.duid_type", "llt")
		if len(v) >= 8 {
			hw, lla = binary.BigEndian.Uint16(v[2:4]), v[8:]
		}
	case 2: // EN: type, enterprise number, identifier
		o.Add("dhcpv6.duid_type", "en")
		if len(v) >= 6 {
			d.buf = strconv.AppendUint(d.buf[:0], uint64(binary.BigEndian.Uint32(v[2:6])), 10)
			o.Add("dhcpv6.duid_enterprise", d.strs.String(d.buf))
		}
	case 3: // LL: type, hardware type, address
		o.Add("dhcpv6.duid_type", "ll")
		if len(v) >= 4 {
			hw, lla = binary.BigEndian.Uint16(v[2:4]), v[4:]
		}
	case 4:
		o.Add("dhcpv6.duid_type", "uuid")
	}
	if hw == 1 && len(lla) == 6 {
		d.buf = observe.AppendMAC(d.buf[:0], lla)
		o.Add("dhcpv6.duid_mac", d.strs.String(d.buf))
	} else if len(lla) > 0 {
		o.Add("dhcpv6.duid_mac", d.hex(lla))
	}
}

// addVendorClass reads option 16 (enterprise number, then length-prefixed
// class strings) as "<enterprise>:<s1>,<s2>", and the enterprise number
// alone from option 16, else option 17.
func (d *Dissector) addVendorClass(o *observe.Observation) {
	if v := d.m.vendorClass; len(v) >= 4 {
		data := d.strings(v[4:]) // uses d.buf: call before formatting the number
		d.buf = strconv.AppendUint(d.buf[:0], uint64(binary.BigEndian.Uint32(v)), 10)
		o.Add("dhcpv6.enterprise", d.strs.String(d.buf))
		d.buf = append(d.buf, ':')
		d.buf = append(d.buf, data...)
		o.Add("dhcpv6.vendor_class", d.strs.String(d.buf))
		return
	}
	if v := d.m.vendorOpts; len(v) >= 4 {
		d.buf = strconv.AppendUint(d.buf[:0], uint64(binary.BigEndian.Uint32(v)), 10)
		o.Add("dhcpv6.enterprise", d.strs.String(d.buf))
	}
}

// strings joins 2-byte-length-prefixed strings (user and vendor class data)
// with ",", each made printable.
func (d *Dissector) strings(v []byte) string {
	d.list = d.list[:0]
	for len(v) >= 2 {
		l := int(binary.BigEndian.Uint16(v))
		if 2+l > len(v) {
			break
		}
		s := d.textOrHex(v[2 : 2+l])
		v = v[2+l:]
		if s == "" || len(d.list)+len(s) > maxText {
			continue
		}
		if len(d.list) > 0 {
			d.list = append(d.list, ',')
		}
		d.list = append(d.list, s...)
	}
	return d.strs.String(d.list)
}

// addFQDN reads option 39: flags, then a DNS wire-format name (possibly
// partial, without the root label).
func (d *Dissector) addFQDN(o *observe.Observation) {
	v := d.m.fqdn
	if len(v) < 2 {
		return
	}
	d.buf = d.buf[:0]
	for i := 1; i < len(v); {
		l := int(v[i])
		if l == 0 || l&0xc0 != 0 || i+1+l > len(v) {
			break
		}
		if len(d.buf) > 0 {
			d.buf = append(d.buf, '.')
		}
		d.buf = append(d.buf, v[i+1:i+1+l]...)
		i += 1 + l
	}
	o.Add("dhcpv6.fqdn", d.texts.Text(d.buf, text))
}

func (d *Dissector) textOrHex(v []byte) string {
	for _, c := range v {
		if c < 0x20 || c > 0x7e {
			if utf8.Valid(v) && c >= 0x80 {
				continue
			}
			return d.hex(v)
		}
	}
	return d.texts.Text(v, text)
}

// hex formats v as lower-case colon-separated bytes, capped.
func (d *Dissector) hex(v []byte) string {
	const digits = "0123456789abcdef"
	if len(v) > maxHexBytes {
		v = v[:maxHexBytes]
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

func (d *Dissector) addAddr(o *observe.Observation, key string, v []byte) {
	if len(v) != 16 {
		return
	}
	a := netip.AddrFrom16([16]byte(v))
	if a.IsUnspecified() {
		return
	}
	d.buf = a.Unmap().AppendTo(d.buf[:0])
	o.Add(key, d.strs.String(d.buf))
}

func text(b []byte) string {
	for len(b) > 0 && (b[len(b)-1] == 0 || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	if len(b) > maxText {
		b = b[:maxText]
	}
	if len(b) == 0 {
		return ""
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

var messageTypes = [...]string{
	1: "solicit", 2: "advertise", 3: "request", 4: "confirm", 5: "renew", 6: "rebind",
	7: "reply", 8: "release", 9: "decline", 10: "reconfigure", 11: "information-request",
	12: "relay-forw", 13: "relay-repl", 14: "leasequery", 15: "leasequery-reply",
	16: "leasequery-done", 17: "leasequery-data", 18: "reconfigure-request",
	19: "reconfigure-reply", 20: "dhcpv4-query", 21: "dhcpv4-response",
}

func messageType(t byte) string {
	if int(t) < len(messageTypes) && messageTypes[t] != "" {
		return messageTypes[t]
	}
	return "unknown"
}
