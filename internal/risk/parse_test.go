package risk

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/vuln"
)

func TestServiceMapMatch(t *testing.T) {
	m, err := DefaultServiceMap()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ft   FindingText
		want []string
	}{
		{"smb title", FindingText{Text: "Windows SMBv1 remote code execution (EternalBlue, WannaCry)"}, []string{"smb"}},
		{"rdp by name", FindingText{Text: "Remote Desktop Services remote code execution (BlueKeep)"}, []string{"rdp"}},
		{"dicom", FindingText{Text: "The DICOM server accepts associations from any AE title"}, []string{"dicom"}},
		{"xss by CWE", FindingText{Text: "Improper neutralization of input", CWE: []string{"CWE-79"}}, []string{"web"}},
		{"port in advice", FindingText{Text: "Hard-coded credentials", Remediations: []string{"Block TCP 23 and tcp/2575 at the firewall."}}, []string{"hl7", "telnet"}},
		{"port list", FindingText{Text: "Overflow", Remediations: []string{"Restrict access to ports 139/445."}}, []string{"smb"}},
		{"cpe product", FindingText{Text: "Overflow", CPEs: []string{"cpe:2.3:a:openbsd:openssh:7.4:*:*:*:*:*:*:*"}}, []string{"ssh"}},
		{"ip stack", FindingText{Text: "Treck TCP/IP stack vulnerabilities (Ripple20)"}, []string{"ipstack"}},
		{"mqtt broker", FindingText{Text: "Eclipse Mosquitto broker denial of service", CPEs: []string{"cpe:2.3:a:eclipse:mosquitto:2.0.10:*:*:*:*:*:*:*"}}, []string{"mqtt"}},
		{"voip", FindingText{Text: "Crafted SIP INVITE crashes the VoIP phone"}, []string{"sip"}},
		{"tftp", FindingText{Text: "Path traversal in the TFTP server"}, []string{"tftp"}},
		{"smtp", FindingText{Text: "Exim remote command execution via crafted SMTP"}, []string{"smtp"}},
		{"bluetooth is local", FindingText{Text: "Bluetooth Low Energy link layer flaws (SweynTooth)"}, []string{"bluetooth"}},
		{"url is not a service", FindingText{Text: "See https://example.com/ftp/telnet for details about the memory corruption"}, nil},
		{"word boundary", FindingText{Text: "The smbios table parser and rsshd"}, nil},
		{"nothing", FindingText{Text: "Improper input validation in the infusion engine"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range m.Match(tt.ft) {
				got = append(got, s.Service.Key)
				if s.Reason == "" {
					t.Errorf("%s matched without a reason", s.Service.Key)
				}
			}
			if tt.want == nil {
				tt.want = nil
			}
			slicesSort(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("services (-want +got):\n%s", diff)
			}
		})
	}
}

func slicesSort(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestParseServiceMapErrors(t *testing.T) {
	for name, y := range map[string]string{
		"unknown field": "services:\n  - {key: a, name: A, ports: [tcp/1], colour: red}\n",
		"no ports":      "services:\n  - {key: a, name: A}\n",
		"bad port":      "services:\n  - {key: a, name: A, ports: [sctp/1]}\n",
		"duplicate":     "services:\n  - {key: a, name: A, ports: [1]}\n  - {key: a, name: B, ports: [2]}\n",
		"no key":        "services:\n  - {name: A, ports: [1]}\n",
	} {
		if _, err := ParseServiceMap([]byte(y)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestOptionsFromCISAText(t *testing.T) {
	// A CISA-style remediation: bullets flattened into one string, a
	// workaround filed as vendor_fix, and the usual boilerplate.
	text := "Baxter recommends users upgrade to version 8.00.01 or later.\n" +
		"• Disable the Telnet service on the pump\n• Restrict network access to the pump to the gateway - Contact Baxter technical support for assistance. " +
		"CISA recommends users take defensive measures to minimize the risk of exploitation. Baxter will not release a fix for the legacy model."
	got := splitSentences(text)
	want := []string{
		"Baxter recommends users upgrade to version 8.00.01 or later.",
		"Disable the Telnet service on the pump",
		"Restrict network access to the pump to the gateway",
		"Contact Baxter technical support for assistance.",
		"CISA recommends users take defensive measures to minimize the risk of exploitation.",
		"Baxter will not release a fix for the legacy model.",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("sentences (-want +got):\n%s", diff)
	}
	kinds := []string{OptionFix, OptionWorkaround, OptionWorkaround, OptionContact, OptionGeneral, OptionNoFix}
	for i, s := range got {
		if k := classify(s); k != kinds[i] {
			t.Errorf("classify(%q) = %s, want %s", s, k, kinds[i])
		}
	}
	for s, v := range map[string]string{
		"Update to v2.1.3 or later.":                                    "2.1.3",
		"Upgrade the Alaris PC unit to software version 12.3.1.":        "12.3.1",
		"Install firmware 4.0b and reboot.":                             "4.0b",
		"Update the device.":                                            "",
		"Restrict access to version 3 of the protocol.":                 "",
		"Patch to release 20D30 or higher is available from Medtronic.": "20D30",
	} {
		if got := fixedVersion(s); got != v {
			t.Errorf("fixedVersion(%q) = %q, want %q", s, got, v)
		}
	}
}

func TestConfig(t *testing.T) {
	c, err := LoadConfig(strings.NewReader("min_observation: 72h\nhub_peers: 3\noverrides:\n  - model: MAGNETOM Vida\n    sole: true\n    safety: critical\n    note: the only MR in the hospital\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.MinObservation.Hours() != 72 || c.HubPeers != 3 || len(c.Overrides) != 1 || !*c.Overrides[0].Sole {
		t.Errorf("config = %+v", c)
	}
	for name, y := range map[string]string{
		"unknown key": "min_obs: 1h\n",
		"bad safety":  "overrides:\n  - {type: mr, safety: deadly}\n",
		"bad type":    "overrides:\n  - {type: toaster}\n",
		"no selector": "overrides:\n  - {sole: true}\n",
		"zero hub":    "hub_peers: 0\n",
		"bad mission": "overrides:\n  - {type: mr, mission: total}\n",
	} {
		if _, err := LoadConfig(strings.NewReader(y)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := LoadConfig(strings.NewReader("")); err != nil {
		t.Errorf("empty config: %v", err)
	}
}

func TestParseExploitability(t *testing.T) {
	for vec, want := range map[string][4]string{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H":                    {"N", "L", "N", "N"},
		"AV:N/AC:M/Au:S/C:C/I:C/A:C":                                      {"N", "H", "L", "N"},
		"CVSS:4.0/AV:A/AC:L/AT:N/PR:H/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N": {"A", "L", "H", "P"},
		"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:H":                    {"P", "H", "H", "R"},
	} {
		e, ok := parseExploitability(vulnScore(vec))
		if !ok || [4]string{e.AV, e.AC, e.PR, e.UI} != want || e.Ease <= 0 || e.Ease > 1 {
			t.Errorf("%s: %+v ok=%v, want %v", vec, e, ok, want)
		}
	}
	if _, ok := parseExploitability(vulnScore("garbage")); ok {
		t.Error("garbage vector parsed")
	}
}

func FuzzRemediationText(f *testing.F) {
	f.Add("Update to version 1.2.3 or later.\n• Disable Telnet - Contact support.")
	f.Add("Block TCP 139/445 and port 3389; see https://x/y")
	f.Fuzz(func(t *testing.T, s string) {
		for _, sent := range splitSentences(s) {
			if k := classify(sent); k == "" {
				t.Fatalf("no kind for %q", sent)
			}
			_ = fixedVersion(sent)
		}
		for _, p := range portsIn(s) {
			if p.Port == 0 || (p.Transport != "tcp" && p.Transport != "udp") {
				t.Fatalf("bad port %v from %q", p, s)
			}
		}
	})
}

func FuzzLoadConfig(f *testing.F) {
	f.Add("min_observation: 72h\noverrides:\n  - {model: X, sole: true}\n")
	f.Add("services:\n  - {key: a, name: A, ports: [tcp/1]}\n")
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := LoadConfig(strings.NewReader(s)); err == nil {
			if err := c.Validate(); err != nil {
				t.Fatalf("loaded config fails validation: %v", err)
			}
		}
		_, _ = ParseServiceMap([]byte(s))
	})
}

func vulnScore(v string) vuln.Score { return vuln.Score{Source: "test", Version: "3.1", Vector: v} }

func TestOptionsLeadInLists(t *testing.T) {
	f := &vuln.Finding{Remediations: []vuln.Remediation{
		{Category: "mitigation", Text: "Acme has published new firmware for every affected pump. The fixed versions are as follows:\n" +
			"Infuse 1: Version 3.2.1 (available May 2026)\nAcme recommends the following workarounds to reduce risk:"},
		{Category: "mitigation", Text: "Apply proper physical security controls."},
		{Category: "mitigation", Text: "Keep the pump's drug library server on the clinical network."},
		{Category: "vendor_fix", Text: "This action would slow down drug library updates. The bulletin will be updated when more is known. " +
			"For questions, contact Acme support at:\nTel: +1 555 0100"},
	}}
	var got []string
	for _, o := range options(f) {
		got = append(got, o.Kind)
	}
	if v := options(f)[2].FixedVersion; v != "3.2.1" {
		t.Errorf("list item's fixed version = %q, want 3.2.1", v)
	}
	want := []string{OptionFix, OptionFix, OptionFix, OptionWorkaround, OptionWorkaround, OptionWorkaround,
		OptionGeneral, OptionGeneral, OptionContact, OptionContact}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
		for _, o := range options(f) {
			t.Logf("%s: %s", o.Kind, o.Text)
		}
	}
}
