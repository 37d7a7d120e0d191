// Package dissect defines what a protocol dissector is. Each protocol lives in
// its own sub-package and implements one or more of the capability interfaces
// below; internal/dissectors lists the default set explicitly (no init()).
//
// The contract, borrowed from gopacket's DecodingLayer: a dissector never
// panics on input (the decoder recovers and counts it anyway), never keeps a
// reference to the bytes it is given, and reuses its own buffers so that
// packets which produce no observation cost no allocation.
package dissect

import (
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/wardiomt/ward/internal/observe"
)

// ErrTruncated and ErrMalformed are the sentinels dissectors wrap, so the
// decoder can count bad packets per protocol without logging each one.
var (
	ErrTruncated = errors.New("truncated")
	ErrMalformed = errors.New("malformed")
)

// Meta describes the packet a payload came from. Slices point into the
// packet buffer and are only valid during the call.
type Meta struct {
	Time      time.Time
	SrcMAC    net.HardwareAddr
	DstMAC    net.HardwareAddr
	SrcIP     netip.Addr
	DstIP     netip.Addr
	SrcPort   uint16
	DstPort   uint16
	Transport string // "tcp", "udp" or ""
	VLAN      uint16
}

// Fill resets o to an empty observation of protocol carrying m's addressing,
// keeping o's field slice capacity so reuse does not allocate.
func (m *Meta) Fill(o *observe.Observation, protocol string) {
	fields := o.Fields[:0]
	*o = observe.Observation{
		Time:      m.Time,
		SrcMAC:    m.SrcMAC,
		DstMAC:    m.DstMAC,
		SrcIP:     m.SrcIP,
		DstIP:     m.DstIP,
		SrcPort:   m.SrcPort,
		DstPort:   m.DstPort,
		Transport: m.Transport,
		Protocol:  protocol,
		Fields:    fields,
	}
}

// Reverse returns m with source and destination swapped.
func (m Meta) Reverse() Meta {
	m.SrcMAC, m.DstMAC = m.DstMAC, m.SrcMAC
	m.SrcIP, m.DstIP = m.DstIP, m.SrcIP
	m.SrcPort, m.DstPort = m.DstPort, m.SrcPort
	return m
}

// Dissector is what every dissector is: a name, used for counters and in
// `protocol` of its observations.
type Dissector interface {
	Name() string
}

// FrameDissector reads link-layer frames that carry no IP (LLDP, CDP, ARP).
type FrameDissector interface {
	Dissector
	// MatchFrame reports whether a frame with this EtherType (or 0 for an
	// 802.3 length frame), destination MAC and payload is for this dissector.
	MatchFrame(etherType uint16, dst net.HardwareAddr, payload []byte) bool
	DissectFrame(m *Meta, payload []byte, e observe.Emitter) error
}

// UDPDissector reads single UDP datagrams (DHCP, DNS, mDNS, SNMP, SSDP, NBNS).
type UDPDissector interface {
	Dissector
	MatchUDP(srcPort, dstPort uint16, payload []byte) bool
	DissectUDP(m *Meta, payload []byte, e observe.Emitter) error
}

// TCPDissector recognises a TCP conversation and creates a Stream for it.
type TCPDissector interface {
	Dissector
	// MatchTCP is asked with the first payload seen in either direction.
	// clientToServer tells which side sent it (the initiator is the client
	// when the handshake was seen; otherwise the side with the higher port).
	// It should decide by content where the protocol allows, ports as a hint.
	MatchTCP(srcPort, dstPort uint16, clientToServer bool, payload []byte) bool
	NewStream() Stream
}

// Stream is one TCP conversation seen by one dissector. It receives each
// direction's bytes in order; it must buffer partial messages itself, with a
// bound.
type Stream interface {
	// Data delivers the next in-order bytes of one direction. m describes the
	// packet that completed them. Returning done=true stops inspection of
	// this flow by this dissector: the flow then costs almost nothing.
	Data(m *Meta, clientToServer bool, data []byte, e observe.Emitter) (done bool)
	// Gap reports that bytes of a direction were lost; the stream should
	// resynchronise (or give up by returning done on its next Data).
	Gap(clientToServer bool)
}

// Ender is a Stream that summarises what it counted when its conversation
// ends: FIN or RST, idle expiry, the flow's byte cutoff, or the end of the
// input. m describes the conversation client to server, at its last packet.
// It is called once, and never after Data returned done (a stream flushes
// itself before it says done).
type Ender interface {
	End(m *Meta, e observe.Emitter)
}
