// Package arp reads ARP frames: every request and reply names its sender's
// MAC and IP, the cheapest and most reliable inventory signal there is.
package arp

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Dissector reads Ethernet/IPv4 ARP.
type Dissector struct {
	obs observe.Observation
}

// New returns an ARP dissector.
func New() *Dissector { return &Dissector{} }

var _ dissect.FrameDissector = (*Dissector)(nil)

// Name is "arp".
func (*Dissector) Name() string { return "arp" }

// MatchFrame accepts EtherType 0x0806.
func (*Dissector) MatchFrame(etherType uint16, _ net.HardwareAddr, _ []byte) bool {
	return etherType == 0x0806
}

// DissectFrame emits arp.sender_mac and arp.sender_ip. Probes (sender IP
// 0.0.0.0) still name the MAC; they come from a device checking its address.
func (d *Dissector) DissectFrame(m *dissect.Meta, p []byte, e observe.Emitter) error {
	if len(p) < 8 {
		return fmt.Errorf("arp header: %w", dissect.ErrTruncated)
	}
	htype, ptype := binary.BigEndian.Uint16(p[0:2]), binary.BigEndian.Uint16(p[2:4])
	hlen, plen := int(p[4]), int(p[5])
	if htype != 1 || ptype != 0x0800 || hlen != 6 || plen != 4 {
		return fmt.Errorf("arp htype %d ptype %#x: %w", htype, ptype, dissect.ErrMalformed)
	}
	if len(p) < 8+2*(hlen+plen) {
		return fmt.Errorf("arp addresses: %w", dissect.ErrTruncated)
	}
	sha := net.HardwareAddr(p[8:14])
	spa := netip.AddrFrom4([4]byte(p[14:18]))
	m.Fill(&d.obs, "arp")
	d.obs.Add("arp.sender_mac", sha.String())
	if !spa.IsUnspecified() {
		d.obs.Add("arp.sender_ip", spa.String())
	}
	op := binary.BigEndian.Uint16(p[6:8])
	switch op {
	case 1:
		d.obs.Add("arp.operation", "request")
	case 2:
		d.obs.Add("arp.operation", "reply")
	}
	e.Emit(&d.obs)
	return nil
}
