package threat

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/observe"
)

// Store is what the engine persists through (SQLStore implements it).
type Store interface {
	LoadBaselines(ctx context.Context, site string, ids []string) (map[string]*Baseline, error)
	FindIncident(ctx context.Context, site, incident string, since time.Time) (*Alert, error)
	Snoozes(ctx context.Context, site string, after time.Time) ([]Snooze, error)
	Save(ctx context.Context, bs []*Baseline, as []*Alert) error
}

var _ Store = (*SQLStore)(nil)

// Engine learns baselines and raises alerts. Observe is safe for
// concurrent use; calls are serialised.
type Engine struct {
	st  Store
	res Resolver
	opt Options
	log *slog.Logger

	mu    sync.Mutex
	rate  map[string]*rateWindow // site|device -> alerts this hour
	names map[netip.Addr]string  // public address -> DNS name that resolved to it (bounded)
}

type rateWindow struct {
	hour     time.Time
	n        int
	exceeded *Alert
}

// New returns an engine.
func New(st Store, res Resolver, opt Options) (*Engine, error) {
	if err := opt.Validate(); err != nil {
		return nil, fmt.Errorf("threat options: %w", err)
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{st: st, res: res, opt: opt, log: log, rate: map[string]*rateWindow{}, names: map[netip.Addr]string{}}, nil
}

// Result of one Observe call.
type Result struct {
	Observations int
	Learning     int     // devices still learning among those seen
	Alerts       []Alert // alerts raised or updated by this batch, snoozed ones included
	RateLimited  int     // deviations not raised because of the per-device rate limit
	created      map[string]bool
}

// New returns the alerts of r first raised by this batch and not snoozed:
// what sinks (syslog, webhook) should send.
func (r Result) New() []Alert {
	var out []Alert
	for _, a := range r.Alerts {
		if a.State == StateOpen && r.created[a.ID] {
			out = append(out, a)
		}
	}
	return out
}

// run is the working state of one Observe call.
type run struct {
	e       *Engine
	ctx     context.Context
	site    string
	base    map[string]*Baseline
	devs    map[string]Device
	dirty   map[string]bool
	alerts  map[string]*Alert // by id
	order   []string
	inc     map[string]*Alert // incident -> alert
	snoozes []Snooze
	res     *Result
	// stored are the baselines of the batch's devices, read in one go
	// before the observations (nil: none was, read them one by one).
	stored map[string]*Baseline
	// products and peers cache the PeerFinder's answers for the batch:
	// each device's product, and each product's devices.
	products map[string]*inventory.Product // nil: too little known
	peers    map[inventory.Product][]string
}

// Observe learns from and checks one batch of observations of site, in
// time order, and persists baselines and alerts. It is the stage to run
// after the inventory ingested the same batch (addresses resolve through it).
func (e *Engine) Observe(ctx context.Context, site string, obs []observe.Observation) (Result, error) {
	if site == "" {
		site = inventory.DefaultSite
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	res := Result{Observations: len(obs), created: map[string]bool{}}
	if len(obs) == 0 {
		return res, nil
	}
	if rr, ok := e.res.(interface{ Refresh() }); ok {
		rr.Refresh()
	}
	r := &run{e: e, ctx: ctx, site: site, base: map[string]*Baseline{}, devs: map[string]Device{}, dirty: map[string]bool{},
		alerts: map[string]*Alert{}, inc: map[string]*Alert{}, res: &res}
	var err error
	if r.snoozes, err = e.st.Snoozes(ctx, site, obs[0].Time); err != nil {
		return Result{}, err
	}
	if err := r.prefetch(obs); err != nil {
		return Result{}, err
	}
	for i := range obs {
		if err := r.observe(&obs[i]); err != nil {
			return Result{}, fmt.Errorf("observation %d (%s): %w", i, obs[i].Protocol, err)
		}
	}
	var bs []*Baseline
	for id := range r.dirty {
		bs = append(bs, r.base[id])
	}
	as := make([]*Alert, 0, len(r.order))
	for _, id := range r.order {
		a := r.alerts[id]
		as = append(as, a)
		res.Alerts = append(res.Alerts, *a)
	}
	if err := e.st.Save(ctx, bs, as); err != nil {
		return Result{}, err
	}
	for _, b := range r.base {
		if b.Observations < e.opt.MinObservations || b.Learning(b.Current.Hour) {
			res.Learning++
		}
	}
	return res, nil
}

// baseline returns the device's baseline, starting one at t if none.
// prefetch reads the stored baselines of every device the batch's
// addresses resolve to in one query: a batch names hundreds of devices,
// and reading them one at a time was a query each.
func (r *run) prefetch(obs []observe.Observation) error {
	seen := map[string]bool{}
	var ids []string
	for i := range obs {
		src, dst, err := r.resolve(&obs[i])
		if err != nil {
			return fmt.Errorf("observation %d (%s): %w", i, obs[i].Protocol, err)
		}
		for _, e := range []end{src, dst} {
			if e.ok && !seen[e.dev.ID] {
				seen[e.dev.ID] = true
				ids = append(ids, e.dev.ID)
			}
		}
	}
	m, err := r.e.st.LoadBaselines(r.ctx, r.site, ids)
	if err != nil {
		return err
	}
	r.stored = m
	for _, id := range ids {
		if _, ok := m[id]; !ok {
			m[id] = nil // known to have none
		}
	}
	return nil
}

func (r *run) baseline(d Device, t time.Time) (*Baseline, error) {
	if b := r.base[d.ID]; b != nil {
		return b, nil
	}
	b, known := r.stored[d.ID]
	if !known {
		m, err := r.e.st.LoadBaselines(r.ctx, r.site, []string{d.ID})
		if err != nil {
			return nil, err
		}
		b = m[d.ID]
	}
	if b == nil {
		b = newBaseline(r.site, d.ID, t, r.e.opt.Window)
	}
	r.base[d.ID] = b
	r.devs[d.ID] = d
	return b, nil
}

type end struct {
	dev  Device
	ok   bool
	ip   netip.Addr
	port uint16
}

func (r *run) resolve(o *observe.Observation) (src, dst end, err error) {
	src = end{ip: o.SrcIP.Unmap(), port: o.SrcPort}
	dst = end{ip: o.DstIP.Unmap(), port: o.DstPort}
	if src.dev, src.ok, err = r.e.res.Resolve(r.ctx, r.site, o.SrcMAC, src.ip, o.Time); err != nil {
		return
	}
	dst.dev, dst.ok, err = r.e.res.Resolve(r.ctx, r.site, o.DstMAC, dst.ip, o.Time)
	if src.ok && dst.ok && src.dev.ID == dst.dev.ID {
		dst.ok = false // a device talking to itself (or unresolvable routing) says nothing
	}
	return
}

// incident keys one conversation: both addresses and the service port.
func incident(a, b netip.Addr, transport string, port uint16) string {
	x, y := a.String(), b.String()
	if y < x {
		x, y = y, x
	}
	return "conv|" + x + "|" + y + "|" + transport + "/" + strconv.Itoa(int(port))
}

// servicePort guesses the responder port of a packet-level observation: the lower one.
func servicePort(o *observe.Observation) uint16 {
	if o.SrcPort != 0 && (o.DstPort == 0 || o.SrcPort < o.DstPort) {
		return o.SrcPort
	}
	return o.DstPort
}

func evidence(o *observe.Observation, keys ...string) Evidence {
	ev := Evidence{Time: o.Time.UTC(), Protocol: o.Protocol, SrcPort: o.SrcPort, DstPort: o.DstPort, Transport: o.Transport}
	if o.SrcIP.IsValid() {
		ev.Src = o.SrcIP.String()
	} else if o.SrcMAC != nil {
		ev.Src = o.SrcMAC.String()
	}
	if o.DstIP.IsValid() {
		ev.Dst = o.DstIP.String()
	} else if o.DstMAC != nil {
		ev.Dst = o.DstMAC.String()
	}
	for _, k := range keys {
		if v, ok := o.Get(k); ok {
			ev.Fields = append(ev.Fields, k+"="+v)
		}
	}
	return ev
}

var metaProtocols = map[string]bool{"flow": true, "service": true, "tcp": true, "arp": true}

func (r *run) observe(o *observe.Observation) error {
	t := o.Time.UTC()
	src, dst, err := r.resolve(o)
	if err != nil {
		return err
	}
	var sb, db *Baseline
	if src.ok {
		if sb, err = r.baseline(src.dev, t); err != nil {
			return err
		}
		sb.Observations++
		r.dirty[src.dev.ID] = true
	}
	if dst.ok {
		if db, err = r.baseline(dst.dev, t); err != nil {
			return err
		}
		db.Observations++
		r.dirty[dst.dev.ID] = true
	}
	r.indicators(o, src, dst, sb, db)
	switch o.Protocol {
	case "flow":
		r.flow(o, src, dst, sb, db)
	case "service":
		if sb != nil {
			r.service(o, src, dst, sb)
		}
	default:
		r.app(o, src, dst, sb, db)
	}
	return nil
}

// deviation records that b's set did not hold value: an alert (or an
// addition to the conversation's alert) after learning, learning before.
func (r *run) deviation(o *observe.Observation, d Device, b *Baseline, set Set, name, value string, kind Kind, sev Severity, title, inc string, ev Evidence) {
	t := o.Time.UTC()
	if r.learning(b, t) {
		set.add(value, t, r.e.opt.MaxSet)
		return
	}
	if set.has(value) {
		set.add(value, t, r.e.opt.MaxSet)
		return
	}
	// Only a low or medium deviation can be its product's normal: a
	// cleartext login service opened is raised whatever its fleet does.
	if sev.Level() < SeverityHigh.Level() {
		known, err := r.peersKnow(d, name, value, t)
		if err != nil {
			r.e.log.Warn("peer baselines unreadable; judging the device alone", "device", d.ID, "err", err)
		}
		if known {
			set.add(value, t, r.e.opt.MaxSet) // what its product does is this device's baseline too
			return
		}
	}
	if len(set) >= r.e.opt.MaxSet {
		return // saturated: this device is too varied for the set to mean anything
	}
	br := Broken{DeviceID: d.ID, Baseline: name, Value: value, Known: set.sample(10), KnownN: len(set)}
	set.add(value, t, r.e.opt.MaxSet) // alert once; later repeats are known
	r.raise(d, b, kind, sev, title, inc, br, ev)
}

// PeerFinder tells a device's product and the devices of a product; the
// inventory resolver implements it.
type PeerFinder interface {
	Product(ctx context.Context, site, id string) (inventory.Product, bool, error)
	Peers(ctx context.Context, site string, p inventory.Product, limit int) ([]string, error)
}

// peerSets are the baselines whose values a device's product shares: what
// it listens on, speaks and connects to. Peers, destinations and
// conversations stay the device's own.
var peerSets = map[string]func(*Baseline) Set{
	"services":  func(b *Baseline) Set { return b.Services },
	"protocols": func(b *Baseline) Set { return b.Protocols },
	"ports_out": func(b *Baseline) Set { return b.PortsOut },
}

// maxPeers bounds the baselines read for one product.
const maxPeers = 64

// peersKnow reports whether another device of d's product had value in its
// baseline at t. A passive sensor learns a service only when someone uses
// it: a workstation's RDP or a modality's DICOM port can stay quiet through
// the learning window; the rest of its fleet shows it is the product's.
func (r *run) peersKnow(d Device, name, value string, t time.Time) (bool, error) {
	get := peerSets[name]
	pf, ok := r.e.res.(PeerFinder)
	if get == nil || !ok {
		return false, nil
	}
	bs, err := r.peerBaselines(pf, d)
	if err != nil {
		return false, err
	}
	for _, pb := range bs {
		if e := get(pb)[value]; e != nil && !e.First.After(t) {
			return true, nil
		}
	}
	return false, nil
}

// peerBaselines returns the baselines of d's product's other devices: this
// batch's as they are now, the others as stored (read once per batch).
func (r *run) peerBaselines(pf PeerFinder, d Device) ([]*Baseline, error) {
	if r.products == nil {
		r.products, r.peers = map[string]*inventory.Product{}, map[inventory.Product][]string{}
	}
	p, ok := r.products[d.ID]
	if !ok {
		q, known, err := pf.Product(r.ctx, r.site, d.ID)
		if err != nil {
			return nil, err
		}
		if known {
			p = &q
		}
		r.products[d.ID] = p
	}
	if p == nil {
		return nil, nil
	}
	ids, ok := r.peers[*p]
	if !ok {
		var err error
		if ids, err = pf.Peers(r.ctx, r.site, *p, maxPeers+1); err != nil { // +1: d itself may be among them
			return nil, err
		}
		r.peers[*p] = ids
		var missing []string
		for _, id := range ids {
			if _, known := r.stored[id]; !known && r.base[id] == nil {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			m, err := r.e.st.LoadBaselines(r.ctx, r.site, missing)
			if err != nil {
				return nil, err
			}
			if r.stored == nil {
				r.stored = map[string]*Baseline{}
			}
			for _, id := range missing {
				r.stored[id] = m[id] // nil: none yet
			}
		}
	}
	var out []*Baseline
	for _, id := range ids {
		if id == d.ID || len(out) == maxPeers {
			continue
		}
		if b := r.base[id]; b != nil {
			out = append(out, b)
		} else if b := r.stored[id]; b != nil {
			out = append(out, b)
		}
	}
	return out, nil
}

// learning reports whether b is still learning at t; the first time it is
// not, the window's end is fixed there.
func (r *run) learning(b *Baseline, t time.Time) bool {
	if b.Learning(t) {
		return true
	}
	if b.Observations < r.e.opt.MinObservations {
		b.Until = t.Add(time.Nanosecond)
		return true
	}
	return false
}

func (r *run) severity(base Severity, d Device) Severity {
	switch d.Criticality {
	case "life-sustaining", "therapeutic":
		return base.bump()
	}
	return base
}

// raise opens an alert, or folds the deviation into the open alert of the
// same incident (dedup window), upgrading its kind when more specific.
func (r *run) raise(d Device, b *Baseline, kind Kind, sev Severity, title, inc string, br Broken, ev Evidence) {
	t := ev.Time
	sev = r.severity(sev, d)
	if inc == "" {
		inc = "dev|" + d.ID + "|" + string(kind) + "|" + br.Value
	}
	a := r.inc[inc]
	if a == nil || t.Sub(a.Last) > r.e.opt.DedupWindow {
		a = nil
		if found, err := r.e.st.FindIncident(r.ctx, r.site, inc, t.Add(-r.e.opt.DedupWindow)); err != nil {
			r.e.log.Warn("threat: incident lookup failed", "incident", inc, "err", err)
		} else if found != nil {
			a = found
			r.inc[inc] = a
		}
	}
	if a != nil {
		if prev := r.alerts[a.ID]; prev != nil {
			a = prev
		} else {
			r.alerts[a.ID] = a
			r.order = append(r.order, a.ID)
		}
		a.Count++
		if t.After(a.Last) {
			a.Last = t
		}
		a.addEvidence(ev)
		if kind.rank() < a.Kind.rank() {
			// More specific: the alert becomes about this deviation.
			a.addAlso(a.Broke)
			a.Kind, a.Title, a.Broke = kind, title, br
			a.DeviceID, a.DeviceName, a.DeviceType, a.Criticality = d.ID, d.Name, d.Type, d.Criticality
			a.Baseline = Window{From: b.From, Until: b.Until}
		} else {
			a.addAlso(br)
		}
		if sev.Level() > a.Severity.Level() {
			a.Severity = sev
		}
		return
	}
	if !r.allow(d, t) {
		return
	}
	a = &Alert{ID: alertID(r.site, d.ID, kind, inc, t), Site: r.site, DeviceID: d.ID, DeviceName: d.Name, DeviceType: d.Type,
		Criticality: d.Criticality, Kind: kind, Severity: sev, Title: title, State: StateOpen, Incident: inc,
		First: t, Last: t, Count: 1, Broke: br, Baseline: Window{From: b.From, Until: b.Until}}
	a.addEvidence(ev)
	for _, s := range r.snoozes {
		if s.Site == r.site && s.matches(a) {
			a.State, a.SnoozedBy = StateSnoozed, s.ID
			break
		}
	}
	r.inc[inc] = a
	r.alerts[a.ID] = a
	r.order = append(r.order, a.ID)
	r.res.created[a.ID] = true
}

// allow applies the per-device hourly rate limit; the first deviation over
// it opens one alert_rate_exceeded alert that counts the rest.
func (r *run) allow(d Device, t time.Time) bool {
	k := r.site + "|" + d.ID
	h := t.Truncate(time.Hour)
	w := r.e.rate[k]
	if w == nil || !w.hour.Equal(h) {
		if len(r.e.rate) > 100000 {
			clear(r.e.rate)
		}
		w = &rateWindow{hour: h}
		r.e.rate[k] = w
	}
	w.n++
	if w.n <= r.e.opt.RateLimit {
		return true
	}
	r.res.RateLimited++
	if w.exceeded == nil {
		a := &Alert{ID: alertID(r.site, d.ID, KindRateExceeded, h.String(), t), Site: r.site, DeviceID: d.ID, DeviceName: d.Name,
			DeviceType: d.Type, Criticality: d.Criticality, Kind: KindRateExceeded, Severity: SeverityMedium,
			Title: fmt.Sprintf("more than %d alerts in one hour; further deviations counted here", r.e.opt.RateLimit),
			State: StateOpen, Incident: "rate|" + d.ID + "|" + h.Format(time.RFC3339), First: t, Last: t, Count: 1,
			Broke: Broken{DeviceID: d.ID, Baseline: "alert_rate", Value: strconv.Itoa(r.e.opt.RateLimit + 1)}}
		w.exceeded = a
		r.res.created[a.ID] = true
		r.alerts[a.ID] = a
		r.order = append(r.order, a.ID)
		return false
	}
	a := w.exceeded
	if r.alerts[a.ID] == nil {
		r.alerts[a.ID] = a
		r.order = append(r.order, a.ID)
	}
	a.Count++
	a.Last = t
	a.Broke.Value = strconv.FormatInt(int64(r.e.opt.RateLimit)+a.Count, 10)
	return false
}

func num(o *observe.Observation, k string) int64 {
	v, _ := o.Get(k)
	n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return max(n, 0)
}

// flow handles a conversation summary: src initiated, dst responded.
func (r *run) flow(o *observe.Observation, src, dst end, sb, db *Baseline) {
	t := o.Time.UTC()
	state, _ := o.Get("flow.state")
	answered := state == "" || state == "established" || state == "midstream"
	app, _ := o.Get("flow.app")
	bytes := num(o, "flow.bytes_out") + num(o, "flow.bytes_in")
	port := o.Transport + "/" + strconv.Itoa(int(o.DstPort))
	inc := incident(src.ip, dst.ip, o.Transport, o.DstPort)
	ev := evidence(o, "flow.app", "flow.state", "flow.bytes_out", "flow.bytes_in", "flow.packets_out", "flow.packets_in")
	external := dst.ip.IsValid() && !r.e.opt.internal(dst.ip)
	if sb != nil {
		if external {
			title := "connects to public address " + dst.ip.String() + ":" + strconv.Itoa(int(o.DstPort)) + " never seen in its baseline"
			if name := r.e.names[dst.ip]; name != "" {
				title += " (" + name + ")"
				ev.Fields = append(ev.Fields, "dns.name="+name)
			}
			r.deviation(o, src.dev, sb, sb.PublicIPs, "public_ips", dst.ip.String(), KindNewExternal, SeverityHigh, title, inc, ev)
		} else if dst.ip.IsValid() && answered {
			sb.Peers.add(dst.ip.String(), t, r.e.opt.MaxSet)
			sb.Subnets.add(subnet(dst.ip), t, r.e.opt.MaxSet)
		}
		if answered && o.DstPort != 0 {
			r.deviation(o, src.dev, sb, sb.PortsOut, "ports_out", port, KindNewPort, SeverityLow,
				"connects to port "+port+", a port it never used", inc, ev)
		}
		if app != "" && answered {
			r.deviation(o, src.dev, sb, sb.Protocols, "protocols", app, KindNewProtocol, SeverityLow, "speaks "+app+", a protocol it never used", inc, ev)
		}
		if (o.DstPort == 3389 || app == "rdp") && answered {
			r.unusualPeer(o, src, dst, sb, db, "rdp", ev)
		}
		if answered && dst.ip.IsValid() {
			sb.Conversations.add("out|"+dst.ip.String()+"|"+port, t, r.e.opt.MaxSet)
		}
		r.volume(o, src.dev, sb, t, bytes, ev)
	}
	if db != nil {
		if src.ip.IsValid() && answered {
			db.Peers.add(src.ip.String(), t, r.e.opt.MaxSet)
			db.Subnets.add(subnet(src.ip), t, r.e.opt.MaxSet)
			db.Conversations.add("in|"+src.ip.String()+"|"+port, t, r.e.opt.MaxSet)
		}
		if app != "" && answered {
			r.deviation(o, dst.dev, db, db.Protocols, "protocols", app, KindNewProtocol, SeverityLow, "speaks "+app+", a protocol it never used", inc, ev)
		}
		if o.Transport == "tcp" && (o.DstPort == 23 || o.DstPort == 21) && answered && num(o, "flow.bytes_out") > 0 {
			kind := map[uint16]string{21: "ftp", 23: "telnet"}[o.DstPort]
			r.deviation(o, dst.dev, db, db.Cleartext, "cleartext", kind+"|"+src.ip.String(), KindCleartext, SeverityMedium,
				"accepted a "+kind+" session from "+src.ip.String()+": credentials cross in clear", inc, ev)
		}
		r.volume(o, dst.dev, db, t, bytes, ev)
	}
}

// volume counts bytes into the hour and alerts when the hour is far
// outside the learned range.
func (r *run) volume(o *observe.Observation, d Device, b *Baseline, t time.Time, n int64, ev Evidence) {
	b.addBytes(t, n, r.e.opt.MaxHours)
	if r.learning(b, t) || len(b.Hours) < r.e.opt.VolumeMinHours {
		return
	}
	vr := b.Volume(r.e.opt)
	h := t.Truncate(time.Hour)
	if b.Current.Bytes <= vr.Limit || !b.VolumeAlerted.Before(h) {
		return
	}
	b.VolumeAlerted = h
	br := Broken{DeviceID: d.ID, Baseline: "volume", Value: strconv.FormatInt(b.Current.Bytes, 10),
		KnownN: vr.Hours, Detail: fmt.Sprintf("learned hourly max %d bytes, mean %.0f, std %.0f; limit %d", vr.Max, vr.Mean, vr.Std, vr.Limit)}
	r.raise(d, b, KindVolume, SeverityMedium, fmt.Sprintf("sent and received %d bytes during the hour from %s, far above its learned range (limit %d)",
		b.Current.Bytes, h.Format("15:04"), vr.Limit), "vol|"+d.ID+"|"+h.Format(time.RFC3339), br, ev)
}

// service handles "src listens on src_port".
func (r *run) service(o *observe.Observation, src, dst end, sb *Baseline) {
	port := o.Transport + "/" + strconv.Itoa(int(o.SrcPort))
	sev, title := SeverityMedium, "listens on "+port+", a service never seen in its baseline"
	if o.Transport == "tcp" && (o.SrcPort == 23 || o.SrcPort == 21) {
		sev = SeverityHigh
		title = "opened " + map[uint16]string{21: "FTP", 23: "Telnet"}[o.SrcPort] + " (" + port + "), a cleartext login service never seen in its baseline"
	}
	r.deviation(o, src.dev, sb, sb.Services, "services", port, KindNewService, sev, title,
		incident(src.ip, dst.ip, o.Transport, o.SrcPort), evidence(o, "service.port"))
}

// app handles protocol observations: protocols spoken, names looked up,
// cleartext credentials, SMBv1.
func (r *run) app(o *observe.Observation, src, dst end, sb, db *Baseline) {
	t := o.Time.UTC()
	sp := servicePort(o)
	inc := ""
	if src.ip.IsValid() && dst.ip.IsValid() && o.Transport != "" {
		inc = incident(src.ip, dst.ip, o.Transport, sp)
	}
	if sb != nil && !metaProtocols[o.Protocol] {
		r.deviation(o, src.dev, sb, sb.Protocols, "protocols", o.Protocol, KindNewProtocol, SeverityLow,
			"speaks "+o.Protocol+", a protocol it never used", inc, evidence(o))
	}
	_, response := o.Get("dns.response")
	for _, f := range o.Fields {
		switch f.Key {
		case "dns.query", "tls.sni", "http.host":
			if sb != nil && !response {
				sb.DNSNames.add(strings.ToLower(strings.TrimSuffix(f.Value, ".")), t, r.e.opt.MaxSet)
			}
		case "dns.answer":
			if a, err := netip.ParseAddr(f.Value); err == nil && !r.e.opt.internal(a) {
				if name, ok := o.Get("dns.answer_name"); ok {
					if len(r.e.names) > 10000 {
						clear(r.e.names)
					}
					r.e.names[a.Unmap()] = name
				}
			}
		}
	}
	// The server side of the conversation (the lower port) is the one
	// accepting cleartext credentials.
	server, client, serverB := dst, src, db
	if o.SrcPort != 0 && o.SrcPort == sp {
		server, client, serverB = src, dst, sb
	}
	if serverB != nil {
		kind := ""
		if v, _ := o.Get("http.cleartext_credentials"); strings.EqualFold(v, "basic") {
			kind = "http_basic"
		}
		if _, ok := o.Get("snmp.cleartext_community"); ok {
			kind = "snmp_community"
		}
		if kind != "" {
			r.deviation(o, server.dev, serverB, serverB.Cleartext, "cleartext", kind+"|"+client.ip.String(), KindCleartext, SeverityMedium,
				strings.ReplaceAll(kind, "_", " ")+" credentials in clear from "+client.ip.String()+", a peer never seen doing so", inc,
				evidence(o, "http.cleartext_credentials", "snmp.cleartext_community", "snmp.version"))
		}
	}
	if v, _ := o.Get("smb.smbv1"); v == "true" && o.Protocol == "smb" {
		// The client (the higher port) is the one sending SMBv1.
		if client.ok {
			cb := sb
			if client.dev.ID != src.dev.ID || !src.ok {
				cb = db
			}
			if cb != nil {
				r.unusualPeer(o, client, server, cb, serverB, "smbv1", evidence(o, "smb.smbv1", "smb.dialect", "smb.native_os"))
			}
		}
	}
}

// unusualPeer alerts when a client speaks SMBv1 or RDP to a server neither
// side's baseline pairs it with.
func (r *run) unusualPeer(o *observe.Observation, client, server end, cb, sbase *Baseline, what string, ev Evidence) {
	t := o.Time.UTC()
	if r.learning(cb, t) || !server.ip.IsValid() || !client.ip.IsValid() {
		return
	}
	port := o.Transport + "/" + strconv.Itoa(int(servicePort(o)))
	if o.Protocol == "flow" {
		port = o.Transport + "/" + strconv.Itoa(int(o.DstPort))
	}
	out := "out|" + server.ip.String() + "|" + port
	if cb.Conversations.has(out) || sbase != nil && sbase.Conversations.has("in|"+client.ip.String()+"|"+port) {
		return
	}
	inc := incident(client.ip, server.ip, o.Transport, servicePort(o))
	if o.Protocol == "flow" {
		inc = incident(client.ip, server.ip, o.Transport, o.DstPort)
	}
	br := Broken{DeviceID: client.dev.ID, Baseline: "conversations", Value: out, Known: cb.Conversations.sample(10), KnownN: len(cb.Conversations)}
	name := map[string]string{"smbv1": "SMBv1", "rdp": "RDP"}[what]
	r.raise(client.dev, cb, KindSMBRDPPeer, SeverityHigh, "sends "+name+" to "+server.ip.String()+", a peer it never used for "+port, inc, br, ev)
}

// indicators matches known-bad addresses, names and TLS fingerprints, in
// and out of the learning window.
func (r *run) indicators(o *observe.Observation, src, dst end, sb, db *Baseline) {
	in := r.e.opt.Indicators
	if in.Len() == 0 {
		return
	}
	inc := ""
	if src.ip.IsValid() && dst.ip.IsValid() && o.Transport != "" {
		inc = incident(src.ip, dst.ip, o.Transport, servicePort(o))
	}
	hit := func(d Device, b *Baseline, what, value, label string) {
		br := Broken{DeviceID: d.ID, Baseline: "indicators", Value: what + ":" + value, Detail: "listed as " + label}
		r.raise(d, b, KindIndicator, SeverityHigh, "matched known-bad "+what+" "+value+" ("+label+")", inc, br,
			evidence(o, "dns.query", "tls.sni", "tls.ja3", "tls.ja4", "http.host"))
	}
	if sb != nil {
		if l, ok := in.matchIP(dst.ip); ok {
			hit(src.dev, sb, "ip", dst.ip.String(), l)
		}
	}
	if db != nil {
		if l, ok := in.matchIP(src.ip); ok {
			hit(dst.dev, db, "ip", src.ip.String(), l)
		}
	}
	_, response := o.Get("dns.response")
	asker, ab := src, sb
	if response {
		asker, ab = dst, db
	}
	if ab == nil {
		return
	}
	for _, f := range o.Fields {
		switch f.Key {
		case "dns.query", "tls.sni", "http.host":
			if l, ok := in.matchDomain(f.Value); ok {
				hit(asker.dev, ab, "domain", strings.ToLower(f.Value), l)
			}
		case "tls.ja3":
			if l, ok := in.JA3[strings.ToLower(f.Value)]; ok && sb != nil {
				hit(src.dev, sb, "ja3", f.Value, l)
			}
		case "tls.ja4":
			if l, ok := in.JA4[strings.ToLower(f.Value)]; ok && sb != nil {
				hit(src.dev, sb, "ja4", f.Value, l)
			}
		}
	}
}
