package simulate

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// BACnet/IP (ASHRAE 135 Annex J and clause 20): a supervisor's Who-Is, the
// controller's I-Am, and a ReadPropertyMultiple of the device object's
// identity properties with its answer, as a building-management station
// discovers and inventories its controllers.

const (
	bacnetPort = 47808

	bvlcUnicast   = 0x0a // Original-Unicast-NPDU
	bvlcBroadcast = 0x0b // Original-Broadcast-NPDU

	bacObjectDevice = 8

	propAppSoftware  = 12
	propDescription  = 28
	propFirmware     = 44
	propLocation     = 58
	propModelName    = 70
	propObjectName   = 77
	propVendorID     = 120
	propVendorName   = 121
	serviceReadPropM = 14
)

// bvlc wraps an APDU in the BVLC and a local NPDU (no routing).
func bvlc(function byte, expectReply bool, apdu []byte) []byte {
	ctl := byte(0)
	if expectReply {
		ctl = 0x04
	}
	n := 4 + 2 + len(apdu)
	b := make([]byte, 0, n)
	b = append(b, 0x81, function, byte(n>>8), byte(n), 0x01, ctl)
	return append(b, apdu...)
}

func bacObjectID(objType, instance uint32) []byte {
	v := objType<<22 | instance&0x3fffff
	return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// bacUnsigned is an application-tagged Unsigned (tag 2) of minimal length.
func bacUnsigned(v uint32) []byte {
	switch {
	case v < 1<<8:
		return []byte{0x21, byte(v)}
	case v < 1<<16:
		return []byte{0x22, byte(v >> 8), byte(v)}
	}
	return []byte{0x24, byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// bacString is an application-tagged CharacterString (tag 7), UTF-8.
func bacString(s string) []byte {
	n := 1 + len(s) // the character-set byte counts
	var b []byte
	if n <= 4 {
		b = []byte{0x70 | byte(n)}
	} else if n <= 253 {
		b = []byte{0x75, byte(n)}
	} else {
		b = []byte{0x75, 254, byte(n >> 8), byte(n)}
	}
	b = append(b, 0)
	return append(b, s...)
}

func bacWhoIs() []byte { return bvlc(bvlcBroadcast, false, []byte{0x10, 0x08}) }

func bacIAm(instance, vendor uint32) []byte {
	apdu := []byte{0x10, 0x00, 0xc4}
	apdu = append(apdu, bacObjectID(bacObjectDevice, instance)...)
	apdu = append(apdu, 0x22, 0x05, 0xc4) // max APDU 1476
	apdu = append(apdu, 0x91, 0x03)       // segmentation: none
	apdu = append(apdu, bacUnsigned(vendor)...)
	return bvlc(bvlcBroadcast, false, apdu)
}

type bacProp struct {
	id  byte
	val []byte // application-tagged value
}

func bacRPMRequest(invoke byte, instance uint32, props []bacProp) []byte {
	apdu := []byte{0x00, 0x05, invoke, serviceReadPropM, 0x0c}
	apdu = append(apdu, bacObjectID(bacObjectDevice, instance)...)
	apdu = append(apdu, 0x1e)
	for _, p := range props {
		apdu = append(apdu, 0x09, p.id)
	}
	apdu = append(apdu, 0x1f)
	return bvlc(bvlcUnicast, true, apdu)
}

func bacRPMAck(invoke byte, instance uint32, props []bacProp) []byte {
	apdu := []byte{0x30, invoke, serviceReadPropM, 0x0c}
	apdu = append(apdu, bacObjectID(bacObjectDevice, instance)...)
	apdu = append(apdu, 0x1e)
	for _, p := range props {
		apdu = append(apdu, 0x29, p.id, 0x4e)
		apdu = append(apdu, p.val...)
		apdu = append(apdu, 0x4f)
	}
	apdu = append(apdu, 0x1f)
	return bvlc(bvlcUnicast, false, apdu)
}

// facility adds the building-automation controllers (one per 30 devices,
// at least one) and plays their whole capture up front: a supervisor's
// Who-Is to each controller's subnet every 10 to 20 minutes, the I-Am,
// and every other time a read of the device object. They draw on their own
// random stream, take addresses and switch ports no endpoint is leased,
// and join s.devs only after the run (facilityJoin): the rest of the
// hospital is generated exactly as without them.
func (s *sim) facility() {
	k := s.cat.byRole("bms")
	if k == nil || k.BACnet == nil {
		return
	}
	r := rand.New(rand.NewPCG(s.cfg.Seed^0xbac0, 47808))
	sup := s.devs[s.net.nms]
	supID := uint16(r.Uint32()) // the supervisor's own IP IDs stay untouched
	cands := s.net.byCat["admin"]
	n := facilityCount(s.cfg.Devices)
	taken := map[[2]int]bool{} // location, host offset: one controller per address
	for i := range n {
		loc := cands[r.IntN(len(cands))]
		d := &device{idx: int32(len(s.devs) + i), kind: k, loc: int32(loc), gateway: -1}
		o := k.ouis[r.IntN(len(k.ouis))]
		d.mac = mac{o[0], o[1], o[2], byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}
		d.modelIdx = uint8(r.IntN(len(k.Models)))
		d.verIdx = uint8(r.IntN(max(1, len(k.Versions)-1)))
		d.serial = serialFrom(k.Serial, r)
		d.hostname = fmt.Sprintf("%s-%s", k.Hostname, d.serial[len(d.serial)-4:])
		d.ipid = uint16(r.Uint32())
		l := s.net.locs[loc]
		// Static addresses at the top of the /22 and high switch ports,
		// as facilities teams assign them, clear of the DHCP range.
		off := 1000 - i%20
		for taken[[2]int{loc, off}] {
			off--
		}
		taken[[2]int{loc, off}] = true
		d.ip = l.base + ip4(off)
		d.ips = []ip4{d.ip}
		d.sw, d.port = l.sw, int16(40+i)
		s.bms = append(s.bms, d)
		instance := uint32(k.BACnet.Instance + int(d.idx))
		for t := s.start + r.Int64N(int64(5*time.Minute)); t < s.end; t += int64(10*time.Minute) + r.Int64N(int64(10*time.Minute)) {
			s.saw(d, t, pBACnet)
			p := osProfiles[sup.kind.Stack]
			supID++
			h := ipHdr{src: sup.ip, dst: l.base + 1023, ttl: p.ttl, id: supID}
			s.emitAside(t, udpFrame(broadcastMAC, sup.mac, h, bacnetPort, bacnetPort, bacWhoIs()))
			p = osProfiles[d.kind.Stack]
			h = ipHdr{src: d.ip, dst: l.base + 1023, ttl: p.ttl, id: d.nextID()}
			s.emitAside(t+3*ms+7, udpFrame(broadcastMAC, d.mac, h, bacnetPort, bacnetPort, bacIAm(instance, uint32(k.BACnet.Vendor))))
			if r.IntN(2) == 0 {
				continue
			}
			props := []bacProp{
				{propObjectName, bacString(d.hostname)},
				{propVendorName, bacString(k.Manufacturer)},
				{propVendorID, bacUnsigned(uint32(k.BACnet.Vendor))},
				{propModelName, bacString(d.model())},
				{propFirmware, bacString(d.version())},
				{propLocation, bacString(l.name)},
			}
			invoke := byte(r.IntN(256))
			supID++
			h = ipHdr{src: sup.ip, dst: d.ip, ttl: osProfiles[sup.kind.Stack].ttl, id: supID}
			s.emitAside(t+20*ms+7, udpFrame(s.hop(sup, d), sup.mac, h, bacnetPort, bacnetPort, bacRPMRequest(invoke, instance, props)))
			h = ipHdr{src: d.ip, dst: sup.ip, ttl: p.ttl, id: d.nextID()}
			s.emitAside(t+35*ms+7, udpFrame(s.hop(d, sup), d.mac, h, bacnetPort, bacnetPort, bacRPMAck(invoke, instance, props)))
		}
	}
}

// facilityCount is how many building controllers a hospital of n devices has.
func facilityCount(n int) int { return max(1, n/30) }

// facilityJoin adds the controllers to the device list, for the truth.
func (s *sim) facilityJoin() {
	for _, d := range s.bms {
		if int(d.idx) != len(s.devs) {
			panic("simulate: devices were added during the run") // facility's indexes assume none are
		}
		s.devs = append(s.devs, d)
	}
}
