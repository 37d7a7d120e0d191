// Package capture provides packet sources: capture files (pcap, pcapng,
// gzip'd or not, several merged in time order) and live AF_PACKET capture.
// Sources only read; nothing here can put a packet on the wire.
package capture

import (
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Packet is one captured frame. Data is owned by the source and valid only
// until the next ReadPacket call: copy what you keep.
type Packet struct {
	Data     []byte
	Info     gopacket.CaptureInfo
	LinkType layers.LinkType
}

// Source yields packets until io.EOF.
type Source interface {
	ReadPacket() (Packet, error)
	Close() error
}

// ErrNoPackets reports a source that could not deliver a single packet.
var ErrNoPackets = errors.New("no packets could be read")
