package dhcpv6

import (
	"net"
	"testing"
)

func TestAppendMACMatchesString(t *testing.T) {
	for _, mac := range []net.HardwareAddr{{}, {0, 0x1d, 0x60, 0xb3, 0x0a, 0xdd}, {0xff, 0xfe, 0x10, 0x01, 0xab, 0xcd, 0x01, 0x02}} {
		if got, want := string(appendMAC(nil, mac)), mac.String(); got != want {
			t.Errorf("appendMAC = %q, want %q", got, want)
		}
	}
}
