package simulate

import (
	"fmt"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/canon"
)

const ms = int64(time.Millisecond)

// udp sends one datagram from d to a peer device (or to a raw address when peer is nil).
func (s *sim) udp(t int64, from *device, to *device, dstIP ip4, dstMAC mac, sport, dport uint16, payload []byte) {
	if to != nil {
		dstIP = to.ip
		dstMAC = s.hop(from, to)
	}
	p := osProfiles[from.kind.Stack]
	h := ipHdr{src: from.ip, dst: dstIP, ttl: p.ttl, id: from.nextID(), df: p.df}
	s.emit(t, udpFrame(dstMAC, from.mac, h, sport, dport, payload))
}

// wake plays one conversation chosen among what the device speaks.
func (s *sim) wake(d *device, t int64) {
	var acts []string
	for _, p := range d.kind.Protocols {
		switch p {
		case "dhcp", "hl7_engine", "dicom_scp", "dns_server", "snmp_manager", "lldp", "cdp":
			continue
		case "hl7_pcd01":
			acts = append(acts, p, p, p, p) // bedside devices mostly report vitals
		case "dicom_scu":
			acts = append(acts, p, p, p)
		}
		acts = append(acts, p)
	}
	if len(d.kind.Listen) > 0 || len(d.extra) > 0 {
		acts = append(acts, "service")
	}
	if d.kind.Speaks("dhcp") {
		acts = append(acts, "dns", "arp")
	}
	if d.threat != threatNone {
		acts = append(acts, "threat", "threat")
	}
	if len(acts) == 0 {
		return
	}
	switch a := acts[s.rng.IntN(len(acts))]; a {
	case "dns":
		s.dnsLookup(d, t, s.lookupName(d))
	case "arp":
		s.emit(t, arpFrame(d.mac, d.ip, s.net.locs[d.loc].base+1))
	case "mdns":
		s.mdnsAnnounce(d, t)
	case "ssdp", "ssdp_client":
		s.ssdpNotify(d, t)
	case "netbios":
		s.nbnsRegister(d, t)
	case "smb2":
		s.smb2(d, s.devs[s.net.dns], t)
	case "smb1":
		s.smb1(d, s.devs[s.net.dns], t)
	case "lldp_med":
		s.lldpMED(d, t)
	case "cdp_phone":
		s.cdpPhone(d, t)
	case "snmp":
		s.snmpPoll(d, t)
	case "http_server":
		s.httpToDevice(d, t)
	case "http_client":
		s.httpFromDevice(d, t)
	case "tls_server":
		s.tlsToDevice(d, t)
	case "tls_client":
		s.tlsFromDevice(d, t, false)
	case "tls13_client":
		s.tlsFromDevice(d, t, true)
	case "dicom_scu":
		if s.rng.IntN(5) == 0 {
			s.dicomEcho(d, t)
		} else {
			s.dicomStore(d, t)
		}
	case "hl7_pcd01":
		s.hl7PCD(d, t)
	case "hl7_lab":
		s.hl7Lab(d, t)
	case "hl7_adt":
		s.hl7ADT(d, t)
	case "service":
		s.probeService(d, t)
	case "threat":
		s.threatTraffic(d, t)
	}
}

func (s *sim) lookupName(d *device) string {
	switch {
	case d.kind.Speaks("dicom_scu"):
		return "pacs." + s.cfg.Domain
	case d.kind.TLS != nil && d.kind.TLS.SNI != "":
		return d.kind.TLS.SNI
	case d.kind.Speaks("hl7_pcd01") || d.kind.Speaks("hl7_lab"):
		return "hl7ie." + s.cfg.Domain
	}
	return []string{"time.windows.com", "dc01." + s.cfg.Domain, "wpad." + s.cfg.Domain, "ntp." + s.cfg.Domain}[s.rng.IntN(4)]
}

// resolve maps a name to an address: internal names to core servers,
// anything else to a stable public address derived from the name.
func (s *sim) resolve(name string) (ip4, *device) {
	switch {
	case strings.HasPrefix(name, "pacs."):
		return s.devs[s.net.pacs].ip, s.devs[s.net.pacs]
	case strings.HasPrefix(name, "hl7ie."):
		return s.devs[s.net.hl7].ip, s.devs[s.net.hl7]
	case strings.HasPrefix(name, "epic."):
		return s.devs[s.net.ehr].ip, s.devs[s.net.ehr]
	case strings.HasSuffix(name, s.cfg.Domain):
		return s.devs[s.net.dns].ip, s.devs[s.net.dns]
	}
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	// 20.0.0.0/8 .. 52.0.0.0/8: public cloud-like space.
	return ip4(uint32(20+h%32)<<24 | h>>8&0xffffff | 1), nil
}

func (s *sim) dnsLookup(d *device, t int64, name string) (ip4, *device) {
	ip, peer := s.resolve(name)
	dns := s.devs[s.net.dns]
	id := uint16(s.rng.Uint32())
	sport := d.ephemeral(s.rng)
	s.udp(t, d, dns, 0, mac{}, sport, 53, dnsMsg(id, 0x0100, name, 1, nil))
	ans := []rr{{name: name, typ: 1, class: 1, ttl: 300, data: ipBytes(ip)}}
	s.udp(t+int64(300_000+s.rng.IntN(2_000_000)), dns, d, 0, mac{}, 53, sport, dnsMsg(id, 0x8180, name, 1, ans))
	return ip, peer
}

// ---- DHCP ----

func (s *sim) relayed(d *device, t int64, m dhcpMsg, reply bool) {
	l := s.net.locs[d.loc]
	dns := s.devs[s.net.dns]
	gi := l.base + 1
	m.gi, m.hops = gi, 1
	if reply {
		h := ipHdr{src: dns.ip, dst: gi, ttl: 128, id: dns.nextID()}
		s.emit(t, udpFrame(s.net.locs[dns.loc].router, dns.mac, h, 67, 67, m.bytes()))
		return
	}
	// Seen on the core link as the relay agent forwards it to the server.
	h := ipHdr{src: gi, dst: dns.ip, ttl: 255, id: uint16(s.rng.Uint32())}
	s.emit(t, udpFrame(dns.mac, l.router, h, 67, 67, m.bytes()))
}

// dhcpDORA plays a full DISCOVER/OFFER/REQUEST/ACK (new device, move, return).
func (s *sim) dhcpDORA(d *device, t int64, prevIP bool) {
	s.saw(d, t, pDHCP)
	d.xid = s.rng.Uint32()
	relay := s.relayOpt(d)
	var req ip4
	if prevIP && len(d.ips) > 1 {
		req = d.ips[len(d.ips)-2]
	}
	cl := s.dhcpClientOpts(d, dhcpDiscover, req, 0)
	s.relayed(d, t, dhcpMsg{op: 1, xid: d.xid, chaddr: d.mac, broadcast: true, opts: append(cl, relay...)}, false)
	so := s.dhcpServerOpts(dhcpOffer, d)
	s.relayed(d, t+2*ms, dhcpMsg{op: 2, xid: d.xid, yiaddr: d.ip, siaddr: s.devs[s.net.dns].ip, chaddr: d.mac, broadcast: true, opts: append(so, relay...)}, true)
	cr := s.dhcpClientOpts(d, dhcpRequest, d.ip, s.devs[s.net.dns].ip)
	s.relayed(d, t+25*ms, dhcpMsg{op: 1, xid: d.xid, secs: 1, chaddr: d.mac, broadcast: true, opts: append(cr, relay...)}, false)
	sa := s.dhcpServerOpts(dhcpAck, d)
	s.relayed(d, t+27*ms, dhcpMsg{op: 2, xid: d.xid, secs: 1, yiaddr: d.ip, siaddr: s.devs[s.net.dns].ip, chaddr: d.mac, broadcast: true, opts: append(sa, relay...)}, true)
}

// dhcpInitReboot plays an INIT-REBOOT: after a power cycle the client
// broadcasts a REQUEST for its old address, which the gateway relays with
// option 82, so the sensor learns the device's switch port.
func (s *sim) dhcpInitReboot(d *device, t int64) {
	s.saw(d, t, pDHCP)
	d.xid = s.rng.Uint32()
	relay := s.relayOpt(d)
	cr := s.dhcpClientOpts(d, dhcpRequest, d.ip, 0)
	s.relayed(d, t, dhcpMsg{op: 1, xid: d.xid, chaddr: d.mac, broadcast: true, opts: append(cr, relay...)}, false)
	sa := s.dhcpServerOpts(dhcpAck, d)
	s.relayed(d, t+2*ms, dhcpMsg{op: 2, xid: d.xid, yiaddr: d.ip, siaddr: s.devs[s.net.dns].ip, chaddr: d.mac, broadcast: true, opts: append(sa, relay...)}, true)
}

// dhcpRenew plays a unicast RENEWING REQUEST/ACK straight to the server.
func (s *sim) dhcpRenew(d *device, t int64) {
	if !d.kind.Speaks("dhcp") {
		return
	}
	s.saw(d, t, pDHCP)
	d.xid = s.rng.Uint32()
	dns := s.devs[s.net.dns]
	cr := s.dhcpClientOpts(d, dhcpRequest, 0, 0)
	s.udp(t, d, dns, 0, mac{}, 68, 67, dhcpMsg{op: 1, xid: d.xid, ciaddr: d.ip, chaddr: d.mac, opts: cr}.bytes())
	sa := s.dhcpServerOpts(dhcpAck, d)
	s.udp(t+3*ms, dns, d, 0, mac{}, 67, 68, dhcpMsg{op: 2, xid: d.xid, ciaddr: d.ip, yiaddr: d.ip, siaddr: dns.ip, chaddr: d.mac, opts: sa}.bytes())
}

func (s *sim) gratuitousARP(d *device, t int64) {
	s.emit(t, arpFrame(d.mac, d.ip, d.ip))
}

// ---- link-layer discovery ----

func (s *sim) switchAdverts(sw *device, t int64) {
	mgmt := sw.ip
	desc := sw.expand(sw.kind.SNMP.Descr)
	// One LLDPDU per active port would swamp a large capture; the sensor on
	// an uplink hears the switch's own advertisement plus a rotating port.
	l := s.net.locs[sw.loc]
	port := int16(1)
	if l.nextPt > 0 {
		port = int16(1 + s.rng.IntN(l.nextPt))
	}
	pn := s.portName(sw.idx, port)
	caps := uint16(0x0004 | 0x0010)
	src := mac{sw.mac[0], sw.mac[1], sw.mac[2], sw.mac[3], sw.mac[4], sw.mac[5] + byte(port)}
	s.saw(sw, t, pLLDP)
	s.emit(t, rawFrame(lldpMAC, src, etherTypeLLDP, lldpPDU(lldpInfo{chassis: sw.mac, portID: pn, portDesc: pn,
		sysName: sw.hostname + "." + s.cfg.Domain, sysDesc: desc, caps: caps, mgmt: mgmt})))
	if sw.kind.Speaks("cdp") && (t-s.start)/int64(30*time.Second)%2 == 0 {
		s.saw(sw, t+ms, pCDP)
		platform := "cisco " + sw.model()
		sv := "Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE), Version " + sw.version() + ", RELEASE SOFTWARE (fc2)"
		s.emit(t+ms, llcSNAPFrame(cdpMAC, src, [3]byte{0, 0, 0x0c}, 0x2000, cdpPDU(cdpInfo{deviceID: sw.hostname + "." + s.cfg.Domain,
			addr: mgmt, portID: pn, caps: 0x28, software: sv, platform: platform, vlan: 10})))
	}
}

func (s *sim) lldpMED(d *device, t int64) {
	class := byte(1)
	var vlan uint16
	if d.kind.Type == string(canon.IPPhone) {
		class, vlan = 3, 110
	}
	caps := uint16(0x0080)
	if class == 3 {
		caps = 0x0020 | 0x0004
	}
	s.saw(d, t, pLLDP)
	s.emit(t, rawFrame(lldpMAC, d.mac, etherTypeLLDP, lldpPDU(lldpInfo{chassis: d.mac, sysName: d.hostname,
		sysDesc: d.kind.Manufacturer + " " + d.model() + " " + d.version(), caps: caps, mgmt: d.ip,
		med: &lldpMED{class: class, hw: "Rev " + string(rune('A'+d.modelIdx)), fw: d.version(), sw: d.version(), serial: d.serial,
			manufacturer: d.kind.Manufacturer, model: d.model(), voiceVLAN: vlan}})))
}

func (s *sim) cdpPhone(d *device, t int64) {
	s.saw(d, t, pCDP)
	s.emit(t, llcSNAPFrame(cdpMAC, d.mac, [3]byte{0, 0, 0x0c}, 0x2000, cdpPDU(cdpInfo{deviceID: d.hostname, addr: d.ip,
		portID: "Port 1", caps: 0x490, software: d.version(), platform: "Cisco IP Phone " + d.model()})))
}

// ---- multicast/broadcast announcements ----

func (s *sim) mdnsAnnounce(d *device, t int64) {
	ms := d.kind.MDNS
	if ms == nil {
		return
	}
	s.saw(d, t, pMDNS)
	inst := d.expand(ms.TY) + " (" + d.hostname + ")"
	svc := ms.Service + ".local"
	full := inst + "." + svc
	host := d.hostname + ".local"
	port := uint16(631)
	if ms.Service == "_workstation._tcp" {
		port = 9
	}
	ans := []rr{
		{name: "_services._dns-sd._udp.local", typ: 12, class: 1, ttl: 4500, data: appendName(nil, svc)},
		{name: svc, typ: 12, class: 1, ttl: 4500, data: appendName(nil, full)},
		{name: full, typ: 33, class: 0x8001, ttl: 120, data: srvData(port, host)},
		{name: full, typ: 16, class: 0x8001, ttl: 4500, data: txtData("txtvers=1", "ty="+d.expand(ms.TY), "model="+d.model(),
			"usb_MFG="+d.kind.Manufacturer, "product=("+d.model()+")", "note="+s.net.locs[d.loc].name)},
		{name: host, typ: 1, class: 0x8001, ttl: 120, data: ipBytes(d.ip)},
	}
	p := osProfiles[d.kind.Stack]
	h := ipHdr{src: d.ip, dst: ipv4(224, 0, 0, 251), ttl: 255, id: d.nextID(), df: p.df}
	s.emit(t, udpFrame(mdnsMAC, d.mac, h, 5353, 5353, dnsMsg(0, 0x8400, "", 0, ans)))
}

func (s *sim) ssdpNotify(d *device, t int64) {
	s.saw(d, t, pSSDP)
	server := "Microsoft-Windows/10.0 UPnP/1.0 UPnP-Device-Host/1.0"
	if d.kind.SSDP != nil {
		server = d.expand(d.kind.SSDP.Server)
	}
	uuid := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%02x%02x%02x%02x%02x%02x", uint32(d.idx)*2654435761, uint16(d.idx),
		uint16(d.mac[3])<<4&0xfff, uint16(d.mac[4])<<4&0xfff, d.mac[0], d.mac[1], d.mac[2], d.mac[3], d.mac[4], d.mac[5])
	msg := "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=1800\r\n" +
		"LOCATION: http://" + d.ip.String() + ":80/upnp/description.xml\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n" +
		"SERVER: " + server + "\r\nUSN: uuid:" + uuid + "::upnp:rootdevice\r\n\r\n"
	p := osProfiles[d.kind.Stack]
	h := ipHdr{src: d.ip, dst: ipv4(239, 255, 255, 250), ttl: 4, id: d.nextID(), df: p.df}
	s.emit(t, udpFrame(ssdpMAC, d.mac, h, 1900, 1900, []byte(msg)))
}

func (s *sim) nbnsRegister(d *device, t int64) {
	s.saw(d, t, pNetBIOS)
	l := s.net.locs[d.loc]
	name := d.hostname
	p := osProfiles[d.kind.Stack]
	h := ipHdr{src: d.ip, dst: l.base + 1023, ttl: p.ttl, id: d.nextID()}
	s.emit(t, udpFrame(broadcastMAC, d.mac, h, 137, 137, nbnsRegistration(uint16(s.rng.Uint32()), name, d.ip)))
}

// ---- SNMP ----

func (s *sim) sysVarbinds(d *device) []varbind {
	sp := d.kind.SNMP
	return []varbind{
		{oid: oidSysDescr, val: berStr(d.expand(sp.Descr))},
		{oid: oidSysObjectID, val: berOID(sp.OID)},
		{oid: oidSysName, val: berStr(d.hostname)},
		{oid: oidSysLocation, val: berStr(s.net.locs[d.loc].name)},
	}
}

func (s *sim) snmpPoll(d *device, t int64) {
	if d.kind.SNMP == nil {
		return
	}
	s.saw(d, t, pSNMP)
	nms := s.devs[s.net.nms]
	id := int64(s.rng.IntN(1 << 30))
	vbs := s.sysVarbinds(d)
	q := make([]varbind, len(vbs))
	for i, v := range vbs {
		q[i] = varbind{oid: v.oid}
	}
	sport := nms.ephemeral(s.rng)
	s.udp(t, nms, d, 0, mac{}, sport, 161, snmpPDU(0xa0, id, q))
	s.udp(t+2*ms, d, nms, 0, mac{}, 161, sport, snmpPDU(0xa2, id, vbs))
}

func (s *sim) snmpTrap(d *device, t int64) {
	if d.kind.SNMP == nil {
		return
	}
	s.saw(d, t, pSNMP)
	nms := s.devs[s.net.nms]
	vbs := append([]varbind{{oid: oidSysUpTime, val: berUint(0x43, 1200)}, {oid: oidTrapOID, val: berOID(oidColdStart)}}, s.sysVarbinds(d)...)
	s.udp(t, d, nms, 0, mac{}, d.ephemeral(s.rng), 162, snmpPDU(0xa7, int64(s.rng.IntN(1<<30)), vbs))
}
