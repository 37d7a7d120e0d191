package testutil

import (
	"net"
	"net/netip"
	"time"

	"github.com/wardiomt/ward/internal/observe"
)

// DHCP is a DHCP request from mac asking for ip under hostname host, as
// the sensor reports it: enough for the inventory to file a device.
func DHCP(mac, ip, host string, at time.Time) observe.Observation {
	m, err := net.ParseMAC(mac)
	if err != nil {
		panic(err)
	}
	o := observe.Observation{Time: at, SrcMAC: m, SrcIP: netip.MustParseAddr(ip), DstIP: netip.MustParseAddr("10.0.0.1"),
		SrcPort: 68, DstPort: 67, Transport: "udp", Protocol: "dhcp"}
	o.Add("dhcp.hostname", host)
	o.Add("dhcp.requested_ip", ip)
	return o
}
