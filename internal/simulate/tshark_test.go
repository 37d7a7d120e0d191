package simulate

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tshark runs tshark on path and returns one []string of field values per
// matching packet (multiple occurrences joined by '|').
func tshark(t *testing.T, path string, extra []string, filter string, fields ...string) [][]string {
	t.Helper()
	args := append([]string{"-n", "-r", path}, extra...)
	args = append(args, "-Y", filter, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|")
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "tshark", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %v: %v\n%s", args, err, stderr.String())
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		rows = append(rows, strings.Split(line, "\t"))
	}
	return rows
}

// TestTshark checks that Wireshark's dissectors parse what we wrote and
// read back the identities the truth records. Skipped without tshark,
// except under CI=true, where CI must install it (apt-get install tshark).
func TestTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tshark not installed; CI must install it (apt-get install -y tshark)")
		}
		t.Skip("tshark not installed")
	}
	if testing.Short() {
		t.Skip("short mode")
	}
	data, tr, _ := generate(t, Config{Devices: 90, Hours: 1, Seed: 5})
	path := filepath.Join(t.TempDir(), "sim.pcap")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	hostnames := map[string]TruthDevice{}
	for _, d := range tr.Devices {
		hostnames[d.Hostname] = d
	}

	t.Run("no malformed or error-level frames", func(t *testing.T) {
		rows := tshark(t, path, nil, "_ws.malformed || _ws.expert.severity >= 8388608", "frame.number", "_ws.expert.message")
		if len(rows) > 0 {
			t.Errorf("%d frames with errors, first: %v", len(rows), rows[0])
		}
	})

	t.Run("dicom", func(t *testing.T) {
		rows := tshark(t, path, nil, "dicom.assoc.ae.calling", "dicom.assoc.ae.calling", "dicom.assoc.ae.called", "dicom.userinfo.uid")
		if len(rows) == 0 {
			t.Fatal("no DICOM associations")
		}
		roots := []string{"1.2.840.113619", "1.3.12.2.1107.5", "1.3.46.670589", "1.2.392.200036.9116", "1.2.392.200036.9125",
			"1.3.51", "1.2.840.113564", "1.2.752.24", "1.2.840.113543", "1.2.410.200001", "1.2.826.0.1.3680043", "1.2.392.200036.9107", "1.2.840.113681"}
		for _, r := range rows {
			if strings.TrimSpace(r[0]) == "" || strings.TrimSpace(r[1]) != "SECTRA_PACS" {
				t.Errorf("association AEs %q -> %q", r[0], r[1])
			}
			ok := false
			for _, root := range roots {
				ok = ok || strings.HasPrefix(r[2], root)
			}
			if !ok {
				t.Errorf("implementation class UID %q has no known manufacturer root", r[2])
			}
		}
		tags := tshark(t, path, []string{"-o", "dicom.tag_tree:TRUE"}, "dicom.tag", "dicom.tag", "dicom.tag.value.str")
		var all strings.Builder
		for _, r := range tags {
			all.WriteString(strings.Join(r, "|"))
		}
		serials := 0
		for _, d := range tr.Devices {
			if (d.Type == "ct" || d.Type == "mr" || d.Type == "ultrasound" || d.Type == "xray") && strings.Contains(all.String(), d.Serial) {
				serials++ // serials go out verbatim in (0018,1000)
			}
		}
		if serials == 0 {
			t.Error("no modality's truth serial number in the DICOM datasets")
		}
		for _, want := range []string{"0x00080070", "0x00081090", "0x00181000", "0x00181020", "0x7fe00010", CanaryPrefix} {
			if !strings.Contains(all.String(), want) {
				t.Errorf("DICOM tags never show %s", want)
			}
		}
	})

	t.Run("hl7", func(t *testing.T) {
		rows := tshark(t, path, []string{"-d", "tcp.port==2575,hl7", "-o", "hl7.display_raw:TRUE"}, "hl7", "hl7.message.type", "hl7.raw.segment")
		types := map[string]int{}
		euis := 0
		for _, r := range rows {
			types[r[0]]++
			for _, d := range tr.Devices {
				if strings.Contains(r[1], eui64Of(macBytes(t, d.MAC))) && strings.Contains(r[1], "OBX") {
					euis++
					break
				}
			}
		}
		if types["ORU"] == 0 || types["ACK"] == 0 {
			t.Errorf("HL7 message types %v, want ORU and ACK", types)
		}
		if euis == 0 {
			t.Error("no OBX-18 carries a truth device's EUI-64")
		}
	})

	t.Run("dhcp", func(t *testing.T) {
		rows := tshark(t, path, nil, "dhcp.option.hostname", "dhcp.option.hostname", "dhcp.option.vendor_class_id",
			"dhcp.option.agent_information_option.agent_circuit_id", "dhcp.hw.mac_addr")
		if len(rows) == 0 {
			t.Fatal("no DHCP hostnames")
		}
		circuits := 0
		for _, r := range rows {
			d, ok := hostnames[r[0]]
			if !ok {
				t.Errorf("DHCP hostname %q not in truth", r[0])
				continue
			}
			if strings.Split(r[3], "|")[0] != d.MAC {
				t.Errorf("DHCP hostname %q from %s, truth MAC %s", r[0], r[3], d.MAC)
			}
			if r[1] == "" {
				t.Errorf("DHCP from %s without vendor class", r[0])
			}
			if r[2] != "" {
				b, err := hex.DecodeString(strings.ReplaceAll(r[2], ":", ""))
				if err != nil {
					b = []byte(r[2])
				}
				if !strings.HasPrefix(string(b), "sw-") || !strings.Contains(string(b), ":") {
					t.Errorf("circuit-id %q is not switch:port", b)
				}
				circuits++
			}
		}
		if circuits == 0 {
			t.Error("no option 82 circuit-id seen")
		}
	})

	t.Run("lldp and cdp", func(t *testing.T) {
		rows := tshark(t, path, nil, "lldp", "lldp.tlv.system.name", "lldp.tlv.system.desc")
		switches, med := 0, 0
		for _, r := range rows {
			if strings.HasPrefix(r[0], "sw-") && strings.Contains(r[1], "Cisco IOS Software") {
				switches++
			}
			if _, ok := hostnames[r[0]]; ok {
				med++
			}
		}
		if switches == 0 || med == 0 {
			t.Errorf("LLDP: %d Cisco switch frames, %d endpoint (LLDP-MED) frames; want both", switches, med)
		}
		if len(tshark(t, path, nil, "cdp.platform contains \"C9300\"", "cdp.deviceid")) == 0 {
			t.Error("no CDP from a C9300")
		}
	})

	t.Run("snmp", func(t *testing.T) {
		rows := tshark(t, path, nil, "snmp.get_response_element", "snmp.value.octets")
		found := 0
		for _, r := range rows {
			for _, v := range strings.Split(r[0], "|") {
				b, err := hex.DecodeString(strings.ReplaceAll(v, ":", ""))
				if err == nil {
					if _, ok := hostnames[string(b)]; ok {
						found++
					}
				}
			}
		}
		if found == 0 {
			t.Errorf("no SNMP GetResponse carries a truth sysName (%d responses)", len(rows))
		}
	})

	t.Run("bacnet", func(t *testing.T) {
		// Wireshark reads the I-Am's vendor and the device object's
		// model-name from the ReadPropertyMultiple answer.
		iam := tshark(t, path, nil, "bacapp.unconfirmed_service == 0", "bacapp.instance_number", "bacapp.vendor_identifier")
		if len(iam) == 0 {
			t.Fatal("no BACnet I-Am")
		}
		for _, r := range iam {
			if len(r) < 2 || r[1] != "5" {
				t.Errorf("I-Am %v: want vendor 5 (Johnson Controls)", r)
			}
		}
		// The property values have no field of their own in Wireshark's
		// BACnet dissector: read them from its detail view.
		out, err := exec.Command("tshark", "-n", "-r", path, "-Y", "bacapp.confirmed_service == 14 && bacapp.type == 3", "-V").Output()
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, d := range tr.Devices {
			if d.Type == "building_automation" && bytes.Contains(out, []byte("model-name: UTF-8 '"+d.Model+"'")) &&
				bytes.Contains(out, []byte("firmware-revision: UTF-8 '"+d.Version+"'")) {
				found++
			}
		}
		if found == 0 {
			t.Errorf("no ReadPropertyMultiple answer carries a truth model and firmware (%d bytes of answers)", len(out))
		}
	})

	t.Run("tls", func(t *testing.T) {
		sni := tshark(t, path, nil, "tls.handshake.extensions_server_name", "tls.handshake.extensions_server_name")
		if len(sni) == 0 {
			t.Error("no TLS SNI")
		}
		certs := tshark(t, path, nil, "tls.handshake.certificate", "x509sat.uTF8String", "x509sat.printableString")
		if len(certs) == 0 {
			t.Fatal("no TLS certificates")
		}
		var all strings.Builder
		for _, r := range certs {
			all.WriteString(strings.Join(r, "|"))
		}
		if !strings.Contains(all.String(), "Synthetic Hospital") && !strings.Contains(all.String(), "HP") {
			t.Errorf("certificate subjects name no vendor: %.200s", all.String())
		}
	})

	t.Run("http smb nbns", func(t *testing.T) {
		if len(tshark(t, path, nil, "http.server", "http.server")) == 0 {
			t.Error("no HTTP Server headers")
		}
		if len(tshark(t, path, nil, "smb2.dialect", "smb2.dialect")) == 0 {
			t.Error("no SMB2 negotiate dialects")
		}
		if len(tshark(t, path, nil, "nbns.name", "nbns.name")) == 0 {
			t.Error("no NetBIOS names")
		}
	})
}
