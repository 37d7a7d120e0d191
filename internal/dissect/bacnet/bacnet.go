// Package bacnet reads BACnet/IP (ASHRAE 135 Annex J, UDP 47808 and, on
// sites that run several BACnet networks, 47809 and up): what building
// automation controllers say about themselves. In a hospital they run
// operating-room pressure cascades, isolation rooms and pharmacy
// refrigeration. A device announces itself with I-Am (device instance,
// vendor id, max APDU, segmentation), and a workstation adding it reads its
// device object: vendor and model names, firmware and application versions,
// object name, location, description, serial number. Both are read here, from
// the device's side; requests (Who-Is, ReadProperty) say nothing about their
// sender and yield nothing.
package bacnet

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Port is BACnet/IP's default port, 0xBAC0. MatchUDP goes by content, so
// other ports work too.
const Port = 47808

const (
	bvlcTypeIP = 0x81 // BACnet/IP (Annex J); 0x82 is BACnet/IPv6

	bvlcForwarded    = 0x04 // Forwarded-NPDU, from a BBMD: the originator's address follows
	bvlcDistribute   = 0x09 // Distribute-Broadcast-To-Network, from a foreign device
	bvlcOrigUnicast  = 0x0a // Original-Unicast-NPDU
	bvlcOrigBcast    = 0x0b // Original-Broadcast-NPDU
	bvlcHeader       = 4
	bvlcForwardedLen = bvlcHeader + 6

	npduVersion = 1

	pduConfirmed   = 0
	pduUnconfirmed = 1
	pduComplexACK  = 3

	serviceIAm          = 0  // unconfirmed
	serviceReadProp     = 12 // confirmed
	serviceReadPropMult = 14 // confirmed

	charsetUTF8   = 0 // ANSI X3.4 before 135-2008, UTF-8 since
	charsetUCS2   = 4
	charsetLatin1 = 5

	maxText = 255
	maxSADR = 18 // the longest BACnet MAC (B/IPv6: address and port)
)

// Device object properties that identify a device.
const (
	propAppVersion   = 12
	propDescription  = 28
	propFirmware     = 44
	propLocation     = 58
	propModelName    = 70
	propObjectName   = 77
	propVendorID     = 120
	propVendorName   = 121
	propProtocolRev  = 139
	propSerialNumber = 372
)

// stringProps are the character-string properties kept, in the order they
// are emitted.
var stringProps = [...]struct {
	id  uint32
	key string
}{
	{propVendorName, "bacnet.vendor_name"},
	{propModelName, "bacnet.model_name"},
	{propFirmware, "bacnet.firmware_revision"},
	{propAppVersion, "bacnet.application_software_version"},
	{propSerialNumber, "bacnet.serial_number"},
	{propObjectName, "bacnet.object_name"},
	{propLocation, "bacnet.location"},
	{propDescription, "bacnet.description"},
}

// segmentation names BACnetSegmentation.
var segmentation = [...]string{"both", "transmit", "receive", "none"}

// span is a character string as it was on the wire: only valid during the
// DissectUDP call that found it.
type span struct {
	charset byte
	b       []byte
	set     bool
}

// number is an Unsigned property value.
type number struct {
	v   uint32
	set bool
}

// identity is what one datagram says about its sender's device object.
type identity struct {
	found    bool
	service  string
	instance uint32
	vendorID number
	protoRev number
	maxAPDU  number
	seg      int // index into segmentation, or -1
	strs     [len(stringProps)]span
	snet     uint16 // the NPDU's source network, when a router forwarded it
	sadr     []byte
	fwd      []byte // Forwarded-NPDU: the originator's B/IP address
}

// Dissector reads BACnet/IP datagrams.
type Dissector struct {
	obs   observe.Observation
	texts observe.Interner
	id    identity
	conv  []byte // a string converted to UTF-8
	scr   []byte // a number or address being formatted
}

// New returns a BACnet/IP dissector.
func New() *Dissector { return &Dissector{} }

var _ dissect.UDPDissector = (*Dissector)(nil)

// Name is "bacnet".
func (*Dissector) Name() string { return "bacnet" }

// MatchUDP takes BACnet/IP datagrams carrying an NPDU, on any port: the
// BVLC type 0x81, a function that carries an NPDU, a BVLC length equal to
// the datagram's and NPDU version 1. BVLL management messages (BVLC-Result,
// broadcast and foreign-device tables) name no device and are left alone.
func (*Dissector) MatchUDP(_, _ uint16, p []byte) bool {
	if len(p) < bvlcHeader+2 || p[0] != bvlcTypeIP || int(binary.BigEndian.Uint16(p[2:])) != len(p) {
		return false
	}
	switch p[1] {
	case bvlcOrigUnicast, bvlcOrigBcast, bvlcDistribute:
		return p[bvlcHeader] == npduVersion
	case bvlcForwarded:
		return len(p) > bvlcForwardedLen+1 && p[bvlcForwardedLen] == npduVersion
	}
	return false
}

// DissectUDP emits one observation when the datagram is an I-Am or a
// ReadProperty(-Multiple) ACK about a device object. A malformed datagram
// yields nothing, even where its first values were whole.
func (d *Dissector) DissectUDP(m *dissect.Meta, p []byte, e observe.Emitter) error {
	d.id = identity{seg: -1}
	err := d.parse(p)
	if err == nil && d.id.found {
		d.emit(m, e)
	}
	d.id = identity{} // drop the spans into p
	return err
}

// parse reads the BVLC, NPDU and APDU headers and the service data of the
// messages that identify their sender.
func (d *Dissector) parse(p []byte) error {
	if len(p) < bvlcHeader || p[0] != bvlcTypeIP || int(binary.BigEndian.Uint16(p[2:])) != len(p) {
		return errMalformed
	}
	npdu := p[bvlcHeader:]
	switch p[1] {
	case bvlcOrigUnicast, bvlcOrigBcast, bvlcDistribute:
	case bvlcForwarded:
		if len(p) < bvlcForwardedLen {
			return errTruncated
		}
		d.id.fwd = p[bvlcHeader:bvlcForwardedLen]
		npdu = p[bvlcForwardedLen:]
	default:
		return nil
	}
	apdu, err := d.npdu(npdu)
	if err != nil || apdu == nil {
		return err
	}
	return d.apdu(apdu)
}

// npdu reads the network layer header (clause 6.2) and returns the APDU, or
// nil for a network layer message.
func (d *Dissector) npdu(b []byte) ([]byte, error) {
	if len(b) < 2 {
		return nil, errTruncated
	}
	if b[0] != npduVersion {
		return nil, errMalformed
	}
	ctrl := b[1]
	b = b[2:]
	if ctrl&0x20 != 0 { // DNET, DLEN, DADR
		if len(b) < 3 || len(b) < 3+int(b[2]) {
			return nil, errTruncated
		}
		b = b[3+int(b[2]):]
	}
	if ctrl&0x08 != 0 { // SNET, SLEN, SADR
		if len(b) < 3 || len(b) < 3+int(b[2]) {
			return nil, errTruncated
		}
		slen := int(b[2])
		if slen == 0 || slen > maxSADR {
			return nil, errMalformed
		}
		d.id.snet = binary.BigEndian.Uint16(b)
		d.id.sadr = b[3 : 3+slen]
		b = b[3+slen:]
	}
	if ctrl&0x20 != 0 { // hop count
		if len(b) < 1 {
			return nil, errTruncated
		}
		b = b[1:]
	}
	if ctrl&0x80 != 0 { // network layer message: routers talking
		return nil, nil
	}
	if len(b) == 0 {
		return nil, errTruncated
	}
	return b, nil
}

// apdu reads the application layer header (clause 20.1) and dispatches.
func (d *Dissector) apdu(b []byte) error {
	switch b[0] >> 4 {
	case pduUnconfirmed:
		if len(b) < 2 {
			return errTruncated
		}
		if b[1] == serviceIAm {
			return d.iAm(b[2:])
		}
	case pduComplexACK:
		segmented := b[0]&0x08 != 0
		h := 3 // type, invoke ID, service choice
		if segmented {
			h = 5 // and sequence number, proposed window size
		}
		if len(b) < h {
			return errTruncated
		}
		if segmented && b[2] != 0 {
			return nil // only the first segment starts with what we read
		}
		var err error
		switch b[h-1] {
		case serviceReadProp:
			err = d.readPropertyACK(b[h:])
		case serviceReadPropMult:
			err = d.readPropertyMultipleACK(b[h:])
		}
		if segmented && err == errTruncated {
			return nil // the rest is in the next segments
		}
		return err
	}
	return nil
}

// iAm reads I-Am-Request: iAmDeviceIdentifier, maxAPDULengthAccepted,
// segmentationSupported and vendorID, all application-tagged.
func (d *Dissector) iAm(b []byte) error {
	r := newReader(b)
	t, v, err := r.next()
	if err != nil {
		return err
	}
	typ, inst, ok := objectID(v)
	if !t.isApp(appObjectID) || !ok || typ != objectDevice {
		return errMalformed
	}
	var fields [3]uint32
	for i, want := range [3]uint8{appUnsigned, appEnum, appUnsigned} {
		t, v, err := r.next()
		if err != nil {
			return err
		}
		n, ok := unsigned(v)
		if !t.isApp(want) || !ok {
			return errMalformed
		}
		fields[i] = n
	}
	id := &d.id
	id.found, id.service, id.instance = true, "i_am", inst
	id.maxAPDU = number{fields[0], true}
	if fields[1] < uint32(len(segmentation)) {
		id.seg = int(fields[1])
	}
	id.vendorID = number{fields[2], true}
	return nil
}

// readPropertyACK reads ReadProperty-ACK: objectIdentifier [0],
// propertyIdentifier [1], propertyArrayIndex [2] OPTIONAL, propertyValue [3].
func (d *Dissector) readPropertyACK(b []byte) error {
	r := newReader(b)
	t, v, err := r.next()
	if err != nil {
		return err
	}
	typ, inst, ok := objectID(v)
	if !t.isContext(0) || !ok {
		return errMalformed
	}
	if typ != objectDevice {
		return nil // a point's name is no device's identity
	}
	if t, v, err = r.next(); err != nil {
		return err
	}
	prop, ok := unsigned(v)
	if !t.isContext(1) || !ok {
		return errMalformed
	}
	if t, _, err = r.next(); err != nil {
		return err
	}
	indexed := t.isContext(2)
	if indexed {
		if t, _, err = r.next(); err != nil {
			return err
		}
	}
	if !t.isOpening(3) {
		return errMalformed
	}
	vt, val, found, err := r.value(3)
	if err != nil {
		return err
	}
	id := &d.id
	id.found, id.service, id.instance = true, "read_property_ack", inst
	if found && !indexed {
		id.set(prop, vt, val)
	}
	return nil
}

// readPropertyMultipleACK reads ReadPropertyMultiple-ACK: a list of
// ReadAccessResult, each objectIdentifier [0] and listOfResults [1] of
// propertyIdentifier [2], propertyArrayIndex [3] OPTIONAL, and either
// propertyValue [4] or propertyAccessError [5]. Only the first device object
// is kept.
func (d *Dissector) readPropertyMultipleACK(b []byte) error {
	r := newReader(b)
	id := &d.id
	for results := 0; !r.empty() && results < maxResults; results++ {
		t, v, err := r.next()
		if err != nil {
			return err
		}
		typ, inst, ok := objectID(v)
		if !t.isContext(0) || !ok {
			return errMalformed
		}
		keep := typ == objectDevice && (!id.found || id.instance == inst)
		if keep {
			id.found, id.service, id.instance = true, "read_property_multiple_ack", inst
		}
		if t, _, err = r.next(); err != nil {
			return err
		}
		if !t.isOpening(1) {
			return errMalformed
		}
		for {
			t, v, err := r.next()
			if err != nil {
				return err
			}
			if t.isClosing(1) {
				break
			}
			prop, ok := unsigned(v)
			if !t.isContext(2) || !ok {
				return errMalformed
			}
			if t, _, err = r.next(); err != nil {
				return err
			}
			indexed := t.isContext(3)
			if indexed {
				if t, _, err = r.next(); err != nil {
					return err
				}
			}
			switch {
			case t.isOpening(4):
				vt, val, found, err := r.value(4)
				if err != nil {
					return err
				}
				if keep && found && !indexed {
					id.set(prop, vt, val)
				}
			case t.isOpening(5):
				if _, _, _, err := r.value(5); err != nil {
					return err
				}
			default:
				return errMalformed
			}
		}
	}
	return nil
}

// set keeps the value of a device property we read, when it has the
// property's type; the first value of a property wins.
func (id *identity) set(prop uint32, t tag, v []byte) {
	switch prop {
	case propVendorID, propProtocolRev:
		n, ok := unsigned(v)
		if !t.isApp(appUnsigned) || !ok {
			return
		}
		dst := &id.vendorID
		if prop == propProtocolRev {
			dst = &id.protoRev
		}
		if !dst.set {
			*dst = number{n, true}
		}
		return
	}
	for i := range stringProps {
		if stringProps[i].id != prop {
			continue
		}
		if !t.isApp(appCharStr) || len(v) < 2 || id.strs[i].set {
			return
		}
		switch v[0] {
		case charsetUTF8, charsetLatin1:
		case charsetUCS2:
			if len(v)%2 == 0 { // a charset octet and whole code units
				return
			}
		default:
			return // DBCS, JIS X 0208, UCS-4: not read
		}
		id.strs[i] = span{charset: v[0], b: v[1:], set: true}
		return
	}
}

func (d *Dissector) emit(m *dissect.Meta, e observe.Emitter) {
	id := &d.id
	o := &d.obs
	m.Fill(o, "bacnet")
	o.Add("bacnet.service", id.service)
	o.Add("bacnet.device_instance", d.number(id.instance))
	if id.vendorID.set {
		o.Add("bacnet.vendor_id", d.number(id.vendorID.v))
	}
	for i := range stringProps {
		if id.strs[i].set {
			o.Add(stringProps[i].key, d.text(id.strs[i]))
		}
	}
	if id.protoRev.set {
		o.Add("bacnet.protocol_revision", d.number(id.protoRev.v))
	}
	if id.maxAPDU.set {
		o.Add("bacnet.max_apdu", d.number(id.maxAPDU.v))
	}
	if id.seg >= 0 {
		o.Add("bacnet.segmentation", segmentation[id.seg])
	}
	if id.sadr != nil {
		// The device sits behind a BACnet router (an MS/TP trunk, say):
		// the IP source is the router's.
		o.Add("bacnet.source_network", d.number(uint32(id.snet)))
		d.scr = hex.AppendEncode(d.scr[:0], id.sadr)
		o.Add("bacnet.source_address", dissect.Text(&d.texts, d.scr, maxText))
	}
	if id.fwd != nil {
		// A BBMD forwarded the broadcast: the device is the originator.
		ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte(id.fwd[:4])), binary.BigEndian.Uint16(id.fwd[4:]))
		d.scr = ap.AppendTo(d.scr[:0])
		o.Add("bacnet.forwarded_from", dissect.Text(&d.texts, d.scr, maxText))
	}
	e.Emit(o)
}

func (d *Dissector) number(n uint32) string {
	d.scr = strconv.AppendUint(d.scr[:0], uint64(n), 10)
	return dissect.Text(&d.texts, d.scr, maxText)
}

// text converts a character string to UTF-8, cleaned and capped.
func (d *Dissector) text(s span) string {
	b := s.b
	switch s.charset {
	case charsetUCS2:
		d.conv = appendUCS2(d.conv[:0], b)
		b = d.conv
	case charsetLatin1:
		d.conv = appendLatin1(d.conv[:0], b)
		b = d.conv
	}
	return dissect.Text(&d.texts, b, maxText)
}

// appendUCS2 appends big-endian UCS-2 as UTF-8, honouring a byte order mark
// (some stacks write little-endian after FF FE), and stops once the result
// is longer than maxText: the rest would be cut anyway.
func appendUCS2(dst, b []byte) []byte {
	order := binary.ByteOrder(binary.BigEndian)
	if len(b) >= 2 {
		switch {
		case b[0] == 0xfe && b[1] == 0xff:
			b = b[2:]
		case b[0] == 0xff && b[1] == 0xfe:
			order, b = binary.LittleEndian, b[2:]
		}
	}
	for i := 0; i+1 < len(b) && len(dst) <= maxText; i += 2 {
		r := rune(order.Uint16(b[i:]))
		if utf16.IsSurrogate(r) && i+3 < len(b) {
			if p := utf16.DecodeRune(r, rune(order.Uint16(b[i+2:]))); p != utf8.RuneError {
				r = p
				i += 2
			}
		}
		dst = utf8.AppendRune(dst, r) // a lone surrogate becomes U+FFFD
	}
	return dst
}

// appendLatin1 appends ISO 8859-1 as UTF-8: each octet is its code point.
func appendLatin1(dst, b []byte) []byte {
	for i := 0; i < len(b) && len(dst) <= maxText; i++ {
		dst = utf8.AppendRune(dst, rune(b[i]))
	}
	return dst
}
