// Package dissectors lists Ward's default dissectors explicitly, in
// dispatch priority order. Each protocol package stays independent; this is
// the one place that knows them all.
package dissectors

import (
	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/arp"
	"github.com/wardiomt/ward/internal/dissect/astm"
	"github.com/wardiomt/ward/internal/dissect/bacnet"
	"github.com/wardiomt/ward/internal/dissect/cdp"
	"github.com/wardiomt/ward/internal/dissect/dhcp"
	"github.com/wardiomt/ward/internal/dissect/dhcpv6"
	"github.com/wardiomt/ward/internal/dissect/dicom"
	"github.com/wardiomt/ward/internal/dissect/dns"
	"github.com/wardiomt/ward/internal/dissect/ftp"
	"github.com/wardiomt/ward/internal/dissect/hl7"
	"github.com/wardiomt/ward/internal/dissect/http"
	"github.com/wardiomt/ward/internal/dissect/kerberos"
	"github.com/wardiomt/ward/internal/dissect/lldp"
	"github.com/wardiomt/ward/internal/dissect/mdns"
	"github.com/wardiomt/ward/internal/dissect/modbus"
	"github.com/wardiomt/ward/internal/dissect/mqtt"
	"github.com/wardiomt/ward/internal/dissect/nbns"
	"github.com/wardiomt/ward/internal/dissect/poct"
	"github.com/wardiomt/ward/internal/dissect/rdp"
	"github.com/wardiomt/ward/internal/dissect/sip"
	"github.com/wardiomt/ward/internal/dissect/smb"
	"github.com/wardiomt/ward/internal/dissect/smtp"
	"github.com/wardiomt/ward/internal/dissect/snmp"
	"github.com/wardiomt/ward/internal/dissect/ssdp"
	"github.com/wardiomt/ward/internal/dissect/ssh"
	"github.com/wardiomt/ward/internal/dissect/syslog"
	"github.com/wardiomt/ward/internal/dissect/telnet"
	"github.com/wardiomt/ward/internal/dissect/tftp"
	"github.com/wardiomt/ward/internal/dissect/tls"
	"github.com/wardiomt/ward/internal/dissect/wsd"
)

// Default returns a fresh set of the default dissectors. Dissectors keep
// per-instance buffers, so each decoder needs its own set.
func Default() []dissect.Dissector {
	return []dissect.Dissector{
		arp.New(),
		lldp.New(),
		cdp.New(),
		snmp.New(),
		dhcp.New(),
		dhcpv6.New(),
		mdns.New(), // before dns: more specific port
		dns.New(),
		dns.NewLLMNR(),
		// sip before ssdp: a SIP NOTIFY would pass for SSDP's.
		sip.New(), // UDP and TCP, a SIP start line on any port
		// ssdp: UDP 1900, and NOTIFY/M-SEARCH by content on any port;
		// nbns: UDP 137; browser: UDP 138 and NetBEUI frames.
		ssdp.New(),
		nbns.New(),
		nbns.NewBrowser(),
		syslog.New(),   // UDP 514, a PRI first
		wsd.New(),      // WS-Discovery, UDP 3702
		tftp.New(),     // read/write requests to UDP 69
		bacnet.New(),   // BACnet/IP: BVLC 0x81 with its length, any UDP port (47808, 47809...)
		kerberos.New(), // UDP and TCP 88; KDC messages by content on any port
		dicom.New(),    // TCP, detected by content on any port
		hl7.New(),      // MLLP, detected by content on any port
		astm.New(),     // ASTM E1394 Header over E1381 frames or raw, by content on any port
		poct.New(),     // CLSI POCT1-A XML messages (a root ABC.Rnn), by content on any port
		http.New(),     // HTTP/1.x request or status line, any port
		tls.New(),      // handshake record with a Client/ServerHello, any port
		smb.New(),      // NetBIOS session + SMB1/SMB2 header, any port
		ssh.New(),      // "SSH-" identification string, any port
		rdp.New(),      // X.224 Connection Request/Confirm (TLS after it read too), 3389 or by content
		ftp.New(),      // a 220 greeting on port 21, or naming FTP on any port
		mqtt.New(),     // a CONNECT naming MQTT, any port
		modbus.New(),   // TCP 502, or whole MBAP frames by content on any port
		telnet.New(),   // port 23: the server's banner and login prompt
		smtp.New(),     // a 220 greeting naming SMTP, or on 25/587
	}
}
