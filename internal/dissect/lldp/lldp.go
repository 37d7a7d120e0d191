// Package lldp reads IEEE 802.1AB Link Layer Discovery Protocol frames,
// including the LLDP-MED inventory TLVs (ANSI/TIA-1057) and the MUD URL
// (RFC 8520). An LLDPDU is sent by the device itself, switch or endpoint, so
// every field describes the frame's sender: a phone or an infusion pump
// announcing its manufacturer, model and serial number is as good an
// identity as the wire offers.
package lldp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// EtherType is LLDP's EtherType.
const EtherType = 0x88cc

// maxText caps every text value taken from the wire.
const maxText = 256

// maxMgmt caps how many management addresses one frame may yield.
const maxMgmt = 8

// Errors are preallocated so a bad frame costs no allocation.
var (
	errShort   = fmt.Errorf("lldp tlv header: %w", dissect.ErrTruncated)
	errTLVLen  = fmt.Errorf("lldp tlv length beyond frame: %w", dissect.ErrTruncated)
	errNoChass = fmt.Errorf("lldp: first tlv is not a chassis id: %w", dissect.ErrMalformed)
)

// Dissector reads LLDP frames. It keeps one reusable observation.
type Dissector struct {
	obs  observe.Observation
	buf  []byte
	strs observe.Interner // switches repeat the same LLDPDU every 30 s
}

// New returns an LLDP dissector.
func New() *Dissector { return &Dissector{buf: make([]byte, 0, 64)} }

var _ dissect.FrameDissector = (*Dissector)(nil)

// Name is "lldp".
func (*Dissector) Name() string { return "lldp" }

// MatchFrame accepts EtherType 0x88cc.
func (*Dissector) MatchFrame(etherType uint16, _ net.HardwareAddr, _ []byte) bool {
	return etherType == EtherType
}

// tlvs holds views into one frame; it lives on the stack for one call only.
type tlvs struct {
	chassisSub, portSub uint8
	chassis, port       []byte
	portDesc, sysName   []byte
	sysDesc             []byte
	capsSys, capsEn     uint16
	hasCaps             bool
	mgmt                [maxMgmt][]byte // address bytes, 4 or 16 long
	nMgmt               int
	med                 [medAssetID + 1][]byte
	medClass            uint8
	voiceVLAN           int // -1: none
	portVLAN            int // 0: none
	mudURL              []byte
}

// LLDP-MED (OUI 00-12-BB) subtypes.
const (
	medCapabilities  = 1
	medNetworkPolicy = 2
	medHardware      = 5
	medFirmware      = 6
	medSoftware      = 7
	medSerial        = 8
	medManufacturer  = 9
	medModel         = 10
	medAssetID       = 11
)

var medKeys = [...]string{
	medHardware:     "lldp.med_hardware",
	medFirmware:     "lldp.med_firmware",
	medSoftware:     "lldp.med_software",
	medSerial:       "lldp.med_serial",
	medManufacturer: "lldp.med_manufacturer",
	medModel:        "lldp.med_model",
	medAssetID:      "lldp.med_asset_id",
}

// parse walks the TLVs. It stops at End of LLDPDU; a TLV running past the
// frame is an error, but what was read before it is still returned.
func parse(p []byte, t *tlvs) error {
	first := true
	for len(p) > 0 {
		if len(p) < 2 {
			return errShort
		}
		h := binary.BigEndian.Uint16(p)
		typ, n := uint8(h>>9), int(h&0x1ff)
		p = p[2:]
		if n > len(p) {
			return errTLVLen
		}
		v := p[:n]
		p = p[n:]
		if first && typ != 1 {
			return errNoChass
		}
		first = false
		switch typ {
		case 0:
			return nil
		case 1:
			if n >= 2 {
				t.chassisSub, t.chassis = v[0], v[1:]
			}
		case 2:
			if n >= 2 {
				t.portSub, t.port = v[0], v[1:]
			}
		case 4:
			t.portDesc = v
		case 5:
			t.sysName = v
		case 6:
			t.sysDesc = v
		case 7:
			if n >= 4 {
				t.capsSys, t.capsEn, t.hasCaps = binary.BigEndian.Uint16(v), binary.BigEndian.Uint16(v[2:]), true
			}
		case 8:
			// Address string length counts the subtype byte.
			if n >= 2 && t.nMgmt < maxMgmt {
				l := int(v[0])
				if l >= 2 && l+1 <= n {
					if a := ianaAddr(v[1], v[2:1+l]); a != nil {
						t.mgmt[t.nMgmt] = a
						t.nMgmt++
					}
				}
			}
		case 127:
			org(v, t)
		}
	}
	return nil
}

// org reads the organisationally specific TLVs Ward cares about.
func org(v []byte, t *tlvs) {
	if len(v) < 4 {
		return
	}
	oui, sub, val := [3]byte(v[:3]), v[3], v[4:]
	switch oui {
	case [3]byte{0x00, 0x12, 0xbb}: // TIA LLDP-MED
		switch {
		case sub == medCapabilities && len(val) >= 3:
			t.medClass = val[2]
		case sub == medNetworkPolicy && len(val) >= 4 && val[0] == 1: // voice
			// Unknown(1) Tagged(1) Reserved(1) VLAN(12) L2 priority(3) DSCP(6)
			p := uint32(val[1])<<16 | uint32(val[2])<<8 | uint32(val[3])
			if p&0x800000 == 0 && t.voiceVLAN < 0 {
				t.voiceVLAN = int(p >> 9 & 0xfff)
			}
		case sub >= medHardware && sub <= medAssetID:
			t.med[sub] = val
		}
	case [3]byte{0x00, 0x80, 0xc2}: // IEEE 802.1: port VLAN ID
		if sub == 1 && len(val) >= 2 {
			t.portVLAN = int(binary.BigEndian.Uint16(val))
		}
	case [3]byte{0x00, 0x00, 0x5e}: // IANA: MUD URL
		if sub == 1 {
			t.mudURL = val
		}
	}
}

// ianaAddr returns the address bytes for IANA family 1 (IPv4) or 2 (IPv6).
func ianaAddr(family byte, a []byte) []byte {
	switch {
	case family == 1 && len(a) == 4, family == 2 && len(a) == 16:
		return a
	}
	return nil
}

// DissectFrame emits one observation describing the sender, plus one per
// further management address.
func (d *Dissector) DissectFrame(m *dissect.Meta, p []byte, e observe.Emitter) error {
	t := tlvs{voiceVLAN: -1}
	err := parse(p, &t)
	if t.chassis == nil {
		if err == nil {
			err = errNoChass
		}
		return err
	}
	m.Fill(&d.obs, "lldp")
	chassis := d.id(t.chassisSub, t.chassis, 4, 5)
	d.obs.Add("lldp.chassis_id", chassis)
	d.obs.Add("lldp.chassis_id_type", chassisType(t.chassisSub))
	if t.port != nil {
		d.obs.Add("lldp.port_id", d.id(t.portSub, t.port, 3, 4))
	}
	d.obs.Add("lldp.port_description", d.text(t.portDesc))
	d.obs.Add("lldp.system_name", d.text(t.sysName))
	d.obs.Add("lldp.system_description", d.text(t.sysDesc))
	if t.hasCaps {
		d.obs.Add("lldp.capabilities", d.caps(t.capsEn))
		d.obs.Add("lldp.capabilities_supported", d.caps(t.capsSys))
	}
	if t.nMgmt > 0 {
		d.obs.Add("lldp.mgmt_address", d.addr(t.mgmt[0]))
	}
	for sub := medHardware; sub <= medAssetID; sub++ {
		d.obs.Add(medKeys[sub], d.text(t.med[sub]))
	}
	d.obs.Add("lldp.med_device_class", medClass(t.medClass))
	if t.voiceVLAN >= 0 {
		d.buf = strconv.AppendInt(d.buf[:0], int64(t.voiceVLAN), 10)
		d.obs.Add("lldp.med_voice_vlan", d.strs.String(d.buf))
	}
	if t.portVLAN > 0 {
		d.buf = strconv.AppendInt(d.buf[:0], int64(t.portVLAN), 10)
		d.obs.Add("lldp.port_vlan", d.strs.String(d.buf))
	}
	d.obs.Add("lldp.mud_url", d.text(t.mudURL))
	e.Emit(&d.obs)
	for i := 1; i < t.nMgmt; i++ {
		m.Fill(&d.obs, "lldp")
		d.obs.Add("lldp.chassis_id", chassis)
		d.obs.Add("lldp.mgmt_address", d.addr(t.mgmt[i]))
		e.Emit(&d.obs)
	}
	return err
}

// id renders a chassis or port ID: a MAC for the MAC subtype, an address
// for the network-address subtype, text otherwise.
func (d *Dissector) id(sub byte, v []byte, macSub, netSub byte) string {
	switch {
	case sub == macSub && len(v) == 6:
		d.buf = observe.AppendMAC(d.buf[:0], v)
		return d.strs.String(d.buf)
	case sub == netSub && len(v) >= 1:
		if a := ianaAddr(v[0], v[1:]); a != nil {
			return d.addr(a)
		}
	}
	if printable(v) {
		return d.text(v)
	}
	d.buf = hex.AppendEncode(d.buf[:0], v[:min(len(v), maxText/2)])
	return d.strs.String(d.buf)
}

func chassisType(sub byte) string {
	switch sub {
	case 1:
		return "chassis_component"
	case 2:
		return "interface_alias"
	case 3:
		return "port_component"
	case 4:
		return "mac"
	case 5:
		return "network_address"
	case 6:
		return "interface_name"
	case 7:
		return "local"
	}
	return ""
}

var capNames = [...]string{"other", "repeater", "bridge", "wlan_access_point", "router", "telephone", "docsis", "station", "c_vlan", "s_vlan", "tpmr"}

func (d *Dissector) caps(bits uint16) string {
	d.buf = d.buf[:0]
	for i, n := range capNames {
		if bits&(1<<i) == 0 {
			continue
		}
		if len(d.buf) > 0 {
			d.buf = append(d.buf, ',')
		}
		d.buf = append(d.buf, n...)
	}
	return d.strs.String(d.buf)
}

func medClass(c byte) string {
	switch c {
	case 1:
		return "endpoint_class_1"
	case 2:
		return "endpoint_class_2"
	case 3:
		return "endpoint_class_3"
	case 4:
		return "network_connectivity"
	}
	return ""
}

func (d *Dissector) addr(a []byte) string {
	ip, ok := netip.AddrFromSlice(a)
	if !ok {
		return ""
	}
	d.buf = ip.AppendTo(d.buf[:0])
	return d.strs.String(d.buf)
}

// printable reports whether v is UTF-8 text without control characters
// (trailing NULs allowed).
func printable(v []byte) bool {
	v = trimNUL(v)
	if len(v) == 0 || !utf8.Valid(v) {
		return false
	}
	for _, c := range v {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return true
}

func trimNUL(v []byte) []byte {
	for len(v) > 0 && (v[len(v)-1] == 0 || v[len(v)-1] == ' ') {
		v = v[:len(v)-1]
	}
	return v
}

// text makes wire bytes a clean, bounded string, shared while the same
// bytes recur (switches repeat their LLDPDU every 30 s).
func (d *Dissector) text(v []byte) string {
	v = trimNUL(v)
	if len(v) > maxText {
		v = v[:maxText]
	}
	if !utf8.Valid(v) {
		return strings.TrimSpace(strings.ToValidUTF8(string(v), "\uFFFD"))
	}
	return d.strs.String(bytes.TrimSpace(v))
}
