package export

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/risk"
	"github.com/wardiomt/ward/internal/vuln"
)

// State is the VEX status of one finding on one device, in CycloneDX
// terms (CSAF maps it to a product_status list, see csafStatus).
type State string

// States.
const (
	Exploitable State = "exploitable" // affected; CSAF known_affected
	InTriage    State = "in_triage"   // version unknown or model unconfirmed; CSAF under_investigation
	NotAffected State = "not_affected"
	Resolved    State = "resolved" // an applied control fixed or replaced it; CSAF fixed
)

// Evidence names what a not_affected or resolved statement rests on.
type Evidence string

// Evidence kinds.
const (
	EvidenceVersion Evidence = "version_outside_range" // the matcher compared the version with every affected range
	EvidenceService Evidence = "service_never_seen"    // the vulnerable service was never seen on the device
	EvidenceControl Evidence = "compensating_control"  // an applied control removes the attack path
	EvidenceFix     Evidence = "fix_applied"           // an applied vendor fix or replacement
)

// Justification is a not_affected reason in both vocabularies.
type Justification struct {
	CycloneDX string // analysis.justification
	CSAF      string // flags[].label
}

var justifications = map[Evidence]Justification{
	EvidenceVersion: {"code_not_present", "vulnerable_code_not_present"},
	EvidenceService: {"code_not_reachable", "vulnerable_code_not_in_execute_path"},
	EvidenceControl: {"protected_by_mitigating_control", "inline_mitigations_already_exist"},
}

// Statement is the VEX statement of one finding on one device.
type Statement struct {
	DeviceID      string
	Finding       *vuln.Finding
	Item          *risk.Item // nil when the finding is not_affected (the risk engine skips those)
	State         State
	Evidence      Evidence      // "" for exploitable and in_triage
	Justification Justification // set when State is NotAffected
	Detail        string        // the evidence in words
	Controls      []string      // applied control ids that cover the finding
}

// Decide states one finding on one device. it is the risk item of the
// finding (nil when the engine did not assess it); controls indexes the
// applied controls by action id.
func Decide(f *vuln.Finding, it *risk.Item, controls map[string]risk.Control) Statement {
	st := Statement{DeviceID: f.DeviceID, Finding: f, Item: it}
	if f.Status == vuln.NotAffected {
		st.State, st.Evidence = NotAffected, EvidenceVersion
		st.Justification = justifications[EvidenceVersion]
		st.Detail = "Version outside the affected range: " + strings.TrimSuffix(f.Reason, ".") + "."
		return st
	}
	if it != nil {
		st.Controls = slices.Clone(it.Residual.Controls)
		var applied []risk.Control
		for _, id := range it.Residual.Controls {
			if c, ok := controls[id]; ok {
				applied = append(applied, c)
			}
		}
		if fix := slices.IndexFunc(applied, func(c risk.Control) bool { return c.Kind == risk.KindFix || c.Kind == risk.KindReplace }); fix >= 0 || it.Residual.Resolved {
			st.State, st.Evidence = Resolved, EvidenceFix
			st.Detail = "Resolved by an applied control: " + describeControls(applied) + "."
			return st
		}
		if why, ok := protectedBy(it, applied); ok {
			st.State, st.Evidence = NotAffected, EvidenceControl
			st.Justification = justifications[EvidenceControl]
			st.Detail = "Protected by a mitigating control: " + why + "."
			return st
		}
		if why, ok := serviceAbsent(it); ok {
			st.State, st.Evidence = NotAffected, EvidenceService
			st.Justification = justifications[EvidenceService]
			st.Detail = "Vulnerable service never seen on the device: " + why + "."
			return st
		}
	}
	switch f.Status {
	case vuln.UnderInvestigation:
		st.State = InTriage
		st.Detail = "Under investigation: " + strings.TrimSuffix(f.Reason, ".") + "."
	default:
		st.State = Exploitable
		st.Detail = "Affected: " + strings.TrimSuffix(f.Reason, ".") + "."
	}
	if it != nil {
		if exp := explanation(it, "System exposure"); exp != "" {
			st.Detail += " Exposure: " + exp
		}
		if len(st.Controls) > 0 {
			st.Detail += fmt.Sprintf(" Applied controls %s lower the risk (residual priority %s) without removing the attack path.", strings.Join(st.Controls, ", "), orDash(it.Residual.PriorityName))
		}
	}
	return st
}

// protectedBy: controls that take the attack path away make the device
// not_affected. A segment or the vendor's workaround covers the whole
// finding; disable_service protects it when every network service the flaw
// needs is switched off or was never seen. restrict_access and block_public
// only narrow who can reach the device, which lowers the risk but leaves it
// exploitable by the clients still allowed.
func protectedBy(it *risk.Item, applied []risk.Control) (string, bool) {
	var prot []risk.Control
	for _, c := range applied {
		if c.Kind == risk.KindSegment || c.Kind == risk.KindWorkaround {
			prot = append(prot, c)
		}
	}
	if len(prot) > 0 {
		return describeControls(prot), true
	}
	disabled := map[string]risk.Control{}
	for _, c := range applied {
		if c.Kind == risk.KindDisable && c.Service != "" {
			disabled[c.Service] = c
		}
	}
	if len(disabled) == 0 || len(it.Services) == 0 {
		return "", false
	}
	var off []risk.Control
	var quiet []string
	for _, s := range it.Services {
		switch c, ok := disabled[s.Key]; {
		case ok:
			if !slices.ContainsFunc(off, func(x risk.Control) bool { return x.ActionID == c.ActionID }) {
				off = append(off, c)
			}
		case s.Status == risk.StatusNeverSeen && !s.Local:
			quiet = append(quiet, fmt.Sprintf("%s (%s) never seen", s.Name, ports(s.Ports)))
		default:
			return "", false
		}
	}
	why := describeControls(off)
	if len(quiet) > 0 {
		why += "; " + strings.Join(quiet, ", ")
	}
	return why, true
}

// serviceAbsent: the flaw is tied to network services, and none of them
// was seen on the device during at least the minimum observation. Local
// (Bluetooth, USB) services and services still too briefly watched
// ("unknown") are not evidence.
func serviceAbsent(it *risk.Item) (string, bool) {
	if len(it.Services) == 0 {
		return "", false
	}
	by := make([]string, 0, len(it.Services))
	for _, s := range it.Services {
		if s.Local || s.Status != risk.StatusNeverSeen {
			return "", false
		}
		by = append(by, fmt.Sprintf("%s by %s", s.Name, s.MatchedBy))
	}
	why := strings.TrimSuffix(explanation(it, "System exposure"), ".")
	if why == "" {
		why = "none of its ports accepted a connection"
	}
	why += " (the flaw is tied to the service: " + strings.Join(by, "; ") + ")"
	return why, true
}

func describeControls(cs []risk.Control) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		s := fmt.Sprintf("%s %s applied %s", c.Kind, c.ActionID, c.AppliedAt.UTC().Format("2006-01-02"))
		if c.Service != "" {
			s += " on service " + c.Service
		}
		if c.Note != "" {
			s += " (" + c.Note + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func ports(ps []risk.PortRef) string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.String())
	}
	return strings.Join(out, ", ")
}

func explanation(it *risk.Item, input string) string {
	for _, e := range it.Explanation {
		if e.Input == input {
			return e.Why
		}
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Statements decides every finding of in, in device then advisory order.
func Statements(in *Input) []Statement {
	items := make(map[string]*risk.Item, len(in.Items))
	for i := range in.Items {
		items[in.Items[i].ID] = &in.Items[i]
	}
	controls := make(map[string]risk.Control, len(in.Controls))
	for _, c := range in.Controls {
		controls[c.ActionID] = c
	}
	out := make([]Statement, 0, len(in.Findings))
	for i := range in.Findings {
		f := &in.Findings[i]
		out = append(out, Decide(f, items[risk.ItemID(f.DeviceID, f.Advisory)], controls))
	}
	slices.SortStableFunc(out, func(a, b Statement) int {
		return strings.Compare(a.DeviceID+"\x00"+a.Finding.Advisory, b.DeviceID+"\x00"+b.Finding.Advisory)
	})
	return out
}

// deviceIndex maps ids to devices.
func deviceIndex(devs []*inventory.Device) map[string]*inventory.Device {
	m := make(map[string]*inventory.Device, len(devs))
	for _, d := range devs {
		m[d.ID] = d
	}
	return m
}
