package fingerprint

import (
	"strings"

	"github.com/wardiomt/ward/internal/observe"
)

const (
	ouiRule = "oui"
	// An OUI says who bought the prefix, which is often the maker of a
	// network module or of the OEM board: weak evidence on its own.
	ouiConfidence = 0.3
	nicConfidence = 0.1
)

// nicMakers are registrants whose prefixes mostly sit on modules, Wi-Fi
// chips and serial-to-Ethernet servers built into other vendors' products
// (canonical names where canon knows them, registrant spelling otherwise).
var nicMakers = map[string]bool{
	"Intel": true, "Espressif": true, "Silex Technology": true, "Lantronix": true,
	"Digi International": true, "Moxa": true, "Realtek": true, "Raspberry Pi": true,
	"Murata Manufacturing Co., Ltd.": true, "AzureWave Technology Inc.": true,
	"Texas Instruments": true, "Microchip Technology Inc.": true, "u-blox AG": true,
	"Broadcom": true, "Qualcomm Inc.": true, "Atheros Communications Inc.": true,
	"Hon Hai Precision Ind. Co.,Ltd.": true, "Liteon Technology Corporation": true,
	"Universal Global Scientific Industrial Co., Ltd.": true, "Laird Connectivity": true,
	"Advantech Co., Ltd.": true, "WIZnet Co., Ltd.": true, "Sierra Wireless": true,
	"Telit Communication S.p.A.": true, "Quectel Wireless Solutions Co.,Ltd.": true,
	"CHONGQING FUGUI ELECTRONICS CO.,LTD.": true, "Wistron Neweb Corporation": true,
	"Gainspan Corp.": true, "Redpine Signals, Inc.": true, "Connect One Ltd.": true,
}

// macKind says how to find the subject's hardware address in a field value.
// A switch rather than function values keeps the buffer on the stack.
type macKind uint8

const (
	macHex macKind = iota + 1
	macDUID
	macEUI64Prefix
	macEUI64Component
)

func extractMAC(k macKind, v string, buf *[8]byte) []byte {
	switch k {
	case macHex:
		return parseHexAddr(v, buf)
	case macDUID:
		return duidMAC(v, buf)
	case macEUI64Prefix:
		return eui64Prefix(v, buf)
	case macEUI64Component:
		return eui64Component(v, buf)
	}
	return nil
}

// macFields are the observation fields whose value is (or embeds) the MAC
// of the device the observation is about. The packet's source MAC is not
// used: routed traffic carries the router's.
var macFields = map[string]macKind{
	"arp.sender_mac":  macHex,
	"dhcp.client_mac": macHex,
	"lldp.chassis_id": macHex,
	"dhcpv6.duid":     macDUID,
	// IHE PCD equipment identifiers are EUI-64s derived from the vendor's OUI.
	"hl7.equipment_id": macEUI64Prefix,
	// MSH-3 of PCD devices: "<name>^<EUI-64>^EUI-64".
	"hl7.sending_application": macEUI64Component,
	// An SNMPv3 engine ID of the MAC format: the agent's own address, even
	// when its answers cross a router.
	"snmp.engine_mac": macHex,
}

// parseHexAddr reads a 6- or 8-byte address written as hex with optional
// ':', '-' or '.' separators, without allocating.
func parseHexAddr(v string, buf *[8]byte) []byte {
	n, half := 0, false
	var cur byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		case c == ':' || c == '-' || c == '.':
			continue
		default:
			return nil
		}
		if n >= len(buf) {
			return nil
		}
		if half {
			buf[n] = cur<<4 | d
			n++
		} else {
			cur = d
		}
		half = !half
	}
	if half || (n != 6 && n != 8) {
		return nil
	}
	return buf[:n]
}

// duidMAC extracts the link-layer address of a DUID-LLT (type 1) or DUID-LL
// (type 3) with Ethernet hardware type.
func duidMAC(v string, buf *[8]byte) []byte {
	var raw [20]byte
	n, half := 0, false
	var cur byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		case c == ':' || c == '-':
			continue
		default:
			return nil
		}
		if n >= len(raw) {
			return nil
		}
		if half {
			raw[n] = cur<<4 | d
			n++
		} else {
			cur = d
		}
		half = !half
	}
	if n < 4 || raw[2] != 0 || raw[3] != 1 { // hardware type 1 = Ethernet
		return nil
	}
	var mac []byte
	switch {
	case raw[0] == 0 && raw[1] == 1 && n == 14:
		mac = raw[8:14]
	case raw[0] == 0 && raw[1] == 3 && n == 10:
		mac = raw[4:10]
	default:
		return nil
	}
	copy(buf[:], mac)
	return buf[:6]
}

// eui64Prefix reads the EUI-64 that leads an HL7 equipment identifier
// ("0009FB00001A2B3C^Philips^...").
func eui64Prefix(v string, buf *[8]byte) []byte {
	end := len(v)
	for i := 0; i < len(v); i++ {
		if v[i] == '^' || v[i] == ' ' {
			end = i
			break
		}
	}
	if end != 16 {
		return nil
	}
	return parseHexAddr(v[:end], buf)
}

// eui64Component reads the universal ID of an HD "name^EUI64^EUI-64".
func eui64Component(v string, buf *[8]byte) []byte {
	_, rest, ok := strings.Cut(v, "^")
	if !ok {
		return nil
	}
	id, typ, _ := strings.Cut(rest, "^")
	if !strings.EqualFold(typ, "EUI-64") || len(id) != 16 {
		return nil
	}
	return parseHexAddr(id, buf)
}

func (e *Engine) ouiClaim(o *observe.Observation, f *observe.Field, k macKind, out []Claim) []Claim {
	// A server's OFFER/ACK carries the client's chaddr: it is not about the sender.
	if f.Key == "dhcp.client_mac" {
		if op, _ := o.Get("dhcp.op"); op == "reply" {
			return out
		}
	}
	// The authoritative engine of a request is its receiver's.
	if f.Key == "snmp.engine_mac" {
		if owner, _ := o.Get("snmp.engine_owner"); owner != "sender" {
			return out
		}
	}
	proto := o.Protocol
	var buf [8]byte
	mac := extractMAC(k, f.Value, &buf)
	if mac == nil {
		return out
	}
	v, ok := e.OUIVendor(mac)
	if !ok {
		return out
	}
	conf, note := ouiConfidence, ""
	if nicMakers[v] {
		conf, note = nicConfidence, NoteNIC
	}
	return append(out, Claim{Attribute: Manufacturer, Value: v, Confidence: conf, Rule: ouiRule,
		Protocol: proto, Field: f.Key, Observed: f.Value, Note: note})
}
