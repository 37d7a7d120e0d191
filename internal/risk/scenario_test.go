package risk

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/identity"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/vuln"
)

var (
	t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	at = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
)

type devSpec struct {
	id, mfr, model, os, typ, ip, subnet string
	days                                int
	services                            map[string][]string // "tcp/445" -> peer IPs
	protocols                           []string
	external                            []string
}

func mkDev(s devSpec) *inventory.Device {
	id := identity.Identity{}
	set := func(a fingerprint.Attribute, v string) {
		if v != "" {
			id[a] = &identity.Attribute{Value: v, Confidence: 0.9}
		}
	}
	set(fingerprint.Manufacturer, s.mfr)
	set(fingerprint.Model, s.model)
	set(fingerprint.OS, s.os)
	set(fingerprint.DeviceType, s.typ)
	set(fingerprint.Hostname, s.id)
	if s.days == 0 {
		s.days = 14
	}
	d := &inventory.Device{ID: s.id, Identity: id, Subnet: s.subnet, FirstSeen: t0, LastSeen: t0.Add(time.Duration(s.days) * 24 * time.Hour),
		IPs: []inventory.IPRecord{{IP: s.ip, Source: "dhcp-ack", First: t0, Last: t0}}}
	keys := make([]string, 0, len(s.services))
	for k := range s.services {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p, err := ParsePortRef(k)
		if err != nil {
			panic(err)
		}
		sp := inventory.ServicePort{Port: p.Port, Transport: p.Transport, First: t0, Last: d.LastSeen, Count: int64(len(s.services[k]))}
		for _, ip := range s.services[k] {
			sp.Peers = append(sp.Peers, inventory.Peer{IP: ip, Count: 3, Last: d.LastSeen})
		}
		d.Services = append(d.Services, sp)
	}
	for _, p := range s.protocols {
		d.Protocols = append(d.Protocols, inventory.ProtocolSeen{Name: p, First: t0, Last: d.LastSeen, Count: 10})
	}
	for _, e := range s.external {
		d.External = append(d.External, inventory.External{IP: e, Port: 443, First: t0, Last: d.LastSeen, Count: 5})
	}
	return d
}

func peers(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s.%d", prefix, 20+i)
	}
	return out
}

// eternalBlue is MS17-010 as the matcher reports it for a Windows 7 device.
func eternalBlue(dev string) vuln.Finding {
	epss := 0.94
	return vuln.Finding{DeviceID: dev, Status: vuln.Affected, Advisory: "MS17-010", Source: vuln.SourcePlatform,
		Title: "Windows SMBv1 remote code execution (EternalBlue, WannaCry)", CVEs: []string{"CVE-2017-0144"},
		Confidence: vuln.ModelOnly, KEV: true, KEVCVEs: []string{"CVE-2017-0144"}, Ransomware: true, EPSS: &epss,
		CVSS:         []vuln.Score{{Source: "nvd@nist.gov", Version: "3.1", Score: 8.1, Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
		SSVC:         []vuln.CVESSVC{{CVE: "CVE-2017-0144", SSVC: vuln.SSVC{Exploitation: "active", Automatable: "yes", TechnicalImpact: "total"}}},
		Remediations: []vuln.Remediation{{Category: "vendor_fix", Text: "Install Microsoft security update MS17-010 and disable SMBv1.", URL: "https://learn.microsoft.com/en-us/security-updates/securitybulletins/2017/ms17-010"}}}
}

func rdpFinding(dev string) vuln.Finding {
	return vuln.Finding{DeviceID: dev, Status: vuln.Affected, Advisory: "MS12-020", Source: vuln.SourcePlatform,
		Title: "Remote Desktop Protocol remote code execution", CVEs: []string{"CVE-2012-0002"}, Confidence: vuln.ModelOnly,
		CVSS:         []vuln.Score{{Source: "nvd@nist.gov", Version: "2.0", Score: 9.3, Vector: "AV:N/AC:M/Au:N/C:C/I:C/A:C"}},
		Remediations: []vuln.Remediation{{Category: "vendor_fix", Text: "Install Microsoft security update MS12-020, or disable RDP.", URL: "https://example.invalid/ms12-020"}}}
}

func mustEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func find(t testing.TB, items []Item, dev, adv string) *Item {
	t.Helper()
	for i := range items {
		if items[i].DeviceID == dev && items[i].Advisory == adv {
			return &items[i]
		}
	}
	t.Fatalf("no item %s on %s", adv, dev)
	return nil
}

// imagingSite: two Windows 7 imaging workstations; one serves SMB to 12
// modalities and desktops in two other subnets, the other never showed 445
// in 14 days.
func imagingSite() Input {
	busy := mkDev(devSpec{id: "IMG-WS-1", mfr: "Siemens Healthineers", model: "syngo.via", os: "Windows 7 SP1", typ: "imaging_workstation",
		ip: "10.0.8.50", subnet: "10.0.8.0/24", protocols: []string{"smb", "dicom"},
		services: map[string][]string{"tcp/445": append(peers("10.0.12", 6), peers("10.0.24", 6)...), "tcp/3389": {"10.0.8.7"}, "tcp/104": peers("10.0.12", 3)}})
	quiet := mkDev(devSpec{id: "IMG-WS-2", mfr: "Philips", model: "IntelliSpace Portal", os: "Windows 7 SP1", typ: "imaging_workstation",
		ip: "10.0.8.51", subnet: "10.0.8.0/24", protocols: []string{"dicom"},
		services: map[string][]string{"tcp/104": peers("10.0.12", 3)}})
	return Input{Devices: []*inventory.Device{busy, quiet},
		Findings: []vuln.Finding{eternalBlue("IMG-WS-1"), eternalBlue("IMG-WS-2"), rdpFinding("IMG-WS-1")}, At: at}
}

func TestSMBOnBusyVersusQuietWorkstation(t *testing.T) {
	e := mustEngine(t)
	items, err := e.Assess(imagingSite())
	if err != nil {
		t.Fatal(err)
	}
	busy, quiet := find(t, items, "IMG-WS-1", "MS17-010"), find(t, items, "IMG-WS-2", "MS17-010")
	if busy.Decision.Priority != "I" || busy.Score < 60 {
		t.Errorf("busy workstation: %s score %.1f, want Immediate with a high score (>= 60)\n%s", busy.Decision.PriorityName, busy.Score, dump(busy))
	}
	if quiet.Decision.Priority != "S" || quiet.Score > 15 {
		t.Errorf("quiet workstation: %s score %.1f, want Scheduled with a low score (<= 15)\n%s", quiet.Decision.PriorityName, quiet.Score, dump(quiet))
	}
	if got := busy.Decision.Vector; !strings.HasPrefix(got, "SSVCv2/E:A/EXP:O/A:Y/HI:VH/DSOI:I/2026-03-15T12:00:00Z/") {
		t.Errorf("busy vector = %s", got)
	}
	if !Less(busy, quiet) {
		t.Error("busy workstation must rank before the quiet one")
	}
	if s := quiet.Services[0]; s.Key != "smb" || s.Status != StatusNeverSeen {
		t.Errorf("quiet SMB evidence = %+v, want smb never_seen", s)
	}
	if s := busy.Services[0]; s.Status != StatusSeen || len(s.Peers) != 12 || !s.OutsideSegment || len(s.PeerSubnets) != 2 {
		t.Errorf("busy SMB evidence = %+v, want seen by 12 peers from 2 other subnets", s)
	}
}

func dump(it *Item) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %s\n", it.Decision.Vector)
	for _, x := range it.Explanation {
		fmt.Fprintf(&b, "  %s = %s: %s [%s]\n", x.Input, x.Value, x.Why, x.Source)
	}
	return b.String()
}

func TestKEVPumpOutranksNonKEVPrinter(t *testing.T) {
	pump := mkDev(devSpec{id: "PUMP-1", mfr: "Baxter", model: "Sigma Spectrum", typ: "infusion_pump", ip: "10.0.12.30", subnet: "10.0.12.0/24",
		services: map[string][]string{"tcp/443": {"10.0.4.11"}}})
	printer := mkDev(devSpec{id: "PRN-1", mfr: "HP", model: "LaserJet Pro M404dn", typ: "printer", ip: "10.0.24.14", subnet: "10.0.24.0/24",
		services: map[string][]string{"tcp/80": peers("10.0.24", 8), "tcp/9100": peers("10.0.24", 8)}})
	epssLow := 0.02
	in := Input{Devices: []*inventory.Device{pump, printer}, At: at, Findings: []vuln.Finding{
		{DeviceID: "PUMP-1", Status: vuln.Affected, Advisory: "ICSMA-00-000-01", Title: "Hard-coded credentials in web interface", CVEs: []string{"CVE-2099-0001"},
			KEV: true, KEVCVEs: []string{"CVE-2099-0001"}, CVSS: []vuln.Score{{Source: "CISA", Version: "3.1", Score: 7.5, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}}},
		{DeviceID: "PRN-1", Status: vuln.Affected, Advisory: "HPSBPI-0001", Title: "Buffer overflow in web server", CVEs: []string{"CVE-2099-0002"}, EPSS: &epssLow,
			CVSS: []vuln.Score{{Source: "nvd@nist.gov", Version: "3.1", Score: 9.8, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}},
	}}
	items, err := mustEngine(t).Assess(in)
	if err != nil {
		t.Fatal(err)
	}
	p, q := find(t, items, "PUMP-1", "ICSMA-00-000-01"), find(t, items, "PRN-1", "HPSBPI-0001")
	if items[0].DeviceID != "PUMP-1" || !Less(p, q) {
		t.Errorf("pump (%s %.1f) must outrank printer (%s %.1f)", p.Decision.PriorityName, p.Score, q.Decision.PriorityName, q.Score)
	}
	if priorityRank[p.Decision.Priority] <= priorityRank[q.Decision.Priority] {
		t.Errorf("pump priority %s not above printer %s", p.Decision.PriorityName, q.Decision.PriorityName)
	}
	if p.Impact.Safety != "C" || p.Decision.HumanImpact != "VH" {
		t.Errorf("pump impact = %+v, want catastrophic safety, very high human impact", p.Impact)
	}
}

func TestLocalOnlyIsNotNetworkLikely(t *testing.T) {
	d := mkDev(devSpec{id: "VENT-1", mfr: "Dräger", model: "Evita V600", typ: "ventilator", ip: "10.0.12.11", subnet: "10.0.12.0/24",
		services: map[string][]string{"tcp/80": peers("10.0.4", 6)}})
	in := Input{Devices: []*inventory.Device{d}, At: at, Findings: []vuln.Finding{
		{DeviceID: "VENT-1", Status: vuln.Affected, Advisory: "ICSMA-LOCAL", Title: "Improper authentication", CVEs: []string{"CVE-2099-0003"},
			CVSS: []vuln.Score{{Source: "CISA", Version: "3.1", Score: 6.8, Vector: "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}},
	}}
	items, err := mustEngine(t).Assess(in)
	if err != nil {
		t.Fatal(err)
	}
	it := items[0]
	if it.Likelihood.NetworkLikely || it.Decision.Exposure != "S" || it.Decision.Automatable != "N" {
		t.Errorf("physical-access CVE: network_likely=%v exposure=%s automatable=%s, want false/S/N", it.Likelihood.NetworkLikely, it.Decision.Exposure, it.Decision.Automatable)
	}
}

// TestBareScore: a score without a vector (an advisory index's) is named
// in the explanation, and the attack path stays unknown, so assumed network.
func TestBareScore(t *testing.T) {
	d := mkDev(devSpec{id: "PCA-1", mfr: "ICU Medical", model: "LifeCare PCA", typ: "infusion_pump", ip: "10.0.12.12", subnet: "10.0.12.0/24"})
	in := Input{Devices: []*inventory.Device{d}, At: at, Findings: []vuln.Finding{
		{DeviceID: "PCA-1", Status: vuln.UnderInvestigation, Advisory: "ICSA-15-125-01", Title: "Hospira LifeCare PCA", CVEs: []string{"CVE-2099-0004"},
			CVSS: []vuln.Score{{Source: "CISA", Score: 7.7}}},
	}}
	items, err := mustEngine(t).Assess(in)
	if err != nil {
		t.Fatal(err)
	}
	it := items[0]
	if it.Likelihood.BareScore != 7.7 || !it.Likelihood.NetworkLikely || len(it.Likelihood.CVSS) != 0 {
		t.Errorf("likelihood = %+v", it.Likelihood)
	}
	said := false
	for _, e := range it.Explanation {
		said = said || e.Input == "How it is attacked" && strings.Contains(e.Why, "CVSS base score of 7.7 is published without its vector")
	}
	if !said {
		t.Errorf("explanation does not name the bare score: %+v", it.Explanation)
	}
}

func TestAppliedACLLowersExactlyItsFindings(t *testing.T) {
	e := mustEngine(t)
	in := imagingSite()
	items, err := e.Assess(in)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := e.Plan(in, items)
	if err != nil {
		t.Fatal(err)
	}
	var acl *Action
	for i := range plan.Actions {
		a := &plan.Actions[i]
		if a.Kind == KindRestrict && a.Service == "SMB file sharing" {
			acl = a
		}
	}
	if acl == nil {
		t.Fatalf("no SMB restrict action in %s", titles(plan))
	}
	if acl.ACL == nil || !strings.Contains(acl.ACL.CiscoIOS, "eq 445") || !strings.Contains(acl.ACL.IPTables, "--dport 445") {
		t.Fatalf("ACL snippets missing port 445: %+v", acl.ACL)
	}
	if len(acl.AllowedPeers) != 12 || !slices.Contains(acl.Findings, ItemID("IMG-WS-1", "MS17-010")) {
		t.Fatalf("ACL allows %v, covers %v", acl.AllowedPeers, acl.Findings)
	}
	before := map[string]float64{}
	for _, it := range items {
		before[it.ID] = it.Residual.Score
	}
	in.Controls = []Control{{ActionID: acl.ID, Kind: acl.Kind, Service: acl.ServiceKey, Findings: acl.Findings, AppliedAt: at}}
	after, err := e.Assess(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range after {
		covered := slices.Contains(acl.Findings, it.ID)
		switch {
		case covered && !(it.Residual.Score < before[it.ID]):
			t.Errorf("%s covered by the ACL: residual %.1f, before %.1f; want lower", it.ID, it.Residual.Score, before[it.ID])
		case !covered && it.Residual.Score != before[it.ID]:
			t.Errorf("%s not covered by the ACL: residual %.1f changed from %.1f", it.ID, it.Residual.Score, before[it.ID])
		}
		if it.Score != before[it.ID] {
			t.Errorf("%s: inherent score changed %.1f -> %.1f; controls change only the residual", it.ID, before[it.ID], it.Score)
		}
	}
	busy := find(t, after, "IMG-WS-1", "MS17-010")
	if busy.Residual.Priority == "I" || !slices.Contains(busy.Residual.Controls, acl.ID) {
		t.Errorf("busy workstation residual %s controls %v, want below Immediate with the ACL listed", busy.Residual.PriorityName, busy.Residual.Controls)
	}
	// The plan no longer proposes it, and lists it as applied.
	plan2, err := e.Plan(in, after)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range plan2.Steps {
		if s.ActionID == acl.ID {
			t.Error("applied ACL still a plan step")
		}
	}
	if plan2.TotalRisk >= plan.TotalRisk {
		t.Errorf("total risk %.1f -> %.1f, want lower after the control", plan.TotalRisk, plan2.TotalRisk)
	}
}

func titles(p *Plan) string {
	var s []string
	for _, a := range p.Actions {
		s = append(s, a.Kind+": "+a.Title)
	}
	return strings.Join(s, "\n")
}

func TestOneACLForAFleet(t *testing.T) {
	var devs []*inventory.Device
	var fs []vuln.Finding
	for i := range 40 {
		id := fmt.Sprintf("PUMP-%02d", i)
		devs = append(devs, mkDev(devSpec{id: id, mfr: "BD", model: "Alaris 8015", typ: "infusion_pump", ip: fmt.Sprintf("10.0.16.%d", 100+i), subnet: "10.0.16.0/24",
			services: map[string][]string{"tcp/23": {"10.0.4.5", "10.0.4.6"}}}))
		fs = append(fs, vuln.Finding{DeviceID: id, Status: vuln.Affected, Advisory: "ICSMA-TELNET", Title: "Telnet service with default credentials", CVEs: []string{"CVE-2099-0004"},
			CVSS:         []vuln.Score{{Source: "CISA", Version: "3.1", Score: 9.8, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
			Remediations: []vuln.Remediation{{Category: "vendor_fix", Text: "Block Telnet (port 23) at the network level. Update to version 12.3.1 or later."}}})
	}
	e := mustEngine(t)
	in := Input{Devices: devs, Findings: fs, At: at}
	items, err := e.Assess(in)
	if err != nil {
		t.Fatal(err)
	}
	if im := items[0].Impact; im.FleetSize != 40 || im.FleetAffected != 40 || im.Mission != "MF" || im.DeviceMission != "MEF" {
		t.Errorf("fleet impact = %+v, want 40 of 40 affected raising MEF Failure to Mission Failure", im)
	}
	plan, err := e.Plan(in, items)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, a := range plan.Actions {
		kinds[a.Kind]++
		if a.Kind == KindRestrict && (len(a.Devices) != 40 || len(a.Findings) != 40 || len(a.AllowedPeers) != 2) {
			t.Errorf("fleet ACL covers %d devices, %d findings, allows %v", len(a.Devices), len(a.Findings), a.AllowedPeers)
		}
		if a.Kind == KindFix && a.FixedVersion != "12.3.1" {
			t.Errorf("fixed version = %q, want 12.3.1", a.FixedVersion)
		}
	}
	if kinds[KindRestrict] != 1 || kinds[KindFix] != 1 || kinds[KindWorkaround] != 1 {
		t.Errorf("actions by kind = %v, want one fleet-wide ACL, fix and workaround\n%s", kinds, titles(plan))
	}
	last := plan.Steps[len(plan.Steps)-1]
	if last.CumulativePercent < 99.9 || !strings.Contains(plan.Summary, "%") {
		t.Errorf("plan removes %.1f %% (%s), want all of it", last.CumulativePercent, plan.Summary)
	}
	for i := 1; i < len(plan.Steps); i++ {
		if plan.Steps[i].CumulativeRemoved < plan.Steps[i-1].CumulativeRemoved {
			t.Errorf("cumulative reduction decreases at step %d", i+1)
		}
	}
}

func TestEveryItemAndActionExplainsItself(t *testing.T) {
	e := mustEngine(t)
	in := imagingSite()
	items, err := e.Assess(in)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := e.Plan(in, items)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		in := map[string]string{"E": it.Decision.Exploitation, "EXP": it.Decision.Exposure, "A": it.Decision.Automatable, "HI": it.Decision.HumanImpact}
		out, err := e.deployer.Decide(in)
		if err != nil || out.Key != it.Decision.Priority || e.deployer.Vector(in, out, at) != it.Decision.Vector {
			t.Errorf("%s: decision %+v is not the official table's (%v, %v)", it.ID, it.Decision, out, err)
		}
	}
	want := []string{"Exploitation", "How it is attacked", "System exposure", "Automatable", "Safety impact", "Mission impact", "Human impact", "Decision"}
	for _, it := range items {
		var got []string
		for _, x := range it.Explanation {
			got = append(got, x.Input)
			if x.Value == "" || len(x.Why) < 20 || x.Source == "" {
				t.Errorf("%s: thin explanation %+v", it.ID, x)
			}
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: explanation lacks %q (has %v)", it.ID, w, got)
			}
		}
		if len(it.Actions) == 0 {
			t.Errorf("%s: no action proposed", it.ID)
		}
	}
	for _, a := range plan.Actions {
		if a.Title == "" || len(a.Why) < 30 || len(a.Findings) == 0 || a.Effort == "" {
			t.Errorf("action %s explains too little: %+v", a.ID, a)
		}
		if len(a.Effects) != len(a.Findings) {
			t.Errorf("action %s: %d effects for %d findings", a.ID, len(a.Effects), len(a.Findings))
		}
		for _, x := range a.Effects {
			if !(x.ScoreAfter < x.ScoreBefore) || priorityRank[x.PriorityAfter] > priorityRank[x.PriorityBefore] {
				t.Errorf("action %s makes %s worse or no better: %+v", a.ID, x.Finding, x)
			}
		}
	}
}

// An access list on one service must not count for a flaw also reachable
// through another open service.
func TestServiceLevelControls(t *testing.T) {
	web := peers("10.0.24", 6)
	d := mkDev(devSpec{id: "GW-1", mfr: "Philips", model: "IntelliBridge", typ: "monitoring_gateway", ip: "10.0.12.40", subnet: "10.0.12.0/24",
		services: map[string][]string{"tcp/445": peers("10.0.4", 6), "tcp/443": web}})
	both := vuln.Finding{DeviceID: "GW-1", Status: vuln.Affected, Advisory: "ICSMA-BOTH", Title: "SMB and web interface authentication bypass", CVEs: []string{"CVE-2099-0005"},
		CVSS: []vuln.Score{{Source: "CISA", Version: "3.1", Score: 9.8, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}}
	smbOnly := eternalBlue("GW-1")
	e := mustEngine(t)
	in := Input{Devices: []*inventory.Device{d}, Findings: []vuln.Finding{both, smbOnly}, At: at}
	items, err := e.Assess(in)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := e.Plan(in, items)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range plan.Actions {
		if a.Kind == KindRestrict && a.ServiceKey == "smb" {
			if !slices.Equal(a.Findings, []string{ItemID("GW-1", "MS17-010")}) {
				t.Errorf("SMB ACL covers %v, want only MS17-010 (ICSMA-BOTH stays open through the web interface)", a.Findings)
			}
			return
		}
	}
	t.Fatalf("no SMB ACL:\n%s", titles(plan))
}

func TestPublicExposureBlockAndReplace(t *testing.T) {
	d := mkDev(devSpec{id: "PUMP-X", mfr: "Acme Medical", model: "Infuse 1", typ: "infusion_pump", ip: "10.0.16.9", subnet: "10.0.16.0/24",
		services: map[string][]string{"tcp/8443": {"10.0.4.2", "203.0.113.7"}}, external: []string{"198.51.100.20"}})
	f := vuln.Finding{DeviceID: "PUMP-X", Status: vuln.Affected, Advisory: "ICSMA-PUB", Title: "Web server accepts unauthenticated firmware uploads", CVEs: []string{"CVE-2099-0006"},
		KEV: true, KEVCVEs: []string{"CVE-2099-0006"},
		CVSS:         []vuln.Score{{Source: "CISA", Version: "3.1", Score: 9.8, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
		Remediations: []vuln.Remediation{{Category: "none_available", Text: "Acme will not release a fix; the product is end of life."}}}
	e := mustEngine(t)
	in := Input{Devices: []*inventory.Device{d}, Findings: []vuln.Finding{f}, At: at}
	items, err := e.Assess(in)
	if err != nil {
		t.Fatal(err)
	}
	it := items[0]
	if it.Decision.Exposure != "O" || it.Decision.Priority != "I" || !slices.Equal(it.Services[0].PublicPeers, []string{"203.0.113.7"}) {
		t.Fatalf("internet-facing pump: exposure %s priority %s public %v", it.Decision.Exposure, it.Decision.Priority, it.Services[0].PublicPeers)
	}
	if it.Remediations[0].Kind != OptionNoFix {
		t.Errorf("remediation kind %s, want no_fix", it.Remediations[0].Kind)
	}
	plan, err := e.Plan(in, items)
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, a := range plan.Actions {
		pos[a.Kind] = i + 1
		switch a.Kind {
		case KindBlockPublic:
			if a.ACL == nil || !strings.Contains(a.ACL.CiscoIOS, "deny   ip object-group") || !strings.Contains(a.ACL.IPTables, "-s 10.0.16.9") {
				t.Errorf("block_public ACL: %+v", a.ACL)
			}
		case KindRestrict:
			if slices.Contains(a.AllowedPeers, "203.0.113.7") {
				t.Errorf("restrict ACL allows the internet client: %v", a.AllowedPeers)
			}
		}
	}
	for _, k := range []string{KindBlockPublic, KindRestrict, KindReplace, KindSegment} {
		if pos[k] == 0 {
			t.Errorf("no %s action:\n%s", k, titles(plan))
		}
	}
	if pos[KindFix] != 0 {
		t.Error("a fix was proposed although the vendor will not release one")
	}
	if pos[KindReplace] < pos[KindRestrict] || pos[KindSegment] < pos[KindBlockPublic] {
		t.Errorf("last-resort actions before configuration changes:\n%s", titles(plan))
	}
}

// The plan's arithmetic: the simulated current risk is the items' residual
// risk, steps never remove more than there is, and planning is repeatable.
func TestPlanAccounting(t *testing.T) {
	e := mustEngine(t)
	in := imagingSite()
	items, err := e.Assess(in)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := e.Plan(in, items)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := e.Plan(in, items)
	if err != nil {
		t.Fatal(err)
	}
	if p1.TotalRisk != p2.TotalRisk || len(p1.Steps) != len(p2.Steps) || p1.Summary != p2.Summary {
		t.Errorf("planning twice differs: %s / %s", p1.Summary, p2.Summary)
	}
	sum := 0.0
	for _, it := range items {
		sum += it.Residual.Score
	}
	if round1(sum) != p1.TotalRisk {
		t.Errorf("total risk %.1f, items sum to %.1f", p1.TotalRisk, sum)
	}
	last := p1.Steps[len(p1.Steps)-1]
	if last.CumulativePercent > 100 || last.CumulativeRemoved > p1.TotalRisk+0.05 {
		t.Errorf("plan removes %.1f of %.1f (%.1f %%)", last.CumulativeRemoved, p1.TotalRisk, last.CumulativePercent)
	}
	for _, a := range p1.Actions {
		alone := 0.0
		for _, id := range a.Findings {
			for _, it := range items {
				if it.ID == id {
					alone += it.Residual.Score
				}
			}
		}
		if a.RiskRemoved > round1(alone)+0.05 {
			t.Errorf("%s removes %.1f alone, more than its findings' %.1f", a.ID, a.RiskRemoved, alone)
		}
	}
}

// A flaw in the embedded TCP/IP stack is reached by any traffic: Ward
// restricts the whole address to the devices the pump talks to.
func TestIPStackFlaw(t *testing.T) {
	d := mkDev(devSpec{id: "PUMP-S", mfr: "Acme Medical", model: "Infuse 2", typ: "infusion_pump", ip: "10.0.16.30", subnet: "10.0.16.0/24",
		services: map[string][]string{"tcp/8000": {"10.0.4.5"}}})
	d.Contacts = append(d.Contacts, inventory.Contact{Peer: "10.0.4.6", Port: 2575, Transport: "tcp", Outbound: true, Count: 9, First: t0, Last: d.LastSeen})
	f := vuln.Finding{DeviceID: "PUMP-S", Status: vuln.Affected, Advisory: "URGENT/11", Source: vuln.SourcePlatform,
		Title: "VxWorks IPnet TCP/IP stack vulnerabilities (URGENT/11)", CVEs: []string{"CVE-2019-12256"},
		CVSS: []vuln.Score{{Source: "nvd@nist.gov", Version: "3.1", Score: 9.8, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}}
	e := mustEngine(t)
	in := Input{Devices: []*inventory.Device{d}, Findings: []vuln.Finding{f}, At: at}
	items, err := e.Assess(in)
	if err != nil {
		t.Fatal(err)
	}
	s := items[0].Services[0]
	if s.Key != "ipstack" || s.Status != StatusSeen || !slices.Equal(s.Peers, []string{"10.0.4.5", "10.0.4.6"}) {
		t.Fatalf("stack evidence = %+v", s)
	}
	plan, err := e.Plan(in, items)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range plan.Actions {
		if a.Kind == KindDisable {
			t.Errorf("proposed to switch off the network stack: %s", a.Title)
		}
		if a.Kind == KindRestrict {
			if len(a.Ports) != 0 || !strings.Contains(a.ACL.CiscoIOS, " permit ip object-group") || !strings.Contains(a.ACL.IPTables, "-I FORWARD -d 10.0.16.30 -j") {
				t.Errorf("stack ACL is not address-wide:\n%s\n%s", a.ACL.CiscoIOS, a.ACL.IPTables)
			}
			return
		}
	}
	t.Fatalf("no restrict action:\n%s", titles(plan))
}
