package inventory

import (
	"encoding/hex"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/observe"
)

// apply routes one observation to the device(s) it is about.
func (b *batch) apply(o *observe.Observation) error {
	t := o.Time.UTC()
	if t.After(b.clock) {
		b.clock = t
	}
	switch o.Protocol {
	case "dhcp", "dhcpv4":
		if done, err := b.applyDHCP(o, t); done || err != nil {
			return err
		}
	case "hl7":
		if done, err := b.applyHL7Behind(o, t); done || err != nil {
			return err
		}
	}
	var src *Device
	var err error
	switch o.Protocol {
	case "lldp", "cdp":
		src, err = b.resolveChassis(o, t)
	case "arp":
		// ARP carries its sender's binding in the payload, not the IP header.
		mac, ip := o.SrcMAC, o.SrcIP
		if v, ok := o.Get("arp.sender_mac"); ok {
			if m, perr := net.ParseMAC(v); perr == nil {
				mac = m
			}
		}
		if v, ok := o.Get("arp.sender_ip"); ok {
			if a, perr := netip.ParseAddr(v); perr == nil {
				ip = a
			}
		}
		src, err = b.resolveOwn(mac, ip, t)
	default:
		src, err = b.resolve(o.SrcMAC, o.SrcIP, t, "")
	}
	if err != nil || src == nil {
		return err
	}
	b.touch(src, o.Protocol, t, true)
	switch o.Protocol {
	case "dicom":
		if err := b.dicomSource(src, o, t); err != nil {
			return err
		}
	case "hl7":
		if err := b.hl7Source(src, o); err != nil {
			return err
		}
	case "syslog":
		if err := b.syslogHost(src, o); err != nil {
			return err
		}
	}
	if src, err = b.applyClaims(src, b.claims, t); err != nil {
		return err
	}
	if o.Protocol == "hl7" {
		if src, err = b.hl7Sender(src, o); err != nil {
			return err
		}
	}
	switch o.Protocol {
	case "kerberos":
		if err := b.kerberosClient(o, t); err != nil {
			return err
		}
	case "bacnet":
		if err := b.bacnetForwarded(o, t); err != nil {
			return err
		}
	}
	return b.facts(src, o, t)
}

// bacnetForwarded credits a BACnet answer that a broadcast management
// device (BBMD) passed on to the controller that sent it: the
// Forwarded-NPDU names the controller's own B/IP address, usually on a
// subnet the sensor never hears directly. An answer that also came
// through a BACnet router (a source network) names the router, not the
// controller behind it, so it credits no one.
func (b *batch) bacnetForwarded(o *observe.Observation, t time.Time) error {
	from, ok := o.Get("bacnet.forwarded_from")
	if !ok {
		return nil
	}
	if _, routed := o.Get("bacnet.source_network"); routed {
		return nil
	}
	ap, err := netip.ParseAddrPort(from)
	if err != nil {
		return nil
	}
	a := usableIP(ap.Addr())
	if !a.IsValid() || a == usableIP(o.SrcIP) {
		return nil
	}
	dev, err := b.resolveIP(a, o.Time.UTC(), true)
	if err != nil || dev == nil {
		return err
	}
	about := observe.Observation{Time: o.Time, SrcIP: a, DstMAC: o.DstMAC, DstIP: o.DstIP,
		SrcPort: ap.Port(), DstPort: o.DstPort, Transport: o.Transport, Protocol: o.Protocol}
	for _, f := range o.Fields {
		if f.Key != "bacnet.forwarded_from" {
			about.Fields = append(about.Fields, f)
		}
	}
	if dev, err = b.applyClaims(dev, b.s.claimer.Claims(&about, nil), t); err != nil {
		return err
	}
	if v, ok := o.Get("bacnet.location"); ok && strings.TrimSpace(v) != "" {
		b.setLocation(dev, strings.TrimSpace(v), "bacnet", t)
	}
	return nil
}

// kerberosClient credits the machine account a KDC's reply names to the
// client the reply goes to: a TGS-REQ does not name its client (that is
// encrypted), so the reply is the only place its name is heard.
func (b *batch) kerberosClient(o *observe.Observation, t time.Time) error {
	name, ok := o.Get("kerberos.client_hostname")
	if role, _ := o.Get("kerberos.role"); !ok || role != "kdc" {
		return nil
	}
	peer, err := b.peer(o)
	if err != nil || peer == nil {
		return err
	}
	about := observe.Observation{Time: o.Time, SrcMAC: o.DstMAC, DstMAC: o.SrcMAC, SrcIP: o.DstIP, DstIP: o.SrcIP,
		SrcPort: o.DstPort, DstPort: o.SrcPort, Transport: o.Transport, Protocol: o.Protocol,
		Fields: []observe.Field{{Key: "kerberos.hostname", Value: name}}}
	_, err = b.applyClaims(peer, b.s.claimer.Claims(&about, nil), t)
	return err
}

// hl7Sender handles MSH-3 naming the sending application by EUI-64
// ("IntelliVue_MX800^0009FB00001A2B3C^EUI-64", IHE PCD): the sender is that
// equipment, so OBX-18 reports with the same EUI-64 describe the sender
// itself, not a device behind it.
func (b *batch) hl7Sender(src *Device, o *observe.Observation) (*Device, error) {
	eui := mshEUI64(o)
	if eui == "" || src.hl7Forwarder() {
		return src, nil
	}
	k := Key{KeyEUI64, eui}
	other, err := b.lookup(k)
	if err != nil {
		return nil, err
	}
	if other != nil && other.ID != src.ID {
		if !other.BehindGateway {
			return src, nil // another device already holds it; do not steal
		}
		src = b.merge(src, other)
		src.BehindGateway = false
		src.Gateways = nil
	}
	if src.EUI64 == "" {
		src.EUI64 = eui
	}
	b.setKey(k, src.ID)
	return src, nil
}

// resolveChassis finds the device an LLDP/CDP frame describes. Switches
// send these from per-port MACs; the chassis MAC (LLDP) or management
// address names the device, and the port MAC is mapped to it so that
// later frames from that port land on the same device.
func (b *batch) resolveChassis(o *observe.Observation, t time.Time) (*Device, error) {
	port := usableMAC(o.SrcMAC)
	var chassis net.HardwareAddr
	if v, ok := o.Get("lldp.chassis_id"); ok {
		if typ, _ := o.Get("lldp.chassis_id_type"); typ == "" || strings.EqualFold(typ, "mac") {
			if m, err := net.ParseMAC(v); err == nil && usableMAC(m) != "" {
				chassis = m
			}
		}
	}
	var mgmt netip.Addr
	for _, k := range []string{"lldp.mgmt_address", "cdp.address"} {
		if v, ok := o.Get(k); ok {
			if a, err := netip.ParseAddr(v); err == nil {
				mgmt = usableIP(a)
				break
			}
		}
	}
	var d *Device
	var err error
	switch {
	case chassis != nil:
		d, err = b.resolve(chassis, mgmt, t, "")
	case port != "":
		if d, err = b.lookup(Key{KeyMAC, port}); err != nil {
			return nil, err
		}
		if d == nil && mgmt.IsValid() {
			if d, err = b.resolveIP(mgmt, t, false); err != nil {
				return nil, err
			}
		}
		if d == nil {
			return b.resolve(o.SrcMAC, mgmt, t, "")
		}
		if mgmt.IsValid() && b.s.internal(mgmt) {
			b.observeIP(d, mgmt, "observed", t)
		}
	default:
		return nil, nil
	}
	if err != nil || d == nil {
		return d, err
	}
	if port != "" && port != d.MAC {
		if owner, err := b.lookup(Key{KeyMAC, port}); err != nil {
			return nil, err
		} else if owner == nil {
			b.setKey(Key{KeyMAC, port}, d.ID)
		} else if owner.ID != d.ID && owner.Identity.Value(fingerprint.Serial) == "" && len(owner.IPs) == 0 && len(owner.Services) == 0 {
			// A port MAC that became a device of its own before the
			// chassis was known: fold it in.
			d = b.merge(d, owner)
			b.setKey(Key{KeyMAC, port}, d.ID)
		}
	}
	return d, nil
}

// resolve finds or creates the device behind a MAC and/or IP. cid is a
// DHCP client identifier, which keeps a device with a random MAC together
// across MAC rotations and long gaps.
func (b *batch) resolve(mac net.HardwareAddr, ip netip.Addr, t time.Time, cid string) (*Device, error) {
	return b.resolveHinted(mac, ip, t, cid, "", false)
}

// resolveOwn is resolve for a binding that is certainly the MAC's own
// address (an ARP sender, a DHCP relay's own address): never routed, so a
// router may hold it, and an address-only device with it is folded in.
func (b *batch) resolveOwn(mac net.HardwareAddr, ip netip.Addr, t time.Time) (*Device, error) {
	return b.resolveHinted(mac, ip, t, "", "", true)
}

// resolveHinted is resolve with the DHCP hostname as a last hint for a
// random MAC: a phone that rotates its MAC and sends no client id still
// announces the same name.
func (b *batch) resolveHinted(mac net.HardwareAddr, ip netip.Addr, t time.Time, cid, host string, own bool) (*Device, error) {
	m := usableMAC(mac)
	a := usableIP(ip)
	if m == "" {
		if a.IsValid() {
			return b.resolveIP(a, t, true)
		}
		return nil, nil
	}
	if a.IsValid() && !b.s.internal(a) {
		// A public source address behind a local MAC is routed traffic:
		// the MAC is a router's, the host is outside. Neither is described.
		return nil, nil
	}
	random := mac[0]&2 != 0
	var d *Device
	var err error
	if random && cid != "" {
		if d, err = b.lookup(Key{KeyClientID, cid}); err != nil {
			return nil, err
		}
	}
	if d == nil {
		if d, err = b.lookup(Key{KeyMAC, m}); err != nil {
			return nil, err
		}
		// A random MAC may be reused by another device after a long gap:
		// only rejoin by MAC alone when recently seen or the client id agrees.
		if d != nil && random && t.Sub(d.LastSeen) > b.s.opt.RandomMACGap && (cid == "" || !slices.Contains(d.ClientIDs, cid)) {
			d = nil
		}
	}
	if d == nil && random && cid == "" && host != "" {
		if d, err = b.lookup(Key{KeyHost, strings.ToLower(host)}); err != nil {
			return nil, err
		}
		if d != nil && !d.RandomMAC {
			d = nil // only random-MAC devices are joined by name
		}
	}
	if d == nil && a.IsValid() && !gatewayMAC(mac) {
		// Adopt a device so far known only by this address.
		if d, err = b.lookup(Key{KeyIP, a.String()}); err != nil {
			return nil, err
		}
		if d != nil && d.MAC == "" && !d.BehindGateway {
			b.removeKey(Key{KeyIP, a.String()})
		} else {
			d = nil
		}
	}
	if d == nil {
		d = b.create(Key{KeyMAC, m}, t)
		d.Router = gatewayMAC(mac)
	}
	if d.MAC == "" {
		d.MAC = m
	}
	if !slices.Contains(d.MACs, m) {
		d.MACs = append(d.MACs, m)
	}
	if d.MAC == m || !random {
		d.RandomMAC = random && d.MAC == m
	}
	b.setKey(Key{KeyMAC, m}, d.ID)
	if cid != "" {
		b.addClientID(d, cid)
	}
	if own && a.IsValid() {
		if ipd, err := b.lookup(Key{KeyIP, a.String()}); err != nil {
			return nil, err
		} else if ipd != nil && ipd.ID != d.ID && ipd.MAC == "" && !ipd.BehindGateway {
			b.removeKey(Key{KeyIP, a.String()})
			d = b.merge(d, ipd)
		}
	}
	if d.Router && a.IsValid() && !hasIP(d, a) && !own {
		// Routed traffic: the MAC is the router's, the IP someone else's.
		return b.resolveIP(a, t, true)
	}
	if a.IsValid() && !own && (len(d.IPs) == 0 || d.IPs[0].IP != a.String()) {
		// The address is bound to another device with its own MAC, heard
		// with it recently: this frame was routed to us by d.
		owner, err := b.lookup(Key{KeyLease, a.String()})
		if err != nil {
			return nil, err
		}
		if owner != nil && owner.ID != d.ID && owner.MAC != "" && len(owner.IPs) > 0 &&
			owner.IPs[0].IP == a.String() && t.Sub(owner.IPs[0].Last) < 24*time.Hour {
			d.Routed++
			if d.Routed >= 3 {
				d.Router = true
			}
			b.dirty[d.ID] = true
			b.observeIP(owner, a, "observed", t)
			return owner, nil
		}
	}
	if a.IsValid() {
		b.observeIP(d, a, "observed", t)
	}
	return d, nil
}

// resolveIP finds the device using address a: an IP-only device, or the
// MAC device currently holding a. With create, an internal address
// unknown so far becomes an IP-only device; public addresses never do.
func (b *batch) resolveIP(a netip.Addr, t time.Time, create bool) (*Device, error) {
	ipd, err := b.lookup(Key{KeyIP, a.String()})
	if err != nil {
		return nil, err
	}
	lease, err := b.lookup(Key{KeyLease, a.String()})
	if err != nil {
		return nil, err
	}
	// The address may have been leased to a MAC device since the IP-only
	// device was last heard: the more recent holder wins.
	d := ipd
	if lease != nil && (ipd == nil || lease.LastSeen.After(ipd.LastSeen)) {
		d = lease
	}
	if d != nil {
		b.observeIP(d, a, "observed", t)
		return d, nil
	}
	if !create || !b.s.internal(a) {
		return nil, nil
	}
	d = b.create(Key{KeyIP, a.String()}, t)
	b.observeIP(d, a, "observed", t)
	return d, nil
}

// gatewayMAC reports the virtual MACs of first-hop redundancy protocols
// (HSRP v1/v2, VRRP): always a router, never the host behind the address.
func gatewayMAC(m net.HardwareAddr) bool {
	if len(m) != 6 {
		return false
	}
	switch {
	case m[0] == 0 && m[1] == 0 && m[2] == 0x0c && m[3] == 0x07 && m[4] == 0xac: // HSRPv1
		return true
	case m[0] == 0 && m[1] == 0 && m[2] == 0x0c && m[3] == 0x9f && m[4]&0xf0 == 0xf0: // HSRPv2
		return true
	case m[0] == 0 && m[1] == 0 && m[2] == 0x5e && m[3] == 0 && (m[4] == 1 || m[4] == 2): // VRRP
		return true
	}
	return false
}

func hasIP(d *Device, a netip.Addr) bool {
	s := a.String()
	for _, r := range d.IPs {
		if r.IP == s {
			return true
		}
	}
	return false
}

func (b *batch) addClientID(d *Device, cid string) {
	if !slices.Contains(d.ClientIDs, cid) {
		d.ClientIDs = append(d.ClientIDs, cid)
		if len(d.ClientIDs) > 8 {
			d.ClientIDs = d.ClientIDs[len(d.ClientIDs)-8:]
		}
		b.dirty[d.ID] = true
	}
	b.setKey(Key{KeyClientID, cid}, d.ID)
}

// observeIP records that d used a at t. A DHCP ACK is authoritative; other
// sightings only add history. A changed subnet is a move.
func (b *batch) observeIP(d *Device, a netip.Addr, source string, t time.Time) {
	s := a.String()
	b.dirty[d.ID] = true
	if len(d.IPs) > 0 && d.IPs[0].IP == s {
		r := &d.IPs[0]
		if t.After(r.Last) {
			r.Last = t
		}
		if source == "dhcp-ack" {
			r.Source = source
		}
		return
	}
	idx := -1
	for i := range d.IPs {
		if d.IPs[i].IP == s {
			idx = i
			break
		}
	}
	if idx >= 0 && t.Before(d.IPs[0].Last) && source != "dhcp-ack" {
		// An old address seen in late packets: history only, not current.
		if t.After(d.IPs[idx].Last) {
			d.IPs[idx].Last = t
		}
		return
	}
	// A move is a new authoritative lease, or an old address given up
	// (unheard for a while); a host using two addresses at once is not moving.
	moved := source == "dhcp-ack" || len(d.IPs) == 0 || t.Sub(d.IPs[0].Last) > 30*time.Minute
	rec := IPRecord{IP: s, Source: source, First: t, Last: t}
	if idx >= 0 {
		rec = d.IPs[idx]
		rec.Last = t
		if source == "dhcp-ack" {
			rec.Source = source
		}
		d.IPs = slices.Delete(d.IPs, idx, idx+1)
	}
	d.IPs = slices.Insert(d.IPs, 0, rec)
	if len(d.IPs) > b.s.opt.MaxIPs {
		d.IPs = d.IPs[:b.s.opt.MaxIPs]
	}
	if d.MAC != "" || d.BehindGateway {
		// A router that carried this address before its owner was heard
		// gives it up. (A lookup error resurfaces on the next lookup.)
		if prev, _ := b.lookup(Key{KeyLease, s}); prev != nil && prev.ID != d.ID && prev.Router && !d.Router {
			prev.IPs = slices.DeleteFunc(prev.IPs, func(r IPRecord) bool { return r.IP == s })
			b.dirty[prev.ID] = true
		}
		b.setKey(Key{KeyLease, s}, d.ID)
	}
	if !d.Router && d.MAC != "" && source == "observed" {
		recent := 0
		for _, r := range d.IPs {
			if r.Source == "observed" && t.Sub(r.Last) < time.Hour {
				recent++
			}
		}
		if recent > b.s.opt.RouterIPs {
			d.Router = true
		}
	}
	sub := subnetOf(a, b.s.opt.Locations)
	if d.Subnet != sub {
		if d.Subnet != "" && moved && !d.Router {
			b.event(d, EventMoved, "subnet", d.Subnet, sub, t)
		}
		d.Subnet = sub
	}
	b.relocate(d, t)
}

// relocate recomputes the location: the device's own LLDP/CDP location
// first, then the configured subnet name, then the DHCP relay's switch port.
func (b *batch) relocate(d *Device, t time.Time) {
	loc, from := "", ""
	if d.LocationFrom == "lldp" || d.LocationFrom == "cdp" || d.LocationFrom == "snmp" {
		return
	}
	if ip := d.IP(); ip != "" {
		if a, err := netip.ParseAddr(ip); err == nil {
			for _, l := range b.s.opt.Locations {
				if l.Prefix.Contains(a) {
					loc, from = l.Name, "config"
					break
				}
			}
		}
	}
	if loc == "" && d.SwitchPort != "" {
		loc, from = d.SwitchPort, "dhcp-option-82"
	}
	b.setLocation(d, loc, from, t)
}

func (b *batch) setLocation(d *Device, loc, from string, t time.Time) {
	if loc == "" || loc == d.Location {
		if loc != "" {
			d.LocationFrom = from
		}
		return
	}
	if d.Location != "" && d.LocationFrom == from && from != "dhcp-option-82" { // option 82 moves are reported as switch_port
		// A better source naming the same place differently is not a move.
		b.event(d, EventMoved, "location", d.Location, loc, t)
	}
	d.Location, d.LocationFrom = loc, from
	b.dirty[d.ID] = true
}

// touch records that d was heard at t speaking proto.
func (b *batch) touch(d *Device, proto string, t time.Time, spoke bool) {
	b.dirty[d.ID] = true
	if !d.Silent && !d.LastSeen.IsZero() && t.Sub(d.LastSeen) > b.s.opt.SilentAfter {
		b.event(d, EventSilent, "", "", "", d.LastSeen.Add(b.s.opt.SilentAfter))
		d.Silent = true
	}
	if d.Silent {
		b.event(d, EventReturned, "", "", "", t)
		d.Silent = false
	}
	if t.After(d.LastSeen) {
		d.LastSeen = t
	}
	if t.Before(d.FirstSeen) || d.FirstSeen.IsZero() {
		d.FirstSeen = t
	}
	d.Observations++
	if !spoke || proto == "" {
		return
	}
	for i := range d.Protocols {
		p := &d.Protocols[i]
		if p.Name == proto {
			p.Count++
			if t.After(p.Last) {
				p.Last = t
			}
			return
		}
	}
	if len(d.Protocols) < b.s.opt.MaxProtocols {
		d.Protocols = append(d.Protocols, ProtocolSeen{Name: proto, First: t, Last: t, Count: 1})
	}
}

// applyClaims adds claims to d's identity, raising events for changed
// versions and hostnames, and merges devices that share a serial number.
// It returns the surviving device.
func (b *batch) applyClaims(d *Device, claims []fingerprint.Claim, t time.Time) (*Device, error) {
	pol := &b.s.opt.Policy
	for _, c := range claims {
		if c.Field == "dns.query" && servesDNS(d) {
			continue // a resolver forwards its clients' look-ups: the names are theirs
		}
		if d.forwarder() && isDatasetField(c.Field) || d.hl7Forwarder() && isHL7DeviceField(c.Field) ||
			d.HL7Gateway && c.Field == "hl7.observation_codes" ||
			d.syslogRelay() && c.Field == "syslog.hostname" {
			continue // a forwarder's objects and messages describe the devices that made them
		}
		ch, changed := pol.Apply(d.Identity, c, t)
		if !changed {
			continue
		}
		b.dirty[d.ID] = true
		switch ch.Attribute {
		case fingerprint.Version:
			if ch.Before != "" {
				b.event(d, EventSoftware, string(ch.Attribute), ch.Before, ch.After, firstHeard(d, ch.Attribute, t))
			}
		case fingerprint.Software:
			// Another version of the same software ("OpenSSH 9.2p1
			// Debian-2+deb12u3" after "...deb12u2"); a device runs several
			// programs, so a change of program is not an update.
			if ch.Before != "" && sameSoftware(ch.Before, ch.After) {
				b.event(d, EventSoftware, string(ch.Attribute), ch.Before, ch.After, firstHeard(d, ch.Attribute, t))
			}
		case fingerprint.Hostname:
			if ch.Before != "" {
				b.event(d, EventConfiguration, string(ch.Attribute), ch.Before, ch.After, t)
			}
			if d.RandomMAC {
				b.setKey(Key{KeyHost, strings.ToLower(ch.After)}, d.ID)
			}
		case fingerprint.Serial:
			k := serialKey(ch.After)
			other, err := b.lookup(k)
			if err != nil {
				return nil, err
			}
			if other != nil && other.ID != d.ID {
				if !sameProduct(d, other, claims) {
					// Numeric serials repeat across makers and models: two
					// devices. The serial's key stays with the first.
					continue
				}
				d = b.merge(d, other)
			}
			b.setKey(k, d.ID)
		}
	}
	b.withholdOSBuild(d)
	return d, nil
}

// withholdOSBuild keeps a Windows build (os_build evidence only) from being
// the version of a device known to be an appliance: a central station's
// version is its own release, not 14393; CMMS, exports and matching would
// take the build for it. Workstations, servers and devices of unknown type
// keep it. The evidence stays, so the build is still shown with the device.
func (b *batch) withholdOSBuild(d *Device) {
	a := d.Identity[fingerprint.Version]
	if a == nil || a.Value == "" {
		return
	}
	switch d.Attr(fingerprint.DeviceType) {
	case "", "workstation", "server", "other":
		return
	}
	c := a.Current()
	if c == nil {
		return
	}
	for _, e := range c.Evidence {
		if e.Note != fingerprint.NoteOSBuild {
			return
		}
	}
	a.Value, a.Confidence = "", 0
	b.dirty[d.ID] = true
}

// sameProduct reports whether d and other, which share a serial number,
// may be one device: a serial is unique only within a manufacturer's
// product, so a manufacturer or model that differs (ignoring case and
// spacing) keeps them apart. d's values come from the observation being
// applied when it claims them (the one that carried the serial: a DICOM
// dataset, an HL7 or LLDP-MED inventory), else from its identity; an
// unknown value on either side does not object.
func sameProduct(d, other *Device, claims []fingerprint.Claim) bool {
	for _, a := range []fingerprint.Attribute{fingerprint.Manufacturer, fingerprint.Model} {
		mine, best := d.Attr(a), 0.0
		for _, c := range claims {
			if c.Attribute == a && c.Value != "" && c.Confidence > best {
				mine, best = c.Value, c.Confidence
			}
		}
		theirs := other.Attr(a)
		if mine != "" && theirs != "" && !strings.EqualFold(strings.Join(strings.Fields(mine), " "), strings.Join(strings.Fields(theirs), " ")) {
			return false
		}
	}
	return true
}

// merge folds the younger of a and c into the older one (one device seen
// through two NICs) and returns the survivor.
func (b *batch) merge(a, c *Device) *Device {
	into, from := a, c
	if c.FirstSeen.Before(a.FirstSeen) || c.FirstSeen.Equal(a.FirstSeen) && c.ID < a.ID {
		into, from = c, a
	}
	b.s.opt.Policy.Merge(into.Identity, from.Identity)
	for _, m := range from.MACs {
		if !slices.Contains(into.MACs, m) {
			into.MACs = append(into.MACs, m)
		}
		b.setKey(Key{KeyMAC, m}, into.ID)
	}
	if into.MAC == "" {
		into.MAC, into.RandomMAC = from.MAC, from.RandomMAC
	}
	into.Router = into.Router || from.Router
	into.HL7Gateway = into.HL7Gateway || from.HL7Gateway
	into.Routed += from.Routed
	for _, r := range from.IPs {
		if !slices.ContainsFunc(into.IPs, func(x IPRecord) bool { return x.IP == r.IP }) && len(into.IPs) < b.s.opt.MaxIPs {
			into.IPs = append(into.IPs, r)
		}
		if into.MAC != "" {
			b.setKey(Key{KeyLease, r.IP}, into.ID)
		}
		if b.keys[Key{KeyIP, r.IP}] == from.ID {
			b.removeKey(Key{KeyIP, r.IP})
		}
	}
	for _, cid := range from.ClientIDs {
		b.addClientID(into, cid)
	}
	if from.EUI64 != "" && into.EUI64 == "" {
		into.EUI64 = from.EUI64
		b.setKey(Key{KeyEUI64, from.EUI64}, into.ID)
	}
	for _, s := range from.Services {
		for _, p := range s.Peers {
			b.addService(into, s.Port, s.Transport, p.IP, p.MAC, p.Last, true)
		}
		if len(s.Peers) == 0 {
			b.addService(into, s.Port, s.Transport, "", "", s.Last, true)
		}
	}
	for _, p := range from.Protocols {
		if !slices.ContainsFunc(into.Protocols, func(x ProtocolSeen) bool { return x.Name == p.Name }) && len(into.Protocols) < b.s.opt.MaxProtocols {
			into.Protocols = append(into.Protocols, p)
		}
	}
	for _, src := range from.DICOMSources {
		if !slices.Contains(into.DICOMSources, src) && len(into.DICOMSources) < maxSources {
			into.DICOMSources = append(into.DICOMSources, src)
		}
	}
	for _, eui := range from.HL7Senders {
		if !slices.Contains(into.HL7Senders, eui) && len(into.HL7Senders) < maxSources {
			into.HL7Senders = append(into.HL7Senders, eui)
		}
	}
	for _, ae := range from.AETitles {
		if !slices.Contains(into.AETitles, ae) && len(into.AETitles) < b.s.opt.MaxAETitles {
			into.AETitles = append(into.AETitles, ae)
		}
	}
	into.Signals = append(into.Signals, from.Signals...)
	if len(into.Signals) > b.s.opt.MaxSignals {
		into.Signals = into.Signals[:b.s.opt.MaxSignals]
	}
	into.Contacts = append(into.Contacts, from.Contacts...)
	if len(into.Contacts) > b.s.opt.MaxContacts {
		into.Contacts = into.Contacts[:b.s.opt.MaxContacts]
	}
	into.Utilization = mergeUse(into.Utilization, from.Utilization, b.s.opt.MaxDays)
	if from.LastSeen.After(into.LastSeen) {
		into.LastSeen = from.LastSeen
	}
	into.Observations += from.Observations
	into.Silent = into.Silent && from.Silent
	if b.created[from.ID] {
		// A device born and merged in the same batch was never stored: it
		// was not new, it was a second sighting of into.
		delete(b.created, from.ID)
		b.events = slices.DeleteFunc(b.events, func(e Event) bool { return e.DeviceID == from.ID && e.Type == EventNew })
	} else {
		b.merges = append(b.merges, [2]string{from.ID, into.ID})
	}
	// Events already raised in this batch follow the survivor.
	for i := range b.events {
		if b.events[i].DeviceID == from.ID {
			b.events[i].DeviceID = into.ID
		}
	}
	b.devs[from.ID] = nil
	delete(b.dirty, from.ID)
	b.dirty[into.ID] = true
	for k, id := range b.keys {
		if id == from.ID {
			b.setKey(k, into.ID)
		}
	}
	return into
}

func mergeUse(a, c []DayUse, maxDays int) []DayUse {
	for _, u := range c {
		i, found := slices.BinarySearchFunc(a, u.Day, func(x DayUse, d string) int { return strings.Compare(x.Day, d) })
		if found {
			a[i].Hours |= u.Hours
			a[i].Stores += u.Stores
			a[i].Results += u.Results
			a[i].Msgs += u.Msgs
			continue
		}
		a = slices.Insert(a, i, u)
	}
	if len(a) > maxDays {
		a = a[len(a)-maxDays:]
	}
	return a
}

// applyDHCP handles DHCP: requests and server replies both describe the
// client (dhcp.client_mac), never the server or the relay that carried them.
func (b *batch) applyDHCP(o *observe.Observation, t time.Time) (bool, error) {
	v, ok := o.Get("dhcp.client_mac")
	if !ok {
		return false, nil
	}
	cm, err := net.ParseMAC(v)
	if err != nil || usableMAC(cm) == "" {
		return false, nil
	}
	mt, _ := o.Get("dhcp.message_type")
	mt = strings.ToLower(mt)
	ack := mt == "ack" || mt == "5" || mt == "dhcpack"
	reply := ack || strings.Contains(mt, "offer") || mt == "2" || strings.Contains(mt, "nak") || mt == "6" || o.SrcPort == 67 && o.DstPort == 68
	// The sender is the client itself, or a server/relay reporting on it.
	if usableMAC(o.SrcMAC) != usableMAC(cm) || reply {
		resolveSender := b.resolve
		if relay, _ := o.Get("dhcp.relay_ip"); relay != "" && relay == o.SrcIP.String() {
			resolveSender = func(m net.HardwareAddr, a netip.Addr, t time.Time, _ string) (*Device, error) {
				return b.resolveOwn(m, a, t)
			}
		}
		if sender, err := resolveSender(o.SrcMAC, o.SrcIP, t, ""); err != nil {
			return true, err
		} else if sender != nil {
			b.touch(sender, o.Protocol, t, true)
		}
	}
	var ip netip.Addr
	if !reply && usableMAC(o.SrcMAC) == usableMAC(cm) {
		ip = o.SrcIP // a renewing client already uses its address
	}
	cid, _ := o.Get("dhcp.client_id")
	host, _ := o.Get("dhcp.hostname")
	client, err := b.resolveHinted(cm, ip, t, cid, host, false)
	if err != nil || client == nil {
		return true, err
	}
	b.touch(client, o.Protocol, t, !reply)
	if ack {
		if yi, ok := o.Get("dhcp.your_ip"); ok {
			if a, err := netip.ParseAddr(yi); err == nil && usableIP(a).IsValid() {
				b.observeIP(client, usableIP(a), "dhcp-ack", t)
			}
		}
	}
	circuit, _ := o.Get("dhcp.relay_circuit_id")
	remote, _ := o.Get("dhcp.relay_remote_id")
	port := strings.Trim(remote+"/"+circuit, "/")
	if remote != "" && strings.Contains(circuit, remote) {
		port = circuit // the circuit id already names the switch
	}
	if port != "" && port != client.SwitchPort {
		if client.SwitchPort != "" {
			b.event(client, EventMoved, "switch_port", client.SwitchPort, port, t)
		}
		client.SwitchPort = port
		b.relocate(client, t)
	}
	if client, err = b.applyClaims(client, b.claims, t); err != nil {
		return true, err
	}
	return true, b.facts(client, o, t)
}

// applyHL7Behind attributes an HL7 report about a device behind a gateway
// (OBX-18 / MSH-3 equipment identifier) to that device, never the gateway.
func (b *batch) applyHL7Behind(o *observe.Observation, t time.Time) (bool, error) {
	eq, ok := o.Get("hl7.equipment_id")
	if !ok {
		return false, nil
	}
	eui, mac := parseEquipment(eq)
	if eui == "" {
		return false, nil
	}
	gw, err := b.resolve(o.SrcMAC, o.SrcIP, t, "")
	if err != nil {
		return true, err
	}
	if len(eui) != 16 && gw != nil {
		// Not an EUI-64 (a lab analyzer's "model^serial^version"): the
		// sender describes itself, until it reports more than one piece of
		// equipment, which makes it a gateway.
		if !slices.Contains(gw.Equipment, eui) && len(gw.Equipment) < 16 {
			gw.Equipment = append(gw.Equipment, eui)
		}
		if len(gw.Equipment) < 2 {
			return false, nil
		}
	}
	k := Key{KeyEUI64, eui}
	d, err := b.lookup(k)
	if err != nil {
		return true, err
	}
	if d == nil && mac != nil {
		if d, err = b.lookup(Key{KeyMAC, mac.String()}); err != nil {
			return true, err
		}
	}
	if d == nil {
		d = b.create(k, t)
		if mac != nil {
			d.MAC, d.MACs = mac.String(), []string{mac.String()}
			b.setKey(Key{KeyMAC, d.MAC}, d.ID)
		} else {
			d.BehindGateway = true
		}
	}
	if gw != nil && d.ID == gw.ID {
		// The "equipment" is the sender itself: note its EUI-64 and let
		// the ordinary path handle the observation.
		if gw.EUI64 == "" {
			gw.EUI64 = eui
		}
		b.setKey(k, gw.ID)
		return false, nil
	}
	if gw != nil {
		b.touch(gw, o.Protocol, t, true)
		if !gw.HL7Gateway {
			gw.HL7Gateway = true
			b.dirty[gw.ID] = true
			// What the codes of its earlier messages claimed was about them.
			if err := b.forgetBorrowed(gw, func(f string) bool { return f == "hl7.observation_codes" }); err != nil {
				return true, err
			}
		}
	}
	d.EUI64 = eui
	b.setKey(k, d.ID)
	if gw != nil && !slices.Contains(d.Gateways, gw.ID) && len(d.Gateways) < 4 {
		d.Gateways = append(d.Gateways, gw.ID)
	}
	b.touch(d, o.Protocol, t, false)
	if d, err = b.applyClaims(d, b.claims, t); err != nil {
		return true, err
	}
	b.use(d, o, t)
	return true, nil
}

// parseEquipment extracts an EUI-64 from an HL7 equipment identifier
// ("0009FB00001A2B3C^Philips^0009FB00001A2B3C^EUI-64" or "00-09-FB-FF-FE-12-34-56")
// and the MAC it embeds when bytes 4-5 are FF-FE. Other identifiers are
// returned upper-cased as the key, without a MAC.
func parseEquipment(s string) (string, net.HardwareAddr) {
	first := strings.TrimSpace(strings.SplitN(s, "^", 2)[0])
	clean := strings.NewReplacer("-", "", ":", "", ".", "", " ", "").Replace(first)
	if len(clean) == 16 {
		if raw, err := hex.DecodeString(clean); err == nil {
			eui := strings.ToUpper(clean)
			if raw[3] == 0xff && raw[4] == 0xfe {
				return eui, net.HardwareAddr{raw[0], raw[1], raw[2], raw[5], raw[6], raw[7]}
			}
			return eui, nil
		}
	}
	return strings.ToUpper(first), nil
}

// facts records what an observation says about its subject d beyond identity.
func (b *batch) facts(d *Device, o *observe.Observation, t time.Time) error {
	switch o.Protocol {
	case "service":
		pv, _ := o.Get("service.port")
		port, err := strconv.ParseUint(pv, 10, 16)
		if err != nil {
			port = uint64(o.SrcPort)
		}
		if port == 0 {
			return nil
		}
		peerIP := ""
		if a := usableIP(o.DstIP); a.IsValid() {
			peerIP = a.String()
		}
		b.addService(d, uint16(port), o.Transport, peerIP, usableMAC(o.DstMAC), t, false)
	case "flow":
		return b.flow(d, o, t)
	case "dicom":
		calling, _ := o.Get("dicom.calling_ae")
		called, _ := o.Get("dicom.called_ae")
		// The calling AE is the association requester's: the side with the
		// higher (ephemeral) port.
		if o.SrcPort >= o.DstPort {
			b.addAE(d, calling, t)
		} else {
			b.addAE(d, called, t)
		}
		b.use(d, o, t)
		if peer, err := b.peer(o); err == nil && peer != nil && peer.ID != d.ID {
			if o.SrcPort >= o.DstPort {
				b.addAE(peer, called, t)
			} else {
				b.addAE(peer, calling, t)
			}
			b.use(peer, o, t)
		}
	case "hl7":
		b.use(d, o, t)
		if peer, err := b.peer(o); err == nil && peer != nil && peer.ID != d.ID {
			b.use(peer, o, t)
		}
	case "snmp":
		if v, ok := o.Get("snmp.sys_location"); ok && strings.TrimSpace(v) != "" && o.SrcPort == 161 {
			b.setLocation(d, strings.TrimSpace(v), "snmp", t)
		}
	case "bacnet":
		// The device object's location property, read by a supervisor:
		// the observation's source is the controller itself, unless a
		// router or broadcast forwarder passed the answer on.
		_, routed := o.Get("bacnet.source_network")
		_, forwarded := o.Get("bacnet.forwarded_from")
		if v, ok := o.Get("bacnet.location"); ok && strings.TrimSpace(v) != "" && !routed && !forwarded {
			b.setLocation(d, strings.TrimSpace(v), "bacnet", t)
		}
	case "lldp", "cdp":
		for _, f := range o.Fields {
			if strings.Contains(f.Key, "location") && strings.TrimSpace(f.Value) != "" {
				b.setLocation(d, strings.TrimSpace(f.Value), o.Protocol, t)
				break
			}
		}
	}
	return b.signals(d, o, t)
}

// peer returns the existing device at the observation's destination; it
// never creates one, since destinations may be routers or spoofed.
func (b *batch) peer(o *observe.Observation) (*Device, error) {
	if m := usableMAC(o.DstMAC); m != "" {
		d, err := b.lookup(Key{KeyMAC, m})
		if err != nil || d != nil && (!d.Router || !usableIP(o.DstIP).IsValid() || hasIP(d, usableIP(o.DstIP))) {
			return d, err
		}
	}
	if a := usableIP(o.DstIP); a.IsValid() {
		return b.resolveIP(a, o.Time.UTC(), false)
	}
	return nil, nil
}

func (b *batch) addAE(d *Device, ae string, t time.Time) {
	ae = strings.TrimSpace(ae)
	if ae == "" || slices.Contains(d.AETitles, ae) {
		return
	}
	if len(d.AETitles) >= b.s.opt.MaxAETitles {
		return
	}
	if len(d.AETitles) > 0 && !b.learning(d, t) {
		b.event(d, EventConfiguration, "ae_title", strings.Join(d.AETitles, ","), ae, t)
	}
	d.AETitles = append(d.AETitles, ae)
	b.dirty[d.ID] = true
}

// addService records a listening port and the peer that used it. merging
// suppresses events (the service is not new, it moved with a merged NIC).
func (b *batch) addService(d *Device, port uint16, transport, peerIP, peerMAC string, t time.Time, merging bool) {
	b.dirty[d.ID] = true
	idx := slices.IndexFunc(d.Services, func(s ServicePort) bool { return s.Port == port && s.Transport == transport })
	if idx < 0 {
		if len(d.Services) >= b.s.opt.MaxServices {
			return
		}
		if !merging && !b.learning(d, t) {
			b.event(d, EventConfiguration, "service", "", transport+"/"+strconv.Itoa(int(port)), t)
			b.newSvc = append(b.newSvc, b.events[len(b.events)-1])
		}
		d.Services = append(d.Services, ServicePort{Port: port, Transport: transport, First: t, Last: t})
		slices.SortFunc(d.Services, func(x, y ServicePort) int {
			if x.Port != y.Port {
				return int(x.Port) - int(y.Port)
			}
			return strings.Compare(x.Transport, y.Transport)
		})
		idx = slices.IndexFunc(d.Services, func(s ServicePort) bool { return s.Port == port && s.Transport == transport })
		if transport == "tcp" && (port == 23 || port == 21) {
			name := map[uint16]string{21: "ftp", 23: "telnet"}[port]
			b.signal(d, name, "service", "service.port", strconv.Itoa(int(port)), t)
		}
		if port == 53 {
			// A resolver: the names it looked up before were its clients'.
			b.s.opt.Policy.Forget(d.Identity, func(f string) bool { return f == "dns.query" })
		}
	}
	s := &d.Services[idx]
	s.Count++
	if t.After(s.Last) {
		s.Last = t
	}
	if peerIP == "" && peerMAC == "" {
		return
	}
	for i := range s.Peers {
		p := &s.Peers[i]
		if p.IP == peerIP && (p.MAC == peerMAC || peerMAC == "" || p.MAC == "") {
			p.Count++
			if t.After(p.Last) {
				p.Last = t
			}
			if p.MAC == "" {
				p.MAC = peerMAC
			}
			return
		}
	}
	if len(s.Peers) >= b.s.opt.MaxPeers {
		// Forget the least recently seen peer.
		old := 0
		for i := range s.Peers {
			if s.Peers[i].Last.Before(s.Peers[old].Last) {
				old = i
			}
		}
		s.Peers = slices.Delete(s.Peers, old, old+1)
	}
	s.Peers = append(s.Peers, Peer{IP: peerIP, MAC: peerMAC, Count: 1, Last: t})
}

// flow records a conversation: on the initiator (d) an outbound contact and,
// for public responders, an external destination; on a known responder an
// inbound contact.
func (b *batch) flow(d *Device, o *observe.Observation, t time.Time) error {
	dst := usableIP(o.DstIP)
	if !dst.IsValid() {
		return nil
	}
	num := func(k string) int64 {
		v, _ := o.Get(k)
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	app, _ := o.Get("flow.app")
	// Totals, or the decoder's per-direction counters.
	bytes, pkts := num("flow.bytes"), num("flow.packets")
	if bytes == 0 {
		bytes = num("flow.bytes_in") + num("flow.bytes_out")
	}
	if pkts == 0 {
		pkts = num("flow.packets_in") + num("flow.packets_out")
	}
	b.contact(d, Contact{Peer: dst.String(), Port: o.DstPort, Transport: o.Transport, Outbound: true, App: app, Bytes: bytes, Packets: pkts}, t)
	if !b.s.internal(dst) {
		b.external(d, dst.String(), o.DstPort, t)
		return nil
	}
	peer, err := b.peer(o)
	if err != nil || peer == nil || peer.ID == d.ID {
		return err
	}
	if src := usableIP(o.SrcIP); src.IsValid() {
		b.contact(peer, Contact{Peer: src.String(), Port: o.DstPort, Transport: o.Transport, App: app, Bytes: bytes, Packets: pkts}, t)
	}
	return nil
}

func (b *batch) contact(d *Device, c Contact, t time.Time) {
	b.dirty[d.ID] = true
	for i := range d.Contacts {
		x := &d.Contacts[i]
		if x.Peer == c.Peer && x.Port == c.Port && x.Transport == c.Transport && x.Outbound == c.Outbound {
			x.Bytes += c.Bytes
			x.Packets += c.Packets
			x.Count++
			if t.After(x.Last) {
				x.Last = t
			}
			if x.App == "" {
				x.App = c.App
			}
			return
		}
	}
	if len(d.Contacts) >= b.s.opt.MaxContacts {
		old := 0
		for i := range d.Contacts {
			if d.Contacts[i].Last.Before(d.Contacts[old].Last) {
				old = i
			}
		}
		d.Contacts = slices.Delete(d.Contacts, old, old+1)
	}
	c.Count, c.First, c.Last = 1, t, t
	d.Contacts = append(d.Contacts, c)
}

func (b *batch) external(d *Device, ip string, port uint16, t time.Time) {
	for i := range d.External {
		x := &d.External[i]
		if x.IP == ip && x.Port == port {
			x.Count++
			if t.After(x.Last) {
				x.Last = t
			}
			return
		}
	}
	if !b.learning(d, t) {
		b.event(d, EventConfiguration, "external_destination", "", ip+":"+strconv.Itoa(int(port)), t)
	}
	if len(d.External) >= b.s.opt.MaxExternal {
		old := 0
		for i := range d.External {
			if d.External[i].Last.Before(d.External[old].Last) {
				old = i
			}
		}
		d.External = slices.Delete(d.External, old, old+1)
	}
	d.External = append(d.External, External{IP: ip, Port: port, First: t, Last: t, Count: 1})
}

// use records clinical activity: the hour is active, and DICOM stores and
// HL7 results are counted.
func (b *batch) use(d *Device, o *observe.Observation, t time.Time) {
	day := t.Format("2006-01-02")
	i, found := slices.BinarySearchFunc(d.Utilization, day, func(x DayUse, s string) int { return strings.Compare(x.Day, s) })
	if !found {
		d.Utilization = slices.Insert(d.Utilization, i, DayUse{Day: day})
		if len(d.Utilization) > b.s.opt.MaxDays {
			d.Utilization = d.Utilization[1:]
			i--
		}
		if i < 0 {
			return // older than the kept window
		}
	}
	u := &d.Utilization[i]
	u.Hours |= 1 << uint(t.Hour())
	msgs := int64(1) // a sensor counts repeated HL7 messages in one observation
	for _, f := range o.Fields {
		n, err := strconv.ParseInt(strings.TrimSpace(f.Value), 10, 64)
		if err != nil || n < 0 {
			continue
		}
		switch f.Key {
		case "dicom.stores":
			u.Stores += n
		case "hl7.results":
			u.Results += n
		case "hl7.messages":
			msgs = max(n, 1)
		}
	}
	u.Msgs += msgs
	b.dirty[d.ID] = true
}

// signals records cleartext credentials and weak security seen in o, on
// the server side of the conversation (the lower port), which is the side
// that accepts them.
func (b *batch) signals(d *Device, o *observe.Observation, t time.Time) error {
	var target *Device
	get := func() *Device {
		if target != nil {
			return target
		}
		target = d
		if o.DstPort != 0 && o.DstPort < o.SrcPort {
			if p, err := b.peer(o); err == nil && p != nil {
				target = p
			}
		}
		return target
	}
	for _, f := range o.Fields {
		name := ""
		val := ""
		switch f.Key {
		case "snmp.cleartext_community", "snmp.community":
			name = "snmp_cleartext_community" // the community itself is a secret: not kept
		case "http.cleartext_credentials", "http.auth_scheme":
			if strings.EqualFold(strings.TrimSpace(f.Value), "basic") {
				name = "http_basic_auth"
			}
		case "smtp.cleartext_auth":
			name, val = "smtp_cleartext_auth", f.Value // the mechanism; the credentials are never read
		case "mqtt.cleartext_password":
			name = "mqtt_cleartext_password"
		case "mqtt.anonymous":
			name = "mqtt_anonymous_access"
		case "kerberos.weak_etypes":
			// The client still offers RC4 or DES: a KDC that allows them
			// hands out tickets that can be cracked offline.
			name, val = "kerberos_weak_encryption", f.Value
		case "kerberos.ticket_etype":
			if f.Value == "23" || f.Value == "24" {
				// The KDC issued an RC4 ticket: what Kerberoasting cracks.
				name, val = "kerberos_rc4_ticket", f.Value
			}
		case "modbus.writes":
			// Modbus has no authentication: whoever reaches the port can
			// change set points and coils, and here someone did.
			name = "modbus_write_accepted"
		case "ftp.cleartext_password":
			name = "ftp_cleartext_password" // the password itself is never seen by Ward
		case "ftp.anonymous_login":
			name = "ftp_anonymous_login"
		case "smb.smbv1":
			if truthy(f.Value) {
				name = "smbv1"
			}
		case "smb.dialect":
			if strings.EqualFold(strings.TrimSpace(f.Value), "NT LM 0.12") || strings.HasPrefix(f.Value, "1.") {
				name, val = "smbv1", f.Value
			}
		case "tls.version":
			if legacyTLS(f.Value) {
				name, val = "tls_legacy_version", f.Value
			}
		case "ssh.version":
			// A server announcing 1.x (1.99 too: it takes both) accepts SSH-1,
			// whose integrity check and session keys are broken.
			if role, _ := o.Get("ssh.role"); role == "server" && strings.HasPrefix(f.Value, "1.") {
				name, val = "sshv1", f.Value
			}
		case "rdp.selected_protocol":
			// Without CredSSP anyone reaches the logon screen before
			// authenticating: what BlueKeep-class flaws need.
			switch f.Value {
			case "rdp":
				name, val = "rdp_standard_security", f.Value
			case "ssl":
				name, val = "rdp_without_nla", f.Value
			}
		case "tls.cert_expired":
			if truthy(f.Value) {
				name = "tls_cert_expired"
			}
		case "tls.self_signed", "tls.cert_self_signed":
			// Every Windows RDP listener presents a certificate it made for
			// itself: that is its design, not a finding.
			if c, _ := o.Get("tls.carrier"); truthy(f.Value) && c != "rdp" {
				name = "tls_self_signed"
			}
		}
		if name == "" {
			continue
		}
		if o.Protocol == "tls" || o.Protocol == "smb" || o.Protocol == "ssh" || o.Protocol == "rdp" || o.Protocol == "kerberos" {
			// TLS versions, certificates, SMB dialects, SSH identification
			// strings, the RDP security a server selects and the Kerberos
			// encryption a client offers or a KDC issues describe the speaker.
			b.signal(d, name, o.Protocol, f.Key, val, t)
			continue
		}
		b.signal(get(), name, o.Protocol, f.Key, val, t)
	}
	return nil
}

// legacyTLS reports whether a version text names TLS 1.0 or older.
func legacyTLS(v string) bool {
	s := strings.ToLower(strings.TrimSpace(v))
	switch {
	case strings.HasPrefix(s, "ssl"):
		return true
	case s == "0x0300" || s == "0x0301" || s == "0300" || s == "0301" || s == "769" || s == "768":
		return true
	}
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(s, "tlsv"), "tls "), "tls")
	s = strings.TrimSpace(s)
	return s == "1" || s == "1.0"
}

func (b *batch) signal(d *Device, name, proto, field, val string, t time.Time) {
	b.dirty[d.ID] = true
	for i := range d.Signals {
		s := &d.Signals[i]
		if s.Name == name && s.Value == val {
			s.Count++
			if t.After(s.Last) {
				s.Last = t
			}
			return
		}
	}
	if len(d.Signals) < b.s.opt.MaxSignals {
		d.Signals = append(d.Signals, Signal{Name: name, Protocol: proto, Field: field, Value: val, First: t, Last: t, Count: 1})
	}
}

// servesDNS reports whether d answers DNS (tcp or udp port 53).
func servesDNS(d *Device) bool {
	for _, sp := range d.Services {
		if sp.Port == 53 {
			return true
		}
	}
	return false
}

// firstHeard dates a change when its new value was first heard: the update
// happened then, it was only confirmed at t.
func firstHeard(d *Device, a fingerprint.Attribute, t time.Time) time.Time {
	at := t
	if c := d.Identity[a].Current(); c != nil {
		for _, e := range c.Evidence {
			if e.First.Before(at) {
				at = e.First
			}
		}
	}
	return at
}

// sameSoftware reports whether two software values name one program in
// two versions: the words before the first that starts with a digit agree
// (ignoring case), and both have a version.
func sameSoftware(a, b string) bool {
	name := func(s string) (string, bool) {
		f := strings.Fields(s)
		for i, w := range f {
			if w[0] >= '0' && w[0] <= '9' {
				return strings.ToLower(strings.Join(f[:i], " ")), i > 0
			}
		}
		return "", false
	}
	na, okA := name(a)
	nb, okB := name(b)
	return okA && okB && na == nb && a != b
}
