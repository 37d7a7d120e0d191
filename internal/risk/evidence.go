package risk

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
)

// Service usage statuses.
const (
	StatusSeen       = "seen"        // the port was seen answering clients on the device
	StatusClientOnly = "client_only" // the protocol was spoken, but the device never listened on its ports
	StatusNeverSeen  = "never_seen"  // not seen during at least the minimum observation
	StatusUnknown    = "unknown"     // observed too briefly to say
)

// ServiceEvidence is what Ward saw of one vulnerable service on one device.
type ServiceEvidence struct {
	Key            string    `json:"key"`
	Name           string    `json:"name"`
	Ports          []PortRef `json:"ports"`
	MatchedBy      string    `json:"matched_by"`
	Status         string    `json:"status"`
	SeenPorts      []PortRef `json:"seen_ports"`
	Peers          []string  `json:"peers"`        // clients that used it (IPs)
	PeerSubnets    []string  `json:"peer_subnets"` // their subnets
	PublicPeers    []string  `json:"public_peers"` // clients with public addresses
	OutsideSegment bool      `json:"outside_segment"`
	LastUsed       time.Time `json:"last_used,omitzero"`
	Local          bool      `json:"local,omitempty"`
	Stack          bool      `json:"stack,omitempty"` // any traffic reaches it
	Signals        []string  `json:"signals"`         // weak practices Ward saw in this protocol (smbv1, cleartext community, ...)
}

// site is what Ward knows about all devices, for fleet sizes and subnets.
type site struct {
	subnetOf   map[string]string // ip -> subnet of the device that holds it
	byModel    map[string]int
	byType     map[string]int
	deviceOfIP map[string]string
}

func newSite(devs []*inventory.Device) *site {
	s := &site{subnetOf: map[string]string{}, byModel: map[string]int{}, byType: map[string]int{}, deviceOfIP: map[string]string{}}
	for _, d := range devs {
		for _, r := range d.IPs {
			if d.Subnet != "" {
				s.subnetOf[r.IP] = d.Subnet
			}
			s.deviceOfIP[r.IP] = d.ID
		}
		if k := modelKey(d); k != "" {
			s.byModel[k]++
		}
		if t := d.Attr(fingerprint.DeviceType); t != "" {
			s.byType[t]++
		}
	}
	return s
}

func modelKey(d *inventory.Device) string {
	m, mo := d.Attr(fingerprint.Manufacturer), d.Attr(fingerprint.Model)
	if m == "" || mo == "" {
		return ""
	}
	return strings.ToLower(m + "\x00" + mo)
}

// subnet names the segment of ip: the subnet of the device that holds it,
// else its /24 (IPv4) or /64 (IPv6).
func (s *site) subnet(ip string) string {
	if sn, ok := s.subnetOf[ip]; ok {
		return sn
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	bits := 24
	if a.Is6() && !a.Is4In6() {
		bits = 64
	}
	p, _ := a.Unmap().Prefix(bits)
	return p.String()
}

// Public reports whether ip is a public (internet) address.
func Public(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified() || a.IsLinkLocalMulticast() {
		return false
	}
	return !netip.MustParsePrefix("100.64.0.0/10").Contains(a) && !a.IsInterfaceLocalMulticast()
}

func inSubnet(subnet, ip string) bool {
	p, err := netip.ParsePrefix(subnet)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(ip)
	return err == nil && p.Contains(a.Unmap())
}

// observed is how long Ward has watched the device.
func observed(d *inventory.Device) time.Duration {
	if d.FirstSeen.IsZero() || d.LastSeen.Before(d.FirstSeen) {
		return 0
	}
	return d.LastSeen.Sub(d.FirstSeen)
}

// serviceEvidence looks for svc's ports and protocols on d.
func (s *site) serviceEvidence(d *inventory.Device, svc *Service, why string, minObs time.Duration) ServiceEvidence {
	ev := ServiceEvidence{Key: svc.Key, Name: svc.Name, Ports: nonNil(svc.Ports), MatchedBy: why, Local: svc.Local, Stack: svc.Stack,
		SeenPorts: []PortRef{}, Peers: []string{}, PeerSubnets: []string{}, PublicPeers: []string{}, Signals: []string{}}
	if svc.Local {
		ev.Status = StatusUnknown
		return ev
	}
	addPeer := func(ip string, last time.Time) {
		if ip == "" {
			return
		}
		if !slices.Contains(ev.Peers, ip) {
			ev.Peers = append(ev.Peers, ip)
		}
		if last.After(ev.LastUsed) {
			ev.LastUsed = last
		}
	}
	wanted := func(p PortRef) bool { return svc.Stack || slices.Contains(svc.Ports, p) }
	for _, sp := range d.Services {
		p := PortRef{Transport: strings.ToLower(sp.Transport), Port: sp.Port}
		if !wanted(p) {
			continue
		}
		if !slices.Contains(ev.SeenPorts, p) {
			ev.SeenPorts = append(ev.SeenPorts, p)
		}
		if sp.Last.After(ev.LastUsed) {
			ev.LastUsed = sp.Last
		}
		for _, pe := range sp.Peers {
			addPeer(pe.IP, pe.Last)
		}
	}
	for _, c := range d.Contacts {
		p := PortRef{Transport: strings.ToLower(c.Transport), Port: c.Port}
		if svc.Stack && c.Outbound {
			// Replies to the device's own connections reach the stack too.
			addPeer(c.Peer, c.Last)
			continue
		}
		if c.Outbound || !wanted(p) {
			continue
		}
		if !slices.Contains(ev.SeenPorts, p) {
			ev.SeenPorts = append(ev.SeenPorts, p)
		}
		addPeer(c.Peer, c.Last)
	}
	if svc.Stack {
		for _, x := range d.External {
			addPeer(x.IP, x.Last)
		}
	}
	sortAddrs(ev.Peers)
	for _, ip := range ev.Peers {
		if Public(ip) {
			ev.PublicPeers = append(ev.PublicPeers, ip)
		}
		sn := s.subnet(ip)
		if sn != "" && !slices.Contains(ev.PeerSubnets, sn) {
			ev.PeerSubnets = append(ev.PeerSubnets, sn)
		}
		if d.Subnet != "" && !inSubnet(d.Subnet, ip) || d.Subnet == "" && sn != s.subnet(d.IP()) {
			ev.OutsideSegment = true
		}
	}
	slices.Sort(ev.PeerSubnets)
	for _, sg := range d.Signals {
		if slices.Contains(svc.Protocols, sg.Protocol) && !slices.Contains(ev.Signals, sg.Name) {
			ev.Signals = append(ev.Signals, sg.Name)
		}
	}
	slices.Sort(ev.Signals)
	switch {
	case len(ev.SeenPorts) > 0 || svc.Stack && len(ev.Peers) > 0:
		ev.Status = StatusSeen
	case slices.ContainsFunc(d.Protocols, func(p inventory.ProtocolSeen) bool { return slices.Contains(svc.Protocols, p.Name) }):
		ev.Status = StatusClientOnly
	case observed(d) >= minObs:
		ev.Status = StatusNeverSeen
	default:
		ev.Status = StatusUnknown
	}
	return ev
}

// publicContacts lists the public destinations d talked to.
func publicContacts(d *inventory.Device) []string {
	out := []string{}
	for _, e := range d.External {
		if !slices.Contains(out, e.IP) {
			out = append(out, e.IP)
		}
	}
	for _, c := range d.Contacts {
		if c.Outbound && Public(c.Peer) && !slices.Contains(out, c.Peer) {
			out = append(out, c.Peer)
		}
	}
	sortAddrs(out)
	return out
}

// dependents counts distinct clients of any of d's services.
func dependents(d *inventory.Device) int {
	set := map[string]bool{}
	for _, sp := range d.Services {
		for _, p := range sp.Peers {
			set[p.IP+"|"+p.MAC] = true
		}
	}
	for _, c := range d.Contacts {
		if !c.Outbound {
			set[c.Peer+"|"] = true
		}
	}
	// A peer seen with and without its MAC is one client.
	ips := map[string]bool{}
	for k := range set {
		ip, _, _ := strings.Cut(k, "|")
		ips[ip] = true
	}
	return len(ips)
}

// phiProtocols lists the patient-data protocols d speaks.
func phiProtocols(d *inventory.Device) []string {
	var out []string
	for _, p := range d.Protocols {
		if (p.Name == "hl7" || p.Name == "dicom") && !slices.Contains(out, p.Name) {
			out = append(out, p.Name)
		}
	}
	if len(d.AETitles) > 0 && !slices.Contains(out, "dicom") {
		out = append(out, "dicom")
	}
	slices.Sort(out)
	return out
}

// span says a duration in words: "3 days", "5 hours".
func span(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	default:
		return "less than a few minutes"
	}
}

// sortAddrs orders IP addresses numerically (10.0.8.14 before 10.0.24.1);
// unparsable strings go last, in text order.
func sortAddrs(ips []string) {
	slices.SortFunc(ips, func(a, b string) int {
		x, errX := netip.ParseAddr(a)
		y, errY := netip.ParseAddr(b)
		switch {
		case errX == nil && errY == nil:
			return x.Compare(y)
		case errX == nil:
			return -1
		case errY == nil:
			return 1
		}
		return strings.Compare(a, b)
	})
}

func nonNil(p []PortRef) []PortRef {
	if p == nil {
		return []PortRef{}
	}
	return p
}
