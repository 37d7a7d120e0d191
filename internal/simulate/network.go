package simulate

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/wardiomt/ward/internal/canon"
)

// location is one subnet behind one (stacked) access switch.
type location struct {
	name   string
	cat    string // clinical, imaging, lab, admin, dc
	base   ip4    // /22 network address
	next   uint32 // next host offset to lease
	sw     int32  // device index of its access switch
	nextPt int    // next free switch port
	router mac    // HSRP virtual MAC of its gateway
}

type network struct {
	locs                     []location
	dns, pacs, hl7, ehr, nms int32
	byCat                    map[string][]int
}

// device is the per-device state; kept small because a run may hold 100 000.
type device struct {
	idx      int32
	kind     *Kind
	mac      mac
	ip       ip4
	ips      []ip4
	loc      int32
	sw       int32
	port     int16
	modelIdx uint8
	verIdx   uint8
	serial   string
	hostname string
	gateway  int32 // monitoring gateway this device sits behind, or -1
	behind   []int32
	extra    []Service
	silent   bool
	joinLate bool
	joined   bool
	threat   uint8
	ipid     uint16
	eport    uint16
	xid      uint32
	// Persistent MLLP connection to the interface engine (for an analyser
	// that speaks ASTM, its connection to the LIS).
	mllp *tcpConn
	// seen records which identity-bearing protocols actually carried this
	// device in the capture; it becomes the truth's identified_by.
	seen uint16
}

// Identity-bearing protocols, in the order the truth lists them.
var identityNames = []string{"cdp", "dhcp", "dicom", "hl7", "http", "lldp", "mdns", "netbios", "smb", "snmp", "ssdp", "tls", "bacnet", "astm"}

const (
	pCDP uint16 = 1 << iota
	pDHCP
	pDICOM
	pHL7
	pHTTP
	pLLDP
	pMDNS
	pNetBIOS
	pSMB
	pSNMP
	pSSDP
	pTLS
	pBACnet
	pASTM
)

// saw marks that a conversation carrying d's identity over p was played
// (only while the capture is still running).
func (s *sim) saw(d *device, t int64, p uint16) {
	if t < s.end {
		d.seen |= p
	}
}

const (
	threatNone uint8 = iota
	threatPublicIP
	threatTelnet
	threatSMB1Peer
)

func (d *device) model() string   { return d.kind.Models[d.modelIdx] }
func (d *device) version() string { return d.kind.Versions[d.verIdx] }
func (d *device) id() string      { return fmt.Sprintf("dev-%06d", d.idx) }
func (d *device) present() bool {
	return !d.silent && (!d.joinLate || d.joined) && d.gateway < 0
}
func (d *device) ep(port uint16) endpoint {
	return endpoint{mac: d.mac, ip: d.ip, port: port, os: osProfiles[d.kind.Stack]}
}
func (d *device) ephemeral(r *rand.Rand) uint16 {
	if d.eport == 0 {
		d.eport = uint16(49152 + r.IntN(10000))
	}
	d.eport++
	if d.eport < 49152 {
		d.eport = 49152
	}
	return d.eport
}
func (d *device) nextID() uint16 { d.ipid++; return d.ipid }

var locNames = []struct{ name, cat string }{
	{"Data-Center", "dc"}, {"Radiology", "imaging"}, {"ICU-3", "clinical"}, {"ED", "clinical"},
	{"Lab", "lab"}, {"Admin", "admin"}, {"Ward-4A", "clinical"}, {"Cardiology", "imaging"},
	{"NICU", "clinical"}, {"OR-2", "clinical"}, {"ICU-1", "clinical"}, {"Ward-5B", "clinical"},
	{"Oncology", "clinical"}, {"Pharmacy", "admin"}, {"ICU-2", "clinical"}, {"Imaging-West", "imaging"},
}

// typeCat maps a device type to the location category it lives in.
func typeCat(t string) string {
	switch canon.DeviceType(t) {
	case canon.CT, canon.MR, canon.Ultrasound, canon.XRay, canon.ImagingWorkstation:
		return "imaging"
	case canon.PatientMonitor, canon.InfusionPump, canon.Ventilator, canon.MonitoringGateway:
		return "clinical"
	case canon.LabAnalyzer:
		return "lab"
	case canon.Server, canon.PACS:
		return "dc"
	default:
		return "admin"
	}
}

// build creates locations, core servers, switches and endpoints.
func (s *sim) build() {
	n := s.cfg.Devices
	nloc := max(6, (n+199)/200)
	nt := &network{byCat: map[string][]int{}}
	for i := range nloc {
		ln := locNames[i%len(locNames)]
		name := ln.name
		if i >= len(locNames) {
			name = fmt.Sprintf("%s-%d", ln.name, i/len(locNames)+1)
		}
		if i > 0 && ln.cat == "dc" {
			ln.cat = "admin" // one data centre
			name = fmt.Sprintf("Clinic-%d", i/len(locNames)+1)
		}
		l := location{name: name, cat: ln.cat, base: ipv4(10, 0, 0, 0) + ip4((i+1)*1024), next: 10,
			router: mac{0x00, 0x00, 0x0c, 0x9f, 0xf0 | byte(i>>8&0x0f), byte(i)}}
		nt.locs = append(nt.locs, l)
		nt.byCat[l.cat] = append(nt.byCat[l.cat], i)
	}
	s.net = nt
	roles := map[string]*Kind{}
	var weighted []*Kind
	total := 0
	for _, k := range s.cat.Kinds {
		if k.Role != "" && k.Role != "gateway" {
			roles[k.Role] = k
		}
		if k.Weight > 0 {
			weighted = append(weighted, k)
			total += k.Weight
		}
	}
	add := func(k *Kind, loc int) *device {
		d := s.newDevice(k, loc)
		return d
	}
	nt.dns = add(roles["dns"], 0).idx
	nt.pacs = add(roles["pacs"], 0).idx
	nt.hl7 = add(roles["hl7"], 0).idx
	nt.ehr = add(roles["ehr"], 0).idx
	nt.nms = add(roles["nms"], 0).idx
	// One access switch (stack) per location; Cisco mostly, some Aruba.
	swKinds := []*Kind{s.cat.byID["cisco-c9300"], s.cat.byID["cisco-c9300"], s.cat.byID["cisco-c9300"], s.cat.byID["aruba-2930"]}
	for i := range nt.locs {
		sw := add(swKinds[i%len(swKinds)], i)
		nt.locs[i].sw = sw.idx
	}
	for _, d := range s.devs {
		s.attach(d)
	}
	for len(s.devs) < n {
		r := s.rng.IntN(total)
		var k *Kind
		for _, c := range weighted {
			if r < c.Weight {
				k = c
				break
			}
			r -= c.Weight
		}
		cands := nt.byCat[typeCat(k.Type)]
		if len(cands) == 0 {
			cands = nt.byCat["admin"]
		}
		d := add(k, cands[s.rng.IntN(len(cands))])
		s.attach(d)
	}
	s.placeBehindGateways()
}

func (s *sim) newDevice(k *Kind, loc int) *device {
	r := rand.New(rand.NewPCG(s.cfg.Seed^0x5bd1e995, uint64(len(s.devs))))
	d := &device{idx: int32(len(s.devs)), kind: k, loc: int32(loc), sw: -1, gateway: -1}
	o := k.ouis[r.IntN(len(k.ouis))]
	d.mac = mac{o[0], o[1], o[2], byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}
	d.modelIdx = uint8(r.IntN(len(k.Models)))
	// Start below the newest version where possible, so updates have somewhere to go.
	d.verIdx = uint8(r.IntN(max(1, len(k.Versions)-1)))
	for try := 0; ; try++ {
		d.serial = serialFrom(k.Serial, r)
		// A pattern with few wildcards may run out: then it repeats.
		if key := k.Manufacturer + "\x00" + d.serial; !s.serials[key] || try == 32 {
			s.serials[key] = true
			break
		}
	}
	d.hostname = hostnameFor(k, d)
	d.ipid = uint16(r.Uint32())
	s.devs = append(s.devs, d)
	return d
}

func serialFrom(pat string, r *rand.Rand) string {
	b := []byte(pat)
	for i, c := range b {
		switch c {
		case '#':
			b[i] = byte('0' + r.IntN(10))
		case '@':
			b[i] = byte('A' + r.IntN(26))
		}
	}
	return string(b)
}

func hostnameFor(k *Kind, d *device) string {
	switch {
	case k.Hostname == "SEP": // Cisco phones name themselves SEP<MAC>
		return "SEP" + strings.ToUpper(strings.ReplaceAll(d.mac.String(), ":", ""))
	case k.Hostname == "NPI": // HP printers: NPI + last three MAC bytes
		return fmt.Sprintf("NPI%02X%02X%02X", d.mac[3], d.mac[4], d.mac[5])
	case k.Role != "" && k.Role != "gateway" && k.Role != "switch":
		return k.Hostname
	case k.Role == "switch":
		return fmt.Sprintf("%s-%03d", k.Hostname, d.idx)
	}
	tail := d.serial
	if len(tail) > 5 {
		tail = tail[len(tail)-5:]
	}
	return strings.ToUpper(fmt.Sprintf("%s-%s", k.Hostname, strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, tail)))
}

// attach leases an address in the device's location and a port on its switch.
func (s *sim) attach(d *device) {
	l := &s.net.locs[d.loc]
	if l.next >= 1020 {
		// The /22 is full: spill into the next location of the same category.
		d.loc = int32((int(d.loc) + 1) % len(s.net.locs))
		s.attach(d)
		return
	}
	d.ip = l.base + ip4(l.next)
	l.next++
	d.ips = append(d.ips, d.ip)
	if d.kind.Role != "switch" {
		d.sw = l.sw
		d.port = int16(l.nextPt + 1)
		l.nextPt++
	}
}

// placeBehindGateways hides some bedside monitors on the private monitoring
// network of a central station: they are seen only through its HL7.
func (s *sim) placeBehindGateways() {
	var gws []*device
	for _, d := range s.devs {
		if d.kind.Type == string(canon.MonitoringGateway) {
			gws = append(gws, d)
		}
	}
	if len(gws) == 0 {
		return
	}
	for _, d := range s.devs {
		if d.kind.Type != string(canon.PatientMonitor) || s.rng.IntN(3) != 0 {
			continue
		}
		g := gws[s.rng.IntN(len(gws))]
		d.gateway = g.idx
		d.ips = nil
		d.sw, d.port = -1, 0
		g.behind = append(g.behind, d.idx)
	}
}

// portName renders a switch port the way the switch names it.
func (s *sim) portName(sw int32, port int16) string {
	if sw < 0 {
		return ""
	}
	if s.devs[sw].kind.ID == "aruba-2930" {
		return fmt.Sprintf("%d", port)
	}
	member := (int(port)-1)/48 + 1
	return fmt.Sprintf("GigabitEthernet%d/0/%d", member, (int(port)-1)%48+1)
}

// hop is the destination MAC for a frame from one device to another: the
// peer itself on the same subnet, else the sender's default gateway.
func (s *sim) hop(from, to *device) mac {
	if to != nil && from.loc == to.loc {
		return to.mac
	}
	return s.net.locs[from.loc].router
}

func (s *sim) dev(i int32) *device { return s.devs[i] }
