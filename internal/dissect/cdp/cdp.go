// Package cdp reads Cisco Discovery Protocol frames. Cisco switches, routers,
// access points and IP phones announce their hostname, platform, full IOS
// version and management address in every CDP frame; the fields describe
// the frame's sender.
package cdp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// snap is the LLC/SNAP header of CDP: DSAP/SSAP 0xAA, UI, Cisco OUI, PID 0x2000.
var snap = []byte{0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00}

const (
	maxText = 256
	// maxVersion is larger: the software version TLV is the multi-line IOS
	// banner, and the version number is rarely on the first line only.
	maxVersion = 1024
)

var (
	errSNAP   = fmt.Errorf("cdp llc/snap header: %w", dissect.ErrMalformed)
	errHeader = fmt.Errorf("cdp header: %w", dissect.ErrTruncated)
	errTLV    = fmt.Errorf("cdp tlv: %w", dissect.ErrTruncated)
	errTLVLen = fmt.Errorf("cdp tlv length below header size: %w", dissect.ErrMalformed)
	errEmpty  = fmt.Errorf("cdp: no device id: %w", dissect.ErrMalformed)
)

// Dissector reads CDP frames.
type Dissector struct {
	obs  observe.Observation
	buf  []byte
	strs observe.Interner // switches repeat the same announcement every minute
}

// New returns a CDP dissector.
func New() *Dissector { return &Dissector{buf: make([]byte, 0, 64)} }

var _ dissect.FrameDissector = (*Dissector)(nil)

// Name is "cdp".
func (*Dissector) Name() string { return "cdp" }

// MatchFrame accepts 802.3 length frames (the decoder passes etherType 0,
// or the length itself behind an 802.1Q tag) whose LLC/SNAP header names
// Cisco's CDP.
func (*Dissector) MatchFrame(etherType uint16, _ net.HardwareAddr, p []byte) bool {
	return etherType < 0x0600 && bytes.HasPrefix(p, snap)
}

type tlvs struct {
	deviceID, platform, version, portID []byte
	vtp, sysName                        []byte
	addr, mgmtAddr                      netip.Addr
	caps                                uint32
	hasCaps                             bool
	nativeVLAN                          int
	cdpVersion                          byte
}

// DissectFrame emits one observation per frame. p starts at the LLC header.
func (d *Dissector) DissectFrame(m *dissect.Meta, p []byte, e observe.Emitter) error {
	if !bytes.HasPrefix(p, snap) {
		return errSNAP
	}
	p = p[len(snap):]
	if len(p) < 4 {
		return errHeader
	}
	t := tlvs{nativeVLAN: -1, cdpVersion: p[0]}
	err := parse(p[4:], &t)
	if t.deviceID == nil && t.platform == nil && !t.addr.IsValid() {
		if err == nil {
			err = errEmpty
		}
		return err
	}
	m.Fill(&d.obs, "cdp")
	d.obs.Add("cdp.device_id", d.text(t.deviceID, maxText))
	d.obs.Add("cdp.platform", d.text(t.platform, maxText))
	d.obs.Add("cdp.software_version", d.text(t.version, maxVersion))
	d.obs.Add("cdp.port_id", d.text(t.portID, maxText))
	if t.nativeVLAN >= 0 {
		d.buf = strconv.AppendInt(d.buf[:0], int64(t.nativeVLAN), 10)
		d.obs.Add("cdp.native_vlan", d.strs.String(d.buf))
	}
	if t.mgmtAddr.IsValid() {
		d.buf = t.mgmtAddr.AppendTo(d.buf[:0])
		d.obs.Add("cdp.address", d.strs.String(d.buf))
	} else if t.addr.IsValid() {
		d.buf = t.addr.AppendTo(d.buf[:0])
		d.obs.Add("cdp.address", d.strs.String(d.buf))
	}
	if t.hasCaps {
		d.obs.Add("cdp.capabilities", d.capNames(t.caps))
	}
	d.obs.Add("cdp.vtp_domain", d.text(t.vtp, maxText))
	d.obs.Add("cdp.system_name", d.text(t.sysName, maxText))
	switch t.cdpVersion {
	case 1:
		d.obs.Add("cdp.version", "1")
	case 2:
		d.obs.Add("cdp.version", "2")
	}
	e.Emit(&d.obs)
	return err
}

func parse(p []byte, t *tlvs) error {
	for len(p) > 0 {
		if len(p) < 4 {
			return errTLV
		}
		typ, n := binary.BigEndian.Uint16(p), int(binary.BigEndian.Uint16(p[2:]))
		if n < 4 {
			return errTLVLen
		}
		if n > len(p) {
			return errTLV
		}
		v := p[4:n]
		p = p[n:]
		switch typ {
		case 0x0001:
			t.deviceID = v
		case 0x0002:
			if !t.addr.IsValid() {
				t.addr = firstAddr(v)
			}
		case 0x0003:
			t.portID = v
		case 0x0004:
			if len(v) >= 4 {
				t.caps, t.hasCaps = binary.BigEndian.Uint32(v), true
			}
		case 0x0005:
			t.version = v
		case 0x0006:
			t.platform = v
		case 0x0009:
			t.vtp = v
		case 0x000a:
			if len(v) >= 2 {
				t.nativeVLAN = int(binary.BigEndian.Uint16(v))
			}
		case 0x0014:
			t.sysName = v
		case 0x0016:
			if !t.mgmtAddr.IsValid() {
				t.mgmtAddr = firstAddr(v)
			}
		}
	}
	return nil
}

// ipv6SNAP is the 802.2 protocol identifier CDP uses for IPv6 addresses.
var ipv6SNAP = []byte{0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x86, 0xdd}

// firstAddr returns the first usable IPv4 or IPv6 address of an address
// list TLV. 0.0.0.0 (sent by switches with no management IP) is skipped: it
// identifies nothing.
func firstAddr(v []byte) netip.Addr {
	if len(v) < 4 {
		return netip.Addr{}
	}
	count := binary.BigEndian.Uint32(v)
	v = v[4:]
	for i := uint32(0); i < count && len(v) >= 2; i++ {
		ptype, plen := v[0], int(v[1])
		if len(v) < 2+plen+2 {
			break
		}
		proto := v[2 : 2+plen]
		alen := int(binary.BigEndian.Uint16(v[2+plen:]))
		v = v[2+plen+2:]
		if alen > len(v) {
			break
		}
		a := v[:alen]
		v = v[alen:]
		var ip netip.Addr
		switch {
		case ptype == 1 && plen == 1 && proto[0] == 0xcc && alen == 4:
			ip = netip.AddrFrom4([4]byte(a))
		case ptype == 2 && bytes.Equal(proto, ipv6SNAP) && alen == 16:
			ip = netip.AddrFrom16([16]byte(a))
		}
		if ip.IsValid() && !ip.IsUnspecified() {
			return ip
		}
	}
	return netip.Addr{}
}

var capBits = [...]string{"router", "bridge", "source_route_bridge", "switch", "host", "igmp", "repeater", "phone", "remote_managed", "cvta", "mac_relay"}

func (d *Dissector) capNames(c uint32) string {
	d.buf = d.buf[:0]
	for i, n := range capBits {
		if c&(1<<i) == 0 {
			continue
		}
		if len(d.buf) > 0 {
			d.buf = append(d.buf, ',')
		}
		d.buf = append(d.buf, n...)
	}
	return d.strs.String(d.buf)
}

// text makes wire bytes a clean, bounded string, shared while the same
// bytes recur (switches repeat their announcement every minute).
func (d *Dissector) text(v []byte, limit int) string {
	for len(v) > 0 && (v[len(v)-1] == 0 || v[len(v)-1] == ' ') {
		v = v[:len(v)-1]
	}
	if len(v) > limit {
		v = v[:limit]
	}
	if !utf8.Valid(v) {
		return strings.TrimSpace(strings.ToValidUTF8(string(v), "\uFFFD"))
	}
	return d.strs.String(bytes.TrimSpace(v))
}
