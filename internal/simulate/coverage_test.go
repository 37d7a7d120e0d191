package simulate

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// TestIdentifiedByCoverage checks the truth's identified_by claims against
// the wire: for almost every (device, protocol) claim, that protocol must
// really carry traffic from the device (by MAC, by DHCP chaddr, or by the
// EUI-64 in a gateway's HL7). Later stages score themselves against these
// claims, so a claim the capture cannot back is a bug here.
func TestIdentifiedByCoverage(t *testing.T) {
	data, tr, _ := generate(t, Config{Devices: 150, Hours: 2, Seed: 9})
	seen := map[string]map[string]bool{} // mac -> protocols
	byHost := map[string]net.HardwareAddr{}
	for _, d := range tr.Devices {
		byHost[d.Hostname] = macBytes(t, d.MAC)
	}
	mark := func(m net.HardwareAddr, p string) {
		k := m.String()
		if seen[k] == nil {
			seen[k] = map[string]bool{}
		}
		seen[k][p] = true
	}
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var hl7 [][]byte
	for {
		pd, _, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := gopacket.NewPacket(pd, layers.LayerTypeEthernet, gopacket.Default)
		eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		src := eth.SrcMAC
		if l, ok := p.Layer(layers.LayerTypeLinkLayerDiscovery).(*layers.LinkLayerDiscovery); ok {
			mark(net.HardwareAddr(l.ChassisID.ID), "lldp")
		}
		if c, ok := p.Layer(layers.LayerTypeCiscoDiscoveryInfo).(*layers.CiscoDiscoveryInfo); ok {
			// Switches send CDP from per-port MACs; the device ID names them.
			if m, ok := byHost[strings.TrimSuffix(c.DeviceID, ".hospital.example")]; ok {
				mark(m, "cdp")
			}
		}
		if d, ok := p.Layer(layers.LayerTypeDHCPv4).(*layers.DHCPv4); ok && d.Operation == layers.DHCPOpRequest {
			mark(d.ClientHWAddr, "dhcp")
		}
		if u, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
			switch {
			case u.SrcPort == 161 || u.DstPort == 162:
				mark(src, "snmp")
			case u.SrcPort == 5353:
				mark(src, "mdns")
			case u.DstPort == 1900:
				mark(src, "ssdp")
			case u.SrcPort == 137:
				mark(src, "netbios")
			case u.SrcPort == 47808 && len(u.Payload) > 7 && u.Payload[0] == 0x81 &&
				(u.Payload[6] == 0x10 && u.Payload[7] == 0x00 || u.Payload[6]>>4 == 3): // I-Am, Complex-ACK
				mark(src, "bacnet")
			}
		}
		if tc, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP); ok && len(tc.Payload) > 0 {
			port := min(tc.SrcPort, tc.DstPort)
			switch port {
			case 104:
				mark(src, "dicom")
			case 2575:
				mark(src, "hl7")
				hl7 = append(hl7, tc.Payload)
			case 80, 8080:
				mark(src, "http")
			case 443, 8443:
				mark(src, "tls")
			case 445:
				mark(src, "smb")
			case 5200: // ASTM to the LIS: the analyser's Header record
				if bytes.Contains(tc.Payload, []byte("H|\\^&")) {
					mark(src, "astm")
				}
			}
		}
	}
	all := bytes.Join(hl7, nil)
	claims, backed := 0, 0
	var missing []string
	for _, d := range tr.Devices {
		for _, p := range d.IdentifiedBy {
			claims++
			ok := seen[d.MAC][p]
			if d.BehindGateway != "" {
				ok = bytes.Contains(all, []byte(eui64Of(macBytes(t, d.MAC))))
			}
			if ok {
				backed++
			} else {
				missing = append(missing, d.ID+"("+d.CatalogKind+"):"+p)
			}
		}
	}
	t.Logf("%d of %d identified_by claims backed by traffic", backed, claims)
	if len(missing) > 0 {
		t.Logf("not backed: %s", strings.Join(missing, " "))
	}
	if float64(backed) < 0.99*float64(claims) {
		t.Errorf("only %d of %d identified_by claims are backed by traffic; missing: %s", backed, claims, strings.Join(missing, " "))
	}
}
