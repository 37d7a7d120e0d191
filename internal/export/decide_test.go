package export_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/export"
	"github.com/wardiomt/ward/internal/risk"
	"github.com/wardiomt/ward/internal/vuln"
)

// TestDecide covers each way to a VEX statement, from hand-built findings,
// risk items and controls.
func TestDecide(t *testing.T) {
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	smb := risk.ServiceEvidence{Key: "smb", Name: "SMB file sharing", Ports: []risk.PortRef{{Transport: "tcp", Port: 445}}, MatchedBy: `the advisory mentions "smbv1"`}
	rdp := risk.ServiceEvidence{Key: "rdp", Name: "Remote Desktop (RDP)", Ports: []risk.PortRef{{Transport: "tcp", Port: 3389}}, MatchedBy: `the advisory mentions "remote desktop"`}
	bt := risk.ServiceEvidence{Key: "bluetooth", Name: "Bluetooth", Local: true, Status: risk.StatusUnknown, MatchedBy: "keyword"}
	with := func(s risk.ServiceEvidence, status string) risk.ServiceEvidence { s.Status = status; return s }
	item := func(ctl []string, svcs ...risk.ServiceEvidence) *risk.Item {
		return &risk.Item{ID: "dev1|ADV-1", Services: svcs, Residual: risk.Residual{Controls: ctl, PriorityName: "Scheduled"},
			Explanation: []risk.Explanation{{Input: "System exposure", Why: "what Ward saw of the services."}}}
	}
	controls := map[string]risk.Control{
		"dis-smb": {ActionID: "dis-smb", Kind: risk.KindDisable, Service: "smb", AppliedAt: at},
		"seg":     {ActionID: "seg", Kind: risk.KindSegment, AppliedAt: at, Note: "VLAN 99"},
		"acl":     {ActionID: "acl", Kind: risk.KindRestrict, Service: "smb", AppliedAt: at},
		"fix":     {ActionID: "fix", Kind: risk.KindFix, AppliedAt: at},
		"work":    {ActionID: "work", Kind: risk.KindWorkaround, AppliedAt: at},
	}
	affected := vuln.Finding{DeviceID: "dev1", Advisory: "ADV-1", Status: vuln.Affected, Reason: `Acme "Pump" version 2.0 is in the affected range "< 3.0" of Acme Pump`}
	unknown := vuln.Finding{DeviceID: "dev1", Advisory: "ADV-1", Status: vuln.UnderInvestigation, Reason: `device version unknown, affected range "< 3.0"`}
	outside := vuln.Finding{DeviceID: "dev1", Advisory: "ADV-1", Status: vuln.NotAffected, MatchedRange: `"< 3.0"`,
		Reason: `Acme "Pump" version 3.1 is outside every affected range ("< 3.0") of Acme Pump`}
	type want struct {
		State    export.State
		Evidence export.Evidence
		CDX      string
		CSAF     string
	}
	cases := []struct {
		name     string
		f        vuln.Finding
		it       *risk.Item
		want     want
		contains []string
	}{
		{"version outside range", outside, nil, want{export.NotAffected, export.EvidenceVersion, "code_not_present", "vulnerable_code_not_present"},
			[]string{"version 3.1", `"< 3.0"`}},
		{"affected, service in use", affected, item(nil, with(smb, risk.StatusSeen)), want{State: export.Exploitable}, []string{"in the affected range", "Exposure"}},
		{"version unknown", unknown, item(nil, with(smb, risk.StatusUnknown)), want{State: export.InTriage}, []string{"version unknown"}},
		{"service never seen", affected, item(nil, with(smb, risk.StatusNeverSeen)), want{export.NotAffected, export.EvidenceService, "code_not_reachable", "vulnerable_code_not_in_execute_path"},
			[]string{"never seen", `SMB file sharing by the advisory mentions "smbv1"`}},
		{"version unknown but service never seen", unknown, item(nil, with(smb, risk.StatusNeverSeen), with(rdp, risk.StatusNeverSeen)),
			want{export.NotAffected, export.EvidenceService, "code_not_reachable", "vulnerable_code_not_in_execute_path"}, []string{"SMB", "Remote Desktop"}},
		{"one service never seen, another in use", affected, item(nil, with(smb, risk.StatusNeverSeen), with(rdp, risk.StatusSeen)), want{State: export.Exploitable}, nil},
		{"not watched long enough", affected, item(nil, with(smb, risk.StatusUnknown)), want{State: export.Exploitable}, nil},
		{"local service is no evidence", affected, item(nil, bt), want{State: export.Exploitable}, nil},
		{"client only is no evidence", affected, item(nil, with(smb, risk.StatusClientOnly)), want{State: export.Exploitable}, nil},
		{"service disabled by control", affected, item([]string{"dis-smb"}, with(smb, risk.StatusSeen)),
			want{export.NotAffected, export.EvidenceControl, "protected_by_mitigating_control", "inline_mitigations_already_exist"}, []string{"disable_service dis-smb", "2026-05-01"}},
		{"disabled one, other never seen", affected, item([]string{"dis-smb"}, with(smb, risk.StatusSeen), with(rdp, risk.StatusNeverSeen)),
			want{export.NotAffected, export.EvidenceControl, "protected_by_mitigating_control", "inline_mitigations_already_exist"}, []string{"dis-smb", "Remote Desktop (RDP) (tcp/3389) never seen"}},
		{"disabled one, other in use", affected, item([]string{"dis-smb"}, with(smb, risk.StatusSeen), with(rdp, risk.StatusSeen)), want{State: export.Exploitable}, []string{"dis-smb", "without removing the attack path"}},
		{"segmented", affected, item([]string{"seg"}, with(smb, risk.StatusSeen)),
			want{export.NotAffected, export.EvidenceControl, "protected_by_mitigating_control", "inline_mitigations_already_exist"}, []string{"segment seg", "VLAN 99"}},
		{"vendor workaround", unknown, item([]string{"work"}), want{export.NotAffected, export.EvidenceControl, "protected_by_mitigating_control", "inline_mitigations_already_exist"}, []string{"vendor_workaround work"}},
		{"access list only narrows", affected, item([]string{"acl"}, with(smb, risk.StatusSeen)), want{State: export.Exploitable}, []string{"acl", "residual priority Scheduled"}},
		{"vendor fix applied", affected, item([]string{"fix"}, with(smb, risk.StatusSeen)), want{State: export.Resolved, Evidence: export.EvidenceFix}, []string{"vendor_fix fix"}},
		{"version outside range wins over controls", outside, item([]string{"fix"}), want{export.NotAffected, export.EvidenceVersion, "code_not_present", "vulnerable_code_not_present"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := export.Decide(&c.f, c.it, controls)
			got := want{st.State, st.Evidence, st.Justification.CycloneDX, st.Justification.CSAF}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("statement (-want +got):\n%s\ndetail: %s", d, st.Detail)
			}
			for _, s := range c.contains {
				if !strings.Contains(st.Detail, s) {
					t.Errorf("detail %q does not say %q", st.Detail, s)
				}
			}
		})
	}
}
