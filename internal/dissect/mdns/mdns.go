// Package mdns reads multicast DNS and DNS-SD (RFC 6762/6763) on port 5353.
// Printers, imaging workstations, monitors' gateways and most consumer
// devices announce what they are here: service types, instance names,
// host names, ports and TXT records that often carry the model.
package mdns

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dns"
	"github.com/wardiomt/ward/internal/observe"
)

// Bounds on what one datagram can make us track.
const (
	maxInstances = 64
	maxServices  = 64
	maxHosts     = 64
	maxTXT       = 1024 // joined TXT bytes per instance
)

// span is a [start,end) range in the dissector's name arena.
type span struct{ s, e int32 }

type instance struct {
	name, service, host, txt, model, vendor span
	port                                    int32 // -1: no SRV seen
}

type hostAddr struct {
	name span
	addr netip.Addr
}

// Dissector reads mDNS datagrams.
type Dissector struct {
	cfg       Config
	msg       dns.Message
	obs       observe.Observation
	arena     []byte // names and TXT text of the current datagram
	instances []instance
	services  []span
	hosts     []hostAddr
	num       []byte
	texts     dns.TextCache // names and TXT strings recur across announcements
}

// New returns an mDNS dissector.
func New() *Dissector { return &Dissector{cfg: defaultConfig()} }

var _ dissect.UDPDissector = (*Dissector)(nil)

// Name is "mdns".
func (*Dissector) Name() string { return "mdns" }

// MatchUDP accepts datagrams to or from port 5353 (multicast announcements,
// and unicast queries and replies per RFC 6762 §5.5 and §6.7).
func (d *Dissector) MatchUDP(srcPort, dstPort uint16, p []byte) bool {
	return (srcPort == d.cfg.Port || dstPort == d.cfg.Port) && len(p) >= 12
}

// DissectUDP emits, in this order:
//   - per service instance: mdns.instance, mdns.service, mdns.hostname (SRV
//     target), mdns.port, mdns.txt (the TXT strings joined with "; "),
//     mdns.model and mdns.manufacturer (from TXT keys);
//   - per service type announced without an instance in this datagram
//     (e.g. a _services._dns-sd._udp.local enumeration answer): mdns.service;
//   - per A/AAAA record or reverse-mapping PTR: mdns.hostname, mdns.address;
//   - per question: mdns.query, mdns.qtype, mdns.qu ("1" when a unicast
//     reply is asked for).
//
// Responses' answer, authority and additional records describe the
// responder. In queries only the authority section (a probe for names the
// sender is about to claim) does; a query's answers are "known answers"
// cached from other devices, so they are skipped.
func (d *Dissector) DissectUDP(m *dissect.Meta, p []byte, e observe.Emitter) error {
	if err := d.msg.Parse(p); err != nil {
		return fmt.Errorf("mdns: %w", err)
	}
	if d.msg.Opcode() != 0 {
		return nil
	}
	d.arena = d.arena[:0]
	d.instances = d.instances[:0]
	d.services = d.services[:0]
	d.hosts = d.hosts[:0]
	resp := d.msg.Response()
	for i := range d.msg.Records {
		r := &d.msg.Records[i]
		if !resp && r.Section != dns.Authority {
			continue
		}
		d.record(p, r)
	}
	d.emitInstances(m, e)
	d.emitServices(m, e)
	d.emitHosts(m, e)
	if !resp {
		d.emitQuestions(m, p, e)
	}
	return nil
}

// name decodes the name at off into the arena.
func (d *Dissector) name(p []byte, off int) (span, bool) {
	s := len(d.arena)
	var err error
	d.arena, err = dns.AppendName(d.arena, p, off)
	if err != nil || len(d.arena) == s {
		d.arena = d.arena[:s]
		return span{}, false
	}
	return span{int32(s), int32(len(d.arena))}, true
}

func (d *Dissector) bytes(sp span) []byte { return d.arena[sp.s:sp.e] }

// drop forgets the arena bytes of the last decoded span when it is not kept.
func (d *Dissector) drop(sp span) {
	if int(sp.e) == len(d.arena) {
		d.arena = d.arena[:sp.s]
	}
}

func (d *Dissector) record(p []byte, r *dns.Record) {
	switch r.Type {
	case dns.TypePTR:
		d.ptr(p, r)
	case dns.TypeSRV:
		rd := r.RData(p)
		if len(rd) < 7 {
			return
		}
		in := d.instance(p, r.Name, true)
		if in == nil {
			return
		}
		if host, ok := d.name(p, r.Data+6); ok {
			in.host = host
		}
		in.port = int32(binary.BigEndian.Uint16(rd[4:6]))
	case dns.TypeTXT:
		d.txt(p, r)
	case dns.TypeA, dns.TypeAAAA:
		rd := r.RData(p)
		var a netip.Addr
		switch {
		case r.Type == dns.TypeA && len(rd) == 4:
			a = netip.AddrFrom4([4]byte(rd))
		case r.Type == dns.TypeAAAA && len(rd) == 16:
			a = netip.AddrFrom16([16]byte(rd))
		default:
			return
		}
		if n, ok := d.name(p, r.Name); ok {
			d.addHost(n, a)
		}
	}
}

var servicesEnum = []byte("_services._dns-sd._udp.")

func (d *Dissector) ptr(p []byte, r *dns.Record) {
	owner, ok := d.name(p, r.Name)
	if !ok {
		return
	}
	o := d.bytes(owner)
	switch {
	case bytes.HasPrefix(o, servicesEnum):
		d.arena = d.arena[:owner.s]
		if t, ok := d.name(p, r.Data); ok && !d.addService(t) {
			d.drop(t)
		}
	case bytes.HasSuffix(o, []byte(".in-addr.arpa")) || bytes.HasSuffix(o, []byte(".ip6.arpa")):
		a, ok := reverseAddr(o)
		d.arena = d.arena[:owner.s]
		if !ok {
			return
		}
		if t, ok := d.name(p, r.Data); ok {
			d.addHost(t, a)
		}
	case len(o) > 0 && o[0] == '_' && serviceStart(o) >= 0:
		// "<service type>" PTR "<instance>"; a subtype owner
		// ("_printer._sub._http._tcp.local") names its base type after "._sub.".
		svc := owner
		if i := bytes.Index(o, []byte("._sub.")); i >= 0 {
			svc.s += int32(i + len("._sub."))
		}
		in := d.instance(p, r.Data, false)
		if in == nil {
			return
		}
		if in.service == (span{}) {
			in.service = svc
		}
	default:
		d.arena = d.arena[:owner.s]
	}
}

// serviceStart returns where the "_service._tcp|_udp.domain" part of a
// DNS-SD name starts, or -1 when the name has none.
func serviceStart(n []byte) int {
	i := bytes.LastIndex(n, []byte("._tcp."))
	if j := bytes.LastIndex(n, []byte("._udp.")); j > i {
		i = j
	}
	if i < 0 {
		if bytes.HasSuffix(n, []byte("._tcp")) || bytes.HasSuffix(n, []byte("._udp")) {
			i = len(n) - len("._tcp")
		} else {
			return -1
		}
	}
	k := bytes.LastIndex(n[:i], []byte("._"))
	if k >= 0 {
		return k + 1
	}
	if len(n) > 0 && n[0] == '_' {
		return 0
	}
	return -1
}

// instance returns the entry for the instance named at off, adding it.
// With needService, a name that is not "<instance>.<_service>._tcp|_udp..."
// (e.g. the TXT of "_kerberos.host.local") is not an instance.
func (d *Dissector) instance(p []byte, off int, needService bool) *instance {
	n, ok := d.name(p, off)
	if !ok {
		return nil
	}
	nb := d.bytes(n)
	if needService && serviceStart(nb) <= 0 {
		d.drop(n)
		return nil
	}
	for i := range d.instances {
		if bytes.Equal(d.bytes(d.instances[i].name), nb) {
			d.drop(n)
			return &d.instances[i]
		}
	}
	if len(d.instances) >= maxInstances {
		d.drop(n)
		return nil
	}
	in := instance{name: n, port: -1}
	if k := serviceStart(nb); k > 0 {
		in.service = span{n.s + int32(k), n.e}
	}
	d.instances = append(d.instances, in)
	return &d.instances[len(d.instances)-1]
}

// addHost records a name-address pair once; n must be the arena's tail.
func (d *Dissector) addHost(n span, a netip.Addr) {
	nb := d.bytes(n)
	for _, h := range d.hosts {
		if h.addr == a && bytes.Equal(d.bytes(h.name), nb) {
			d.drop(n)
			return
		}
	}
	if len(d.hosts) >= maxHosts {
		d.drop(n)
		return
	}
	d.hosts = append(d.hosts, hostAddr{n, a})
}

func (d *Dissector) addService(t span) bool {
	tb := d.bytes(t)
	for _, s := range d.services {
		if bytes.Equal(d.bytes(s), tb) {
			return false
		}
	}
	if len(d.services) >= maxServices {
		return false
	}
	d.services = append(d.services, t)
	return true
}

// txt joins a TXT record's strings with "; " and picks out the model and
// manufacturer keys device makers use (AirPlay/RAOP model=, Google Cast
// md=, IPP/LPD ty=, usb_MDL=, usb_MFG=).
func (d *Dissector) txt(p []byte, r *dns.Record) {
	rd := r.RData(p)
	in := d.instance(p, r.Name, true)
	if in == nil || in.txt != (span{}) {
		return
	}
	start := int32(len(d.arena))
	modelRank := 0
	for i := 0; i < len(rd); {
		l := int(rd[i])
		if i+1+l > len(rd) {
			break
		}
		s := rd[i+1 : i+1+l]
		i += 1 + l
		if l == 0 {
			continue
		}
		if int(int32(len(d.arena))-start)+l+2 > maxTXT {
			break
		}
		if int32(len(d.arena)) > start {
			d.arena = append(d.arena, ';', ' ')
		}
		at := int32(len(d.arena))
		d.arena = append(d.arena, s...)
		key, val, ok := bytes.Cut(s, []byte("="))
		if !ok || len(val) == 0 {
			continue
		}
		vs := span{at + int32(len(key)+1), int32(len(d.arena))}
		if rank := modelKeyRank(key); rank > modelRank {
			modelRank, in.model = rank, vs
		}
		if bytes.EqualFold(key, []byte("usb_MFG")) || bytes.EqualFold(key, []byte("manufacturer")) {
			in.vendor = vs
		}
	}
	if int32(len(d.arena)) > start {
		in.txt = span{start, int32(len(d.arena))}
	}
}

// modelKeyRank orders the TXT keys naming a model; the highest present wins.
func modelKeyRank(k []byte) int {
	switch {
	case bytes.EqualFold(k, []byte("model")):
		return 4
	case bytes.EqualFold(k, []byte("md")):
		return 3
	case bytes.EqualFold(k, []byte("ty")):
		return 2
	case bytes.EqualFold(k, []byte("usb_MDL")):
		return 1
	}
	return 0
}

func (d *Dissector) text(sp span) string {
	if sp == (span{}) {
		return ""
	}
	return d.texts.Text(d.bytes(sp), maxTXT)
}

func (d *Dissector) emitInstances(m *dissect.Meta, e observe.Emitter) {
	for i := range d.instances {
		in := &d.instances[i]
		m.Fill(&d.obs, "mdns")
		d.obs.Add("mdns.instance", d.text(in.name))
		d.obs.Add("mdns.service", d.text(in.service))
		d.obs.Add("mdns.hostname", d.text(in.host))
		if in.port >= 0 {
			d.num = strconv.AppendInt(d.num[:0], int64(in.port), 10)
			d.obs.Add("mdns.port", d.texts.Text(d.num, maxTXT)) // digits: Text keeps them
		}
		d.obs.Add("mdns.txt", d.text(in.txt))
		d.obs.Add("mdns.model", d.text(in.model))
		d.obs.Add("mdns.manufacturer", d.text(in.vendor))
		e.Emit(&d.obs)
	}
}

func (d *Dissector) emitServices(m *dissect.Meta, e observe.Emitter) {
outer:
	for _, s := range d.services {
		sb := d.bytes(s)
		for i := range d.instances {
			if bytes.Equal(d.bytes(d.instances[i].service), sb) {
				continue outer
			}
		}
		m.Fill(&d.obs, "mdns")
		d.obs.Add("mdns.service", d.text(s))
		e.Emit(&d.obs)
	}
}

func (d *Dissector) emitHosts(m *dissect.Meta, e observe.Emitter) {
	for _, h := range d.hosts {
		m.Fill(&d.obs, "mdns")
		d.obs.Add("mdns.hostname", d.text(h.name))
		d.num = h.addr.AppendTo(d.num[:0])
		// An address's text form is plain ASCII, which Text keeps as is.
		d.obs.Add("mdns.address", d.texts.Text(d.num, maxTXT))
		e.Emit(&d.obs)
	}
}

func (d *Dissector) emitQuestions(m *dissect.Meta, p []byte, e observe.Emitter) {
	for _, q := range d.msg.Questions {
		d.arena = d.arena[:0]
		n, ok := d.name(p, q.Name)
		if !ok {
			continue
		}
		m.Fill(&d.obs, "mdns")
		d.obs.Add("mdns.query", d.text(n))
		if ts := dns.TypeString(q.Type); ts != "" {
			d.obs.Add("mdns.qtype", ts)
		} else {
			d.num = dns.TypeName(d.num[:0], q.Type)
			d.obs.Add("mdns.qtype", d.texts.Text(d.num, maxTXT)) // "TYPE<n>": Text keeps it
		}
		if q.QU {
			d.obs.Add("mdns.qu", "1")
		}
		e.Emit(&d.obs)
	}
}

// reverseAddr reads "4.3.2.1.in-addr.arpa" or the 32-nibble ip6.arpa form.
func reverseAddr(n []byte) (netip.Addr, bool) {
	if rest, ok := bytes.CutSuffix(n, []byte(".in-addr.arpa")); ok {
		var a [4]byte
		parts := 0
		for len(rest) > 0 && parts < 4 {
			i := bytes.LastIndexByte(rest, '.')
			v, ok := octet(rest[i+1:])
			if !ok {
				return netip.Addr{}, false
			}
			a[parts] = v
			parts++
			if i < 0 {
				rest = nil
			} else {
				rest = rest[:i]
			}
		}
		return netip.AddrFrom4(a), parts == 4 && len(rest) == 0
	}
	rest, ok := bytes.CutSuffix(n, []byte(".ip6.arpa"))
	if !ok || len(rest) != 63 {
		return netip.Addr{}, false
	}
	var a [16]byte
	for i := 0; i < 32; i++ {
		c := rest[62-2*i]
		if i < 31 && rest[62-2*i-1] != '.' {
			return netip.Addr{}, false
		}
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return netip.Addr{}, false
		}
		if i%2 == 0 {
			a[i/2] = v << 4
		} else {
			a[i/2] |= v
		}
	}
	return netip.AddrFrom16(a), true
}

// octet parses a decimal 0-255 without allocating.
func octet(b []byte) (byte, bool) {
	if len(b) == 0 || len(b) > 3 {
		return 0, false
	}
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return byte(v), v <= 255
}
