package decode

import "encoding/binary"

// linkTypeNFLOG is Linux netfilter's log link type (tcpdump -i nflog:N), how
// a firewall or a Linux router hands packets to a capture: a header, then
// TLVs of which one is the IP packet.
const linkTypeNFLOG = 239

// nflogPayload returns the IP packet of an NFLOG record. The TLV lengths and
// types are in the capturing host's byte order (libpcap's LINKTYPE_NFLOG),
// so the order whose first TLV type is a known attribute (1-20) is taken.
func nflogPayload(p []byte) ([]byte, bool) {
	const hdr, payloadType = 4, 9
	if len(p) < hdr+4 || p[1] != 0 { // version 0
		return nil, false
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if t := bo.Uint16(p[hdr+2:]); t == 0 || t > 20 {
		bo = binary.BigEndian
	}
	for off := hdr; off+4 <= len(p); {
		n, t := int(bo.Uint16(p[off:])), bo.Uint16(p[off+2:])
		if n < 4 || off+n > len(p) {
			return nil, false
		}
		if t == payloadType {
			return p[off+4 : off+n], n > 4
		}
		off += (n + 3) &^ 3 // values are padded to four bytes
	}
	return nil, false
}
