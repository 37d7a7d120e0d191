package simulate

import (
	"encoding/binary"
	"strconv"
	"strings"
)

// ---- DHCPv4 (RFC 2131/2132, option 81 RFC 4702, option 82 RFC 3046) ----

const (
	dhcpDiscover = 1
	dhcpOffer    = 2
	dhcpRequest  = 3
	dhcpAck      = 5
)

type dhcpMsg struct {
	op                         byte
	xid                        uint32
	secs                       uint16
	broadcast                  bool
	ciaddr, yiaddr, siaddr, gi ip4
	hops                       byte
	chaddr                     mac
	opts                       []byte // already TLV-encoded, without end
}

func (m dhcpMsg) bytes() []byte {
	b := make([]byte, 240, 240+len(m.opts)+1)
	b[0], b[1], b[2], b[3] = m.op, 1, 6, m.hops
	binary.BigEndian.PutUint32(b[4:8], m.xid)
	binary.BigEndian.PutUint16(b[8:10], m.secs)
	if m.broadcast {
		b[10] = 0x80
	}
	m.ciaddr.put(b[12:16])
	m.yiaddr.put(b[16:20])
	m.siaddr.put(b[20:24])
	m.gi.put(b[24:28])
	copy(b[28:34], m.chaddr[:])
	binary.BigEndian.PutUint32(b[236:240], 0x63825363)
	b = append(b, m.opts...)
	b = append(b, 255)
	for len(b) < 300 { // BOOTP minimum, as clients pad
		b = append(b, 0)
	}
	return b
}

func opt(b []byte, code byte, v []byte) []byte {
	b = append(b, code, byte(len(v)))
	return append(b, v...)
}

func ipBytes(ip ip4) []byte { b := make([]byte, 4); ip.put(b); return b }

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

var prlByStack = map[string][]byte{
	"windows":  {1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252},
	"linux":    {1, 121, 33, 3, 6, 12, 15, 28, 42, 51, 54, 58, 59, 119},
	"embedded": {1, 3, 6, 15, 28, 51, 58, 59},
	"vxworks":  {1, 3, 6, 15, 44, 46, 47},
	"qnx":      {1, 3, 6, 12, 15, 28, 42},
	"ios":      {1, 6, 15, 44, 3, 7, 33, 150, 43},
}

// vendorClass is option 60 as each family sends it.
func (d *device) vendorClass() string {
	k := d.kind
	switch {
	case k.ID == "cisco-phone":
		return "Cisco Systems, Inc. IP Phone " + d.model()
	case k.ID == "polycom-vvx":
		return "Polycom-" + strings.ReplaceAll(d.model(), " ", "")
	case k.ID == "hp-laserjet":
		return "Hewlett-Packard JetDirect"
	case k.Stack == "windows":
		return "MSFT 5.0"
	case k.Stack == "linux":
		return "udhcp 1.36.1"
	default:
		return strings.ReplaceAll(k.Manufacturer+" "+d.model(), " ", "_")
	}
}

// dhcpClientOpts are the identity-bearing options of a DISCOVER/REQUEST.
func (s *sim) dhcpClientOpts(d *device, typ byte, req ip4, server ip4) []byte {
	var b []byte
	b = opt(b, 53, []byte{typ})
	b = opt(b, 61, append([]byte{1}, d.mac[:]...))
	if req != 0 {
		b = opt(b, 50, ipBytes(req))
	}
	if server != 0 {
		b = opt(b, 54, ipBytes(server))
	}
	b = opt(b, 57, []byte{0x05, 0xdc})
	b = opt(b, 12, []byte(d.hostname))
	if d.kind.Stack == "windows" {
		fq := append([]byte{0x00, 0, 0}, d.hostname+"."+s.cfg.Domain...)
		b = opt(b, 81, fq)
	}
	b = opt(b, 60, []byte(d.vendorClass()))
	b = opt(b, 55, prlByStack[d.kind.Stack])
	return b
}

// relayOpt is option 82 as the access switch's relay agent inserts it:
// circuit-id names the switch and port, remote-id the switch.
func (s *sim) relayOpt(d *device) []byte {
	if d.sw < 0 || s.devs[d.sw].kind.ID == "aruba-2930" {
		return nil
	}
	sw := s.devs[d.sw]
	circuit := sw.hostname + ":" + s.portName(d.sw, d.port)
	var v []byte
	v = opt(v, 1, []byte(circuit))
	v = opt(v, 2, []byte(sw.hostname))
	return opt(nil, 82, v)
}

func (s *sim) dhcpServerOpts(typ byte, d *device) []byte {
	l := s.net.locs[d.loc]
	dns := s.devs[s.net.dns]
	var b []byte
	b = opt(b, 53, []byte{typ})
	b = opt(b, 54, ipBytes(dns.ip))
	b = opt(b, 51, u32(uint32(s.cfg.Lease.Seconds())))
	b = opt(b, 58, u32(uint32(s.cfg.Lease.Seconds()/2)))
	b = opt(b, 59, u32(uint32(s.cfg.Lease.Seconds()*7/8)))
	b = opt(b, 1, []byte{255, 255, 252, 0})
	b = opt(b, 3, ipBytes(l.base+1))
	b = opt(b, 6, ipBytes(dns.ip))
	b = opt(b, 15, []byte(s.cfg.Domain))
	return b
}

// ---- DNS (RFC 1035) and mDNS/DNS-SD (RFC 6762/6763) ----

func appendName(b []byte, name string) []byte {
	for _, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

type rr struct {
	name  string
	typ   uint16
	class uint16
	ttl   uint32
	data  []byte
}

func dnsMsg(id, flags uint16, qname string, qtype uint16, answers []rr) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b[0:2], id)
	binary.BigEndian.PutUint16(b[2:4], flags)
	if qname != "" {
		binary.BigEndian.PutUint16(b[4:6], 1)
	}
	binary.BigEndian.PutUint16(b[6:8], uint16(len(answers)))
	if qname != "" {
		b = appendName(b, qname)
		b = binary.BigEndian.AppendUint16(b, qtype)
		b = binary.BigEndian.AppendUint16(b, 1)
	}
	for _, a := range answers {
		b = appendName(b, a.name)
		b = binary.BigEndian.AppendUint16(b, a.typ)
		b = binary.BigEndian.AppendUint16(b, a.class)
		b = binary.BigEndian.AppendUint32(b, a.ttl)
		b = binary.BigEndian.AppendUint16(b, uint16(len(a.data)))
		b = append(b, a.data...)
	}
	return b
}

func srvData(port uint16, target string) []byte {
	b := []byte{0, 0, 0, 0, byte(port >> 8), byte(port)}
	return appendName(b, target)
}

func txtData(kv ...string) []byte {
	var b []byte
	for _, s := range kv {
		b = append(b, byte(len(s)))
		b = append(b, s...)
	}
	return b
}

// ---- SNMP v2c (RFC 3416), BER encoded ----

func ber(tag byte, v []byte) []byte {
	b := []byte{tag}
	switch n := len(v); {
	case n < 128:
		b = append(b, byte(n))
	case n < 256:
		b = append(b, 0x81, byte(n))
	default:
		b = append(b, 0x82, byte(n>>8), byte(n))
	}
	return append(b, v...)
}

func berInt(v int64) []byte {
	var b []byte
	for {
		b = append([]byte{byte(v)}, b...)
		if (v < 128 && v >= -128) || len(b) >= 8 {
			break
		}
		v >>= 8
	}
	return ber(0x02, b)
}

func berUint(tag byte, v uint32) []byte {
	b := []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	for len(b) > 1 && b[0] == 0 && b[1]&0x80 == 0 {
		b = b[1:]
	}
	if b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return ber(tag, b)
}

func berOID(oid string) []byte {
	parts := strings.Split(oid, ".")
	nums := make([]uint64, 0, len(parts))
	for _, p := range parts {
		n, _ := strconv.ParseUint(p, 10, 64)
		nums = append(nums, n)
	}
	if len(nums) < 2 {
		nums = append(nums, 0, 0)
	}
	b := []byte{byte(nums[0]*40 + nums[1])}
	for _, n := range nums[2:] {
		var enc []byte
		enc = append(enc, byte(n&0x7f))
		for n >>= 7; n > 0; n >>= 7 {
			enc = append([]byte{byte(n&0x7f) | 0x80}, enc...)
		}
		b = append(b, enc...)
	}
	return ber(0x06, b)
}

func berStr(s string) []byte { return ber(0x04, []byte(s)) }

type varbind struct {
	oid string
	val []byte // BER-encoded value; nil means NULL
}

func snmpPDU(tag byte, reqID int64, vbs []varbind) []byte {
	var list []byte
	for _, vb := range vbs {
		v := vb.val
		if v == nil {
			v = []byte{0x05, 0x00}
		}
		list = append(list, ber(0x30, append(berOID(vb.oid), v...))...)
	}
	var pdu []byte
	pdu = append(pdu, berInt(reqID)...)
	pdu = append(pdu, berInt(0)...)
	pdu = append(pdu, berInt(0)...)
	pdu = append(pdu, ber(0x30, list)...)
	var msg []byte
	msg = append(msg, berInt(1)...) // v2c
	msg = append(msg, berStr("public")...)
	msg = append(msg, ber(tag, pdu)...)
	return ber(0x30, msg)
}

const (
	oidSysDescr    = "1.3.6.1.2.1.1.1.0"
	oidSysObjectID = "1.3.6.1.2.1.1.2.0"
	oidSysUpTime   = "1.3.6.1.2.1.1.3.0"
	oidSysName     = "1.3.6.1.2.1.1.5.0"
	oidSysLocation = "1.3.6.1.2.1.1.6.0"
	oidTrapOID     = "1.3.6.1.6.3.1.1.4.1.0"
	oidColdStart   = "1.3.6.1.6.3.1.1.5.1"
)

// ---- NetBIOS name service (RFC 1002) ----

func nbEncode(name string, suffix byte) []byte {
	n := []byte(strings.ToUpper(name))
	if len(n) > 15 {
		n = n[:15]
	}
	for len(n) < 15 {
		n = append(n, ' ')
	}
	n = append(n, suffix)
	b := []byte{32}
	for _, c := range n {
		b = append(b, 'A'+c>>4, 'A'+c&0x0f)
	}
	return append(b, 0)
}

func nbnsRegistration(id uint16, name string, ip ip4) []byte {
	b := []byte{byte(id >> 8), byte(id), 0x29, 0x10, 0, 1, 0, 0, 0, 0, 0, 1}
	b = append(b, nbEncode(name, 0x00)...)
	b = append(b, 0, 0x20, 0, 1)             // NB, IN
	b = append(b, 0xc0, 0x0c, 0, 0x20, 0, 1) // pointer to question name
	b = append(b, 0, 0x04, 0x93, 0xe0)       // TTL 300000
	b = append(b, 0, 6, 0, 0)
	return append(b, ipBytes(ip)...)
}
