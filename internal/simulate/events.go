package simulate

import (
	"fmt"
	"time"

	"github.com/wardiomt/ward/internal/canon"
)

// Event kinds recorded in the truth.
const (
	EventNew                 = "new"
	EventMoved               = "moved"
	EventSoftwareUpdate      = "software_update"
	EventConfigurationChange = "configuration_change"
	EventSilent              = "silent"
	EventReturned            = "returned"
	EventThreat              = "threat"
)

type plannedEvent struct {
	kind   string
	dev    int32
	threat uint8
}

// publicPeer is the "public" address a compromised monitor talks to
// (TEST-NET-3, RFC 5737: routable-looking, owned by nobody).
var publicPeer = ipv4(203, 0, 113, 77)

// plan schedules the first wake-ups and draws the changes that will happen.
func (s *sim) plan() {
	dur := s.end - s.start
	for _, d := range s.devs {
		if d.gateway >= 0 {
			continue
		}
		if d.kind.Role == "switch" {
			s.schedule(s.start+int64(s.rng.IntN(30_000))*ms, d.idx, actLLDP, -1)
		}
		if d.kind.Speaks("dhcp") {
			first := min(int64(s.cfg.Lease)/2, dur/3)
			s.schedule(s.start+s.rng.Int64N(max(first, 1)), d.idx, actDHCP, 1)
		}
		s.schedule(s.start+s.rng.Int64N(max(s.interval(d), 1)), d.idx, actWake, -1)
	}
	n := len(s.devs)
	used := map[int32]bool{}
	pick := func(ok func(*device) bool) *device {
		for range 200 {
			d := s.devs[s.rng.IntN(n)]
			if !used[d.idx] && d.gateway < 0 && d.kind.Role == "" && d.kind.Speaks("dhcp") && ok(d) {
				used[d.idx] = true
				return d
			}
		}
		return nil
	}
	at := func() int64 { return s.start + dur/10 + s.rng.Int64N(dur*8/10) }
	add := func(kind string, d *device, t int64, threat uint8) {
		if d == nil {
			return
		}
		s.events = append(s.events, plannedEvent{kind: kind, dev: d.idx, threat: threat})
		act := actEvent
		if kind == EventNew {
			d.joinLate = true
			act = actJoin
			s.truthE = append(s.truthE, Event{Time: time.Unix(0, t).UTC(), DeviceID: d.id(), Kind: EventNew,
				After: s.placeState(d), Detail: "device first joins the network"})
		}
		s.schedule(t, d.idx, act, int32(len(s.events)-1))
	}
	any := func(*device) bool { return true }
	for range max(1, n/60) {
		add(EventNew, pick(any), at(), 0)
	}
	for range max(2, n/40) {
		add(EventMoved, pick(func(d *device) bool { return d.kind.Type != string(canon.Server) }), at(), 0)
	}
	for range max(3, n/30) {
		add(EventSoftwareUpdate, pick(func(d *device) bool { return int(d.verIdx) < len(d.kind.Versions)-1 }), at(), 0)
	}
	for range max(1, n/80) {
		add(EventConfigurationChange, pick(any), at(), 0)
	}
	for range max(2, n/60) {
		d := pick(any)
		t := at()
		add(EventSilent, d, t, 0)
		if d != nil && s.rng.IntN(10) < 7 {
			add(EventReturned, d, t+s.rng.Int64N(max(s.end-t, 1)), 0)
		}
	}
	for range max(1, n/5000) {
		add(EventThreat, pick(func(d *device) bool { return d.kind.Type == string(canon.PatientMonitor) }), at(), threatPublicIP)
		add(EventThreat, pick(func(d *device) bool { return d.kind.Type == string(canon.InfusionPump) }), at(), threatTelnet)
		add(EventThreat, pick(func(d *device) bool { return d.kind.Type == string(canon.Workstation) }), at(), threatSMB1Peer)
	}
}

func (s *sim) placeState(d *device) map[string]any {
	m := map[string]any{"location": s.net.locs[d.loc].name, "ip": d.ip.String()}
	if d.sw >= 0 {
		m["switch"] = s.devs[d.sw].hostname
		m["switch_port"] = s.portName(d.sw, d.port)
	}
	return m
}

func (s *sim) record(t int64, d *device, kind string, before, after map[string]any, detail string) {
	s.truthE = append(s.truthE, Event{Time: time.Unix(0, t).UTC(), DeviceID: d.id(), Kind: kind, Before: before, After: after, Detail: detail})
}

// apply carries out a planned change and plays the traffic that reveals it.
func (s *sim) apply(d *device, t int64, ev int32) {
	pe := s.events[ev]
	switch pe.kind {
	case EventMoved:
		before := s.placeState(d)
		cat := typeCat(d.kind.Type)
		cands := s.net.byCat[cat]
		if len(cands) < 2 {
			cands = make([]int, len(s.net.locs))
			for i := range cands {
				cands[i] = i
			}
		}
		nl := cands[s.rng.IntN(len(cands))]
		if int32(nl) == d.loc {
			nl = cands[(indexOf(cands, nl)+1)%len(cands)]
		}
		d.loc = int32(nl)
		d.mllp = nil
		s.attach(d)
		after := s.placeState(d)
		s.record(t, d, EventMoved, before, after, fmt.Sprintf("moved from %s to %s", before["location"], after["location"]))
		if !d.present() {
			return
		}
		s.dhcpDORA(d, t, true)
		s.gratuitousARP(d, t+300*ms)
		if d.kind.Speaks("lldp_med") {
			s.lldpMED(d, t+2000*ms)
		}
	case EventSoftwareUpdate:
		before := map[string]any{"version": d.version()}
		d.verIdx++
		after := map[string]any{"version": d.version()}
		s.record(t, d, EventSoftwareUpdate, before, after, "software updated to "+d.version())
		if !d.present() {
			return
		}
		// The device reboots: fresh lease, then it speaks again.
		s.dhcpDORA(d, t, false)
		s.snmpTrap(d, t+20_000*ms)
		s.wake(d, t+30_000*ms)
	case EventConfigurationChange:
		before := map[string]any{"services": s.services(d)}
		choices := []Service{{8080, "tcp"}, {22, "tcp"}, {5900, "tcp"}, {3389, "tcp"}, {21, "tcp"}}
		var sv Service
		for _, c := range choices {
			if !hasService(s.services(d), c) {
				sv = c
				break
			}
		}
		if sv.Port == 0 {
			return
		}
		d.extra = append(d.extra, sv)
		s.record(t, d, EventConfigurationChange, before, map[string]any{"services": s.services(d)},
			fmt.Sprintf("opened new listening service %d/%s", sv.Port, sv.Transport))
		if d.present() {
			k := s.conn(t+5000*ms, s.devs[s.net.nms], d, sv.Port)
			k.open()
			k.close()
		}
	case EventSilent:
		d.silent = true
		s.record(t, d, EventSilent, map[string]any{"ip": d.ip.String()}, nil, "device stops transmitting")
	case EventReturned:
		d.silent = false
		d.mllp = nil
		before := map[string]any{"ip": d.ip.String()}
		detail := "device transmits again"
		if s.rng.IntN(2) == 0 {
			// Its lease lapsed while it was away: DHCP hands out a new address.
			l := &s.net.locs[d.loc]
			if l.next < 1020 {
				d.ip = l.base + ip4(l.next)
				l.next++
				d.ips = append(d.ips, d.ip)
				detail = "device transmits again with a new DHCP address"
			}
		}
		s.record(t, d, EventReturned, before, map[string]any{"ip": d.ip.String()}, detail)
		if d.present() {
			s.dhcpDORA(d, t, false)
			s.gratuitousARP(d, t+300*ms)
		}
	case EventThreat:
		d.threat = pe.threat
		var detail string
		after := map[string]any{}
		switch pe.threat {
		case threatPublicIP:
			detail = "patient monitor opens connections to public address " + publicPeer.String()
			after["peer"] = publicPeer.String()
		case threatTelnet:
			d.extra = append(d.extra, Service{23, "tcp"})
			detail = "infusion pump opens Telnet (23/tcp)"
			after["services"] = s.services(d)
		case threatSMB1Peer:
			detail = "workstation sends SMBv1 to a new peer (" + s.devs[s.net.pacs].ip.String() + ")"
			after["peer"] = s.devs[s.net.pacs].ip.String()
		}
		s.record(t, d, EventThreat, nil, after, detail)
		if d.present() {
			s.threatTraffic(d, t)
		}
	}
}

func indexOf(xs []int, v int) int {
	for i, x := range xs {
		if x == v {
			return i
		}
	}
	return 0
}

func hasService(list []Service, s Service) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *sim) services(d *device) []Service {
	out := append([]Service(nil), d.kind.Listen...)
	for _, e := range d.extra {
		if !hasService(out, e) {
			out = append(out, e)
		}
	}
	if out == nil {
		out = []Service{}
	}
	return out
}

func (s *sim) threatTraffic(d *device, t int64) {
	switch d.threat {
	case threatPublicIP:
		k := s.connExt(t, d, publicPeer, 8443)
		k.open()
		k.send(true, clientHello(s.rng, "", nil, false))
		k.close()
	case threatTelnet:
		ws := s.devs[s.net.nms]
		k := s.conn(t, ws, d, 23)
		k.open()
		k.send(false, []byte("\xff\xfb\x01\xff\xfb\x03\r\n"+d.kind.Manufacturer+" "+d.model()+" service console\r\nlogin: "))
		k.send(true, []byte("admin\r\n"))
		k.close()
	case threatSMB1Peer:
		pacs := s.devs[s.net.pacs]
		s.saw(d, t, pSMB)
		saved := d.kind.SMB
		k := s.conn(t, d, pacs, 445)
		k.open()
		k.send(true, smb1NegotiateReq())
		k.send(false, smb1NegotiateResp(s.rng, k.t, "HOSPITAL"))
		nos, lm := "Windows 10 Enterprise 19045", "Windows 10 Enterprise 6.3"
		if saved != nil {
			nos, lm = saved.NativeOS, saved.LanMan
		}
		k.send(true, smb1SessionSetupReq(s.rng, "administrator", "HOSPITAL", nos, lm))
		k.close()
	}
}
