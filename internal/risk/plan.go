package risk

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/inventory"
)

// Action kinds, roughly cheapest first.
const (
	KindDisable     = "disable_service"
	KindRestrict    = "restrict_access"
	KindBlockPublic = "block_public"
	KindWorkaround  = "vendor_workaround"
	KindFix         = "vendor_fix"
	KindSegment     = "segment"
	KindReplace     = "replace"
)

// Effort classes with their relative cost.
var effortOf = map[string]struct {
	class string
	cost  float64
}{
	KindDisable:     {"low", 1},
	KindBlockPublic: {"low", 1},
	KindRestrict:    {"medium", 2},
	KindWorkaround:  {"medium", 2},
	KindFix:         {"high", 4},
	KindSegment:     {"very_high", 8},
	KindReplace:     {"very_high", 16},
}

// with returns fx plus the effect of an action of kind (on service, for
// service-level actions). fx's maps are not modified.
// perDevice marks the kinds done device by device.
var perDevice = map[string]bool{KindDisable: true, KindFix: true, KindReplace: true, KindWorkaround: true}

func (fx effects) with(kind, service string) effects {
	add := func(m map[string]bool) map[string]bool {
		m = maps.Clone(m)
		if m == nil {
			m = map[string]bool{}
		}
		m[service] = true
		return m
	}
	switch kind {
	case KindDisable:
		fx.disabled = add(fx.disabled)
	case KindRestrict:
		fx.restricted = add(fx.restricted)
	case KindBlockPublic:
		fx.noPublic = true
	case KindWorkaround:
		fx.workaround = true
	case KindFix, KindReplace:
		fx.resolved = true
	case KindSegment:
		fx.segmented = true
	}
	return fx
}

// key identifies fx for caching scores.
func (fx effects) key() string {
	var b strings.Builder
	for _, v := range []bool{fx.noPublic, fx.segmented, fx.workaround, fx.resolved} {
		b.WriteByte("01"[b2i(v)])
	}
	for _, m := range []map[string]bool{fx.restricted, fx.disabled} {
		b.WriteByte('|')
		b.WriteString(strings.Join(slices.Sorted(maps.Keys(m)), ","))
	}
	return b.String()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Control is an accepted action recorded as applied: it lowers the residual
// risk of exactly the findings it lists.
type Control struct {
	ActionID  string    `json:"action_id"`
	Kind      string    `json:"kind"`
	Service   string    `json:"service,omitempty"` // service key of disable_service and restrict_access
	Findings  []string  `json:"findings"`          // item ids
	AppliedAt time.Time `json:"applied_at"`
	Note      string    `json:"note,omitempty"`
}

func indexControls(cs []Control) map[string]effects {
	out := map[string]effects{}
	for _, c := range cs {
		for _, id := range c.Findings {
			fx := out[id].with(c.Kind, c.Service)
			fx.controls = append(fx.controls, c.ActionID)
			out[id] = fx
		}
	}
	return out
}

// ActionDevice is a device an action touches.
type ActionDevice struct {
	ID     string `json:"id"`
	Device string `json:"device"`
	IP     string `json:"ip"`
}

// ACL is a generated access list.
type ACL struct {
	CiscoIOS string `json:"cisco_ios"`
	IPTables string `json:"iptables"`
}

// Action is one thing to do, for one or many devices.
type Action struct {
	ID           string         `json:"id"`
	Kind         string         `json:"kind"`
	Title        string         `json:"title"`
	Why          string         `json:"why"`
	Effort       string         `json:"effort"`
	EffortCost   float64        `json:"effort_cost"`
	Devices      []ActionDevice `json:"devices"`
	Service      string         `json:"service,omitempty"`
	ServiceKey   string         `json:"service_key,omitempty"`
	Ports        []PortRef      `json:"ports"`
	AllowedPeers []string       `json:"allowed_peers"`
	Advisory     string         `json:"advisory,omitempty"`
	Texts        []string       `json:"texts"`
	URL          string         `json:"url,omitempty"`
	FixedVersion string         `json:"fixed_version,omitempty"`
	ACL          *ACL           `json:"acl,omitempty"`
	Findings     []string       `json:"findings"`     // item ids it mitigates
	Effects      []Effect       `json:"effects"`      // what it does to each, alone
	RiskRemoved  float64        `json:"risk_removed"` // alone, from the current residual risk
	PerEffort    float64        `json:"risk_removed_per_effort"`
	Applied      bool           `json:"applied"`
}

// Effect is what an action alone does to one finding's residual risk.
type Effect struct {
	Finding        string  `json:"finding"`
	PriorityBefore string  `json:"priority_before"`
	PriorityAfter  string  `json:"priority_after"` // "" when resolved
	ScoreBefore    float64 `json:"score_before"`
	ScoreAfter     float64 `json:"score_after"`
}

// Step is one action in plan order with its marginal effect.
type Step struct {
	Rank              int     `json:"rank"`
	ActionID          string  `json:"action_id"`
	RiskRemoved       float64 `json:"risk_removed"` // after the steps before it
	CumulativeRemoved float64 `json:"cumulative_removed"`
	CumulativePercent float64 `json:"cumulative_percent"`
}

// Plan is the ranked remediation plan.
type Plan struct {
	GeneratedAt time.Time `json:"generated_at"`
	TotalRisk   float64   `json:"total_risk"` // sum of residual scores now
	Items       int       `json:"items"`
	Summary     string    `json:"summary"`
	Steps       []Step    `json:"steps"`
	Actions     []Action  `json:"actions"` // in step order, then applied ones
}

type candidate struct {
	a     *Action
	items map[int]bool
}

// Plan proposes actions for items (from Assess on the same input), ranks
// them greedily by risk removed per effort and fills items[i].Actions.
func (e *Engine) Plan(in Input, items []Item) (*Plan, error) {
	byID := map[string]*inventory.Device{}
	for _, d := range in.Devices {
		byID[d.ID] = d
	}
	applied := map[string]bool{}
	for _, c := range in.Controls {
		applied[c.ActionID] = true
	}
	ctl := indexControls(in.Controls)
	at := in.At
	if at.IsZero() {
		at = time.Now()
	}
	cands := map[string]*candidate{}
	var order []string
	propose := func(kind, group string, i int, d *inventory.Device, fill func(a *Action)) {
		id := actionID(kind, group)
		c, ok := cands[id]
		if !ok {
			ef := effortOf[kind]
			c = &candidate{a: &Action{ID: id, Kind: kind, Effort: ef.class, EffortCost: ef.cost,
				Devices: []ActionDevice{}, Ports: []PortRef{}, AllowedPeers: []string{}, Texts: []string{}, Findings: []string{}, Effects: []Effect{}}, items: map[int]bool{}}
			cands[id] = c
			order = append(order, id)
		}
		c.items[i] = true
		if !slices.ContainsFunc(c.a.Devices, func(x ActionDevice) bool { return x.ID == d.ID }) {
			c.a.Devices = append(c.a.Devices, ActionDevice{ID: d.ID, Device: deviceLabel(d), IP: d.IP()})
		}
		fill(c.a)
	}
	for i := range items {
		it := &items[i]
		d := byID[it.DeviceID]
		if d == nil || it.Residual.Resolved {
			continue
		}
		fleet := fleetKey(d)
		for _, s := range it.Services {
			if s.Local {
				continue
			}
			switch s.Status {
			case StatusNeverSeen:
				if s.Stack {
					continue // a device's network stack cannot be switched off
				}
				propose(KindDisable, fleet+"|"+s.Key, i, d, func(a *Action) { a.Service, a.ServiceKey, a.Ports = s.Name, s.Key, s.Ports })
			case StatusSeen:
				propose(KindRestrict, fleet+"|"+s.Key, i, d, func(a *Action) {
					a.Service, a.ServiceKey = s.Name, s.Key
					for _, p := range s.SeenPorts {
						if s.Stack {
							break // the whole address, not a port
						}
						if !slices.Contains(a.Ports, p) {
							a.Ports = append(a.Ports, p)
						}
					}
					for _, p := range s.Peers {
						if !Public(p) && !slices.Contains(a.AllowedPeers, p) {
							a.AllowedPeers = append(a.AllowedPeers, p)
						}
					}
				})
			}
		}
		if len(it.Likelihood.PublicContacts) > 0 || slices.ContainsFunc(it.Services, func(s ServiceEvidence) bool { return len(s.PublicPeers) > 0 }) {
			propose(KindBlockPublic, fleet, i, d, func(*Action) {})
		}
		var work, fix []Option
		for _, o := range it.Remediations {
			switch o.Kind {
			case OptionWorkaround:
				work = append(work, o)
			case OptionFix:
				fix = append(fix, o)
			}
		}
		if len(work) > 0 {
			propose(KindWorkaround, fleet+"|"+it.Advisory, i, d, func(a *Action) { a.Advisory = it.Advisory; addTexts(a, work) })
		}
		if len(fix) > 0 {
			propose(KindFix, fleet+"|"+it.Advisory, i, d, func(a *Action) { a.Advisory = it.Advisory; addTexts(a, fix) })
		}
		if it.Decision.Exposure != "S" {
			propose(KindSegment, fleet, i, d, func(*Action) {})
		}
		if len(fix) == 0 && priorityRank[it.Residual.Priority] >= priorityRank["O"] {
			propose(KindReplace, fleet, i, d, func(*Action) {})
		}
	}

	// Which findings does each action actually lower? Simulate it.
	type cacheKey struct {
		i  int
		fx string
	}
	type outcome struct {
		score    float64
		priority string
	}
	cache := map[cacheKey]outcome{}
	judge := func(i int, fx effects) (outcome, error) {
		k := cacheKey{i, fx.key()}
		if v, ok := cache[k]; ok {
			return v, nil
		}
		var v outcome
		if !fx.resolved {
			r, err := e.decide(byID[items[i].DeviceID], &items[i], fx, at)
			if err != nil {
				return v, err
			}
			v = outcome{r.score, r.dec.Priority}
		}
		cache[k] = v
		return v, nil
	}
	score := func(i int, fx effects) (float64, error) {
		o, err := judge(i, fx)
		return o.score, err
	}
	cur := make([]effects, len(items))
	total := 0.0
	for i := range items {
		cur[i] = ctl[items[i].ID]
		total += items[i].Residual.Score
	}
	var live []*candidate
	for _, id := range order {
		c := cands[id]
		a := c.a
		for i := range c.items {
			now, err := judge(i, cur[i])
			if err != nil {
				return nil, err
			}
			after, err := judge(i, cur[i].with(a.Kind, a.ServiceKey))
			if err != nil {
				return nil, err
			}
			if after.score < now.score {
				a.Findings = append(a.Findings, items[i].ID)
				a.Effects = append(a.Effects, Effect{Finding: items[i].ID, PriorityBefore: now.priority, PriorityAfter: after.priority, ScoreBefore: now.score, ScoreAfter: after.score})
				a.RiskRemoved += now.score - after.score
			} else {
				delete(c.items, i)
			}
		}
		if len(a.Findings) == 0 && !applied[a.ID] {
			continue
		}
		sort.Strings(a.Findings)
		sort.Slice(a.Effects, func(x, y int) bool { return a.Effects[x].Finding < a.Effects[y].Finding })
		if perDevice[a.Kind] {
			// Work done on each device costs more for a bigger fleet, with
			// economies of scale; a network change is done once.
			a.EffortCost = round1(a.EffortCost * math.Sqrt(float64(len(a.Devices))))
		}
		a.RiskRemoved = round1(a.RiskRemoved)
		a.PerEffort = round1(a.RiskRemoved / a.EffortCost)
		a.Applied = applied[a.ID]
		e.describe(a, byID, items, c.items)
		live = append(live, c)
	}
	for _, c := range live {
		for i := range c.items {
			items[i].Actions = append(items[i].Actions, c.a.ID)
		}
	}

	// Greedy order by marginal risk removed per effort; segmentation and
	// replacement come last whatever their yield: they are the last resort.
	p := &Plan{GeneratedAt: at, TotalRisk: round1(total), Items: len(items), Steps: []Step{}, Actions: []Action{}}
	removed := 0.0
	for _, lastResort := range []bool{false, true} {
		rest := slices.DeleteFunc(slices.Clone(live), func(c *candidate) bool {
			return c.a.Applied || lastResort != (c.a.Kind == KindSegment || c.a.Kind == KindReplace)
		})
		for len(rest) > 0 {
			best, bestGain, bestRate := -1, 0.0, -1.0
			for j, c := range rest {
				gain := 0.0
				for i := range c.items {
					now, _ := score(i, cur[i])
					after, _ := score(i, cur[i].with(c.a.Kind, c.a.ServiceKey))
					gain += now - after
				}
				rate := gain / c.a.EffortCost
				if best < 0 || rate > bestRate+1e-9 || (math.Abs(rate-bestRate) <= 1e-9 && c.a.ID < rest[best].a.ID) {
					best, bestGain, bestRate = j, gain, rate
				}
			}
			c := rest[best]
			rest = slices.Delete(rest, best, best+1)
			for i := range c.items {
				cur[i] = cur[i].with(c.a.Kind, c.a.ServiceKey)
			}
			removed += bestGain
			pct := 0.0
			if total > 0 {
				pct = 100 * removed / total
			}
			p.Steps = append(p.Steps, Step{Rank: len(p.Steps) + 1, ActionID: c.a.ID, RiskRemoved: round1(bestGain), CumulativeRemoved: round1(removed), CumulativePercent: round1(pct)})
			p.Actions = append(p.Actions, *c.a)
		}
	}
	for _, c := range live {
		if c.a.Applied {
			p.Actions = append(p.Actions, *c.a)
		}
	}
	p.Summary = summarize(p)
	return p, nil
}

func summarize(p *Plan) string {
	if p.TotalRisk == 0 || len(p.Steps) == 0 {
		return "No open risk to reduce."
	}
	for _, s := range p.Steps {
		if s.CumulativePercent >= 80 {
			return fmt.Sprintf("These %d action(s) remove %.0f %% of the current risk (%.1f of %.1f points).", s.Rank, s.CumulativePercent, s.CumulativeRemoved, p.TotalRisk)
		}
	}
	last := p.Steps[len(p.Steps)-1]
	return fmt.Sprintf("All %d action(s) together remove %.0f %% of the current risk (%.1f of %.1f points).", last.Rank, last.CumulativePercent, last.CumulativeRemoved, p.TotalRisk)
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func addTexts(a *Action, os []Option) {
	for _, o := range os {
		if !slices.Contains(a.Texts, o.Text) {
			a.Texts = append(a.Texts, o.Text)
		}
		if a.URL == "" {
			a.URL = o.URL
		}
		if a.FixedVersion == "" {
			a.FixedVersion = o.FixedVersion
		}
	}
}

func actionID(kind, group string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + group))
	return kind + "-" + hex.EncodeToString(h[:5])
}

// fleetKey groups devices one action can cover: same model, else same type
// in the same subnet, else the device alone.
func fleetKey(d *inventory.Device) string {
	if k := modelKey(d); k != "" {
		return "model:" + k
	}
	if t := d.Attr(fingerprint.DeviceType); t != "" && d.Subnet != "" {
		return "type:" + t + "@" + d.Subnet
	}
	return "device:" + d.ID
}

func fleetName(a *Action, byID map[string]*inventory.Device) string {
	if len(a.Devices) == 1 {
		return a.Devices[0].Device
	}
	d := byID[a.Devices[0].ID]
	name := strings.TrimSpace(d.Attr(fingerprint.Manufacturer) + " " + d.Attr(fingerprint.Model))
	for _, o := range a.Devices[1:] {
		if modelKey(d) == "" || modelKey(byID[o.ID]) != modelKey(d) {
			name = ""
		}
	}
	if name == "" {
		name = strings.ReplaceAll(d.Attr(fingerprint.DeviceType), "_", " ") + " devices"
		if d.Subnet != "" {
			name += " in " + d.Subnet
		}
	}
	return fmt.Sprintf("%d × %s", len(a.Devices), name)
}

// describe writes the action's title, reason and ACLs.
func (e *Engine) describe(a *Action, byID map[string]*inventory.Device, items []Item, which map[int]bool) {
	who := fleetName(a, byID)
	var advs []string
	worst := ""
	for i := range which {
		if !slices.Contains(advs, items[i].Advisory) {
			advs = append(advs, items[i].Advisory)
		}
		if priorityRank[items[i].Residual.Priority] > priorityRank[worst] {
			worst = items[i].Residual.Priority
		}
	}
	sort.Strings(advs)
	covers := fmt.Sprintf("It covers %d finding(s) (%s).", len(a.Findings), strings.Join(first(advs, 4), ", "))
	obs := time.Duration(math.MaxInt64)
	for _, dv := range a.Devices {
		obs = min(obs, observed(byID[dv.ID]))
	}
	switch a.Kind {
	case KindDisable:
		a.Title = fmt.Sprintf("Turn off %s (%s) on %s", a.Service, joinPorts(a.Ports), who)
		a.Why = fmt.Sprintf("Not used in %s of observation: no device ever connected to it, so switching it off should not disturb clinical work. ", span(obs)) + covers
	case KindRestrict:
		sortAddrs(a.AllowedPeers)
		a.Title = fmt.Sprintf("Allow %s (%s) on %s only from the %d client(s) that use it", a.Service, joinPorts(a.Ports), who, len(a.AllowedPeers))
		if len(a.Ports) == 0 {
			a.Title = fmt.Sprintf("Allow traffic to %s only from the %d device(s) it talks to", who, len(a.AllowedPeers))
		}
		a.Why = fmt.Sprintf("Ward saw only these clients use it in %s: %s. Everyone else can be blocked without disturbing them. ", span(obs), strings.Join(first(a.AllowedPeers, 6), ", ")) + covers
		a.ACL = restrictACL(a)
	case KindBlockPublic:
		a.Title = fmt.Sprintf("Block internet destinations for %s", who)
		a.Why = "The device talks to addresses on the internet; blocking them (allowing only needed vendor services) cuts a path attackers use. " + covers
		a.ACL = blockPublicACL(a)
	case KindWorkaround:
		a.Title = fmt.Sprintf("Apply the published workaround for %s on %s", a.Advisory, who)
		a.Why = "The advisory recommends these configuration steps until a fix is installed. " + covers
	case KindFix:
		a.Title = fmt.Sprintf("Install the published fix for %s on %s", a.Advisory, who)
		if a.FixedVersion != "" {
			a.Title += " (version " + a.FixedVersion + " or later)"
		}
		a.Why = "Removes the flaw; on medical devices this usually needs the manufacturer's service and planned downtime. " + covers
	case KindSegment:
		a.Title = fmt.Sprintf("Move %s to its own network segment", who)
		a.Why = "Last resort when the device cannot be fixed or configured: only the flows it needs are allowed in and out. " + covers
	case KindReplace:
		a.Title = fmt.Sprintf("Plan replacement of %s", who)
		a.Why = fmt.Sprintf("No fix is published and the risk is %s; replacement removes it. ", strings.ToLower(map[string]string{"I": "Immediate", "O": "Out-of-Cycle"}[worst])) + covers
	}
}

func aclName(a *Action) string {
	return "WARD-" + strings.ToUpper(strings.TrimPrefix(a.ID, a.Kind+"-"))
}

func restrictACL(a *Action) *ACL {
	n := aclName(a)
	peers4, peers6 := splitFamilies(a.AllowedPeers)
	var devs []string
	for _, d := range a.Devices {
		if d.IP != "" {
			devs = append(devs, d.IP)
		}
	}
	devs4, devs6 := splitFamilies(devs)
	var ios, ipt strings.Builder
	fmt.Fprintf(&ios, "! %s\n", a.Title)
	fmt.Fprintf(&ipt, "# %s\n", a.Title)
	if len(devs4) > 0 {
		fmt.Fprintf(&ios, "object-group network %s-CLIENTS\n", n)
		for _, p := range peers4 {
			fmt.Fprintf(&ios, " host %s\n", p)
		}
		fmt.Fprintf(&ios, "object-group network %s-DEVICES\n", n)
		for _, d := range devs4 {
			fmt.Fprintf(&ios, " host %s\n", d)
		}
		fmt.Fprintf(&ios, "ip access-list extended %s\n", n)
		if len(a.Ports) == 0 {
			if len(peers4) > 0 {
				fmt.Fprintf(&ios, " permit ip object-group %s-CLIENTS object-group %s-DEVICES\n", n, n)
			}
			fmt.Fprintf(&ios, " deny   ip any object-group %s-DEVICES log\n", n)
		}
		for _, p := range a.Ports {
			if len(peers4) > 0 {
				fmt.Fprintf(&ios, " permit %s object-group %s-CLIENTS object-group %s-DEVICES eq %d\n", p.Transport, n, n, p.Port)
			}
			fmt.Fprintf(&ios, " deny   %s any object-group %s-DEVICES eq %d log\n", p.Transport, n, p.Port)
		}
		ios.WriteString(" permit ip any any\n")
		iptablesChain(&ipt, "iptables", n, peers4, devs4, a.Ports)
	}
	if len(devs6) > 0 {
		fmt.Fprintf(&ios, "ipv6 access-list %s-V6\n", n)
		if len(a.Ports) == 0 {
			for _, d := range devs6 {
				for _, s := range peers6 {
					fmt.Fprintf(&ios, " permit ipv6 host %s host %s\n", s, d)
				}
				fmt.Fprintf(&ios, " deny ipv6 any host %s log\n", d)
			}
		}
		for _, p := range a.Ports {
			for _, d := range devs6 {
				for _, s := range peers6 {
					fmt.Fprintf(&ios, " permit %s host %s host %s eq %d\n", p.Transport, s, d, p.Port)
				}
				fmt.Fprintf(&ios, " deny %s any host %s eq %d log\n", p.Transport, d, p.Port)
			}
		}
		ios.WriteString(" permit ipv6 any any\n")
		iptablesChain(&ipt, "ip6tables", n, peers6, devs6, a.Ports)
	}
	return &ACL{CiscoIOS: ios.String(), IPTables: ipt.String()}
}

// iptablesChain writes a chain that accepts only peers, and sends the
// devices' ports through it from FORWARD.
func iptablesChain(b *strings.Builder, cmd, chain string, peers, devs []string, ports []PortRef) {
	fmt.Fprintf(b, "%s -N %s\n", cmd, chain)
	for _, p := range peers {
		fmt.Fprintf(b, "%s -A %s -s %s -j ACCEPT\n", cmd, chain, p)
	}
	fmt.Fprintf(b, "%s -A %s -j DROP\n", cmd, chain)
	if len(ports) == 0 {
		for _, d := range devs {
			fmt.Fprintf(b, "%s -I FORWARD -d %s -j %s\n", cmd, d, chain)
		}
	}
	for _, p := range ports {
		for _, d := range devs {
			fmt.Fprintf(b, "%s -I FORWARD -p %s -d %s --dport %d -j %s\n", cmd, p.Transport, d, p.Port, chain)
		}
	}
}

// splitFamilies separates IPv4 from IPv6 addresses; unparsable ones are dropped.
func splitFamilies(ips []string) (v4, v6 []string) {
	for _, s := range ips {
		a, err := netip.ParseAddr(s)
		switch {
		case err != nil:
		case a.Unmap().Is4():
			v4 = append(v4, a.Unmap().String())
		default:
			v6 = append(v6, a.String())
		}
	}
	return v4, v6
}

func blockPublicACL(a *Action) *ACL {
	n := aclName(a)
	var devs []string
	for _, d := range a.Devices {
		devs = append(devs, d.IP)
	}
	devs4, devs6 := splitFamilies(devs)
	private := []struct{ net, wild, cidr string }{{"10.0.0.0", "0.255.255.255", "10.0.0.0/8"}, {"172.16.0.0", "0.15.255.255", "172.16.0.0/12"}, {"192.168.0.0", "0.0.255.255", "192.168.0.0/16"}}
	var ios, ipt strings.Builder
	fmt.Fprintf(&ios, "! %s\nobject-group network %s-DEVICES\n", a.Title, n)
	for _, d := range devs4 {
		fmt.Fprintf(&ios, " host %s\n", d)
	}
	fmt.Fprintf(&ios, "ip access-list extended %s\n", n)
	fmt.Fprintf(&ipt, "# %s\niptables -N %s\n", a.Title, n)
	for _, p := range private {
		fmt.Fprintf(&ios, " permit ip object-group %s-DEVICES %s %s\n", n, p.net, p.wild)
		fmt.Fprintf(&ipt, "iptables -A %s -d %s -j RETURN\n", n, p.cidr)
	}
	fmt.Fprintf(&ios, " deny   ip object-group %s-DEVICES any log\n permit ip any any\n", n)
	fmt.Fprintf(&ipt, "iptables -A %s -j DROP\n", n)
	for _, d := range devs4 {
		fmt.Fprintf(&ipt, "iptables -I FORWARD -s %s -j %s\n", d, n)
	}
	if len(devs6) > 0 {
		// Only unique-local and link-local IPv6 stay inside the hospital.
		fmt.Fprintf(&ios, "ipv6 access-list %s-V6\n", n)
		fmt.Fprintf(&ipt, "ip6tables -N %s\nip6tables -A %s -d fc00::/7 -j RETURN\nip6tables -A %s -d fe80::/10 -j RETURN\nip6tables -A %s -j DROP\n", n, n, n, n)
		for _, d := range devs6 {
			fmt.Fprintf(&ios, " permit ipv6 host %s fc00::/7\n permit ipv6 host %s fe80::/10\n deny ipv6 host %s any log\n", d, d, d)
			fmt.Fprintf(&ipt, "ip6tables -I FORWARD -s %s -j %s\n", d, n)
		}
		ios.WriteString(" permit ipv6 any any\n")
	}
	return &ACL{CiscoIOS: ios.String(), IPTables: ipt.String()}
}
