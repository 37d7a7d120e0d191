package simulate

import (
	"encoding/hex"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func TestEncoders(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"oid sysDescr", berOID("1.3.6.1.2.1.1.1.0"), "06082b06010201010100"},
		{"oid enterprise multi-byte arc", berOID("1.3.6.1.4.1.311"), "06072b0601040182 37"},
		{"int small", berInt(1), "020101"},
		{"int needs sign byte", berInt(200), "020200c8"},
		{"timeticks", berUint(0x43, 1200), "430204b0"},
		{"netbios name", nbEncode("WS-1", 0x00), "20 46484644434e4442 4341434143414341434143414341434143414341 4341 4141 00"},
		{"ae title padding", ae16("PACS"), "5041435320202020202020202020202020"[:32]},
	}
	for _, tc := range tests {
		want, err := hex.DecodeString(stripSpaces(tc.want))
		if err != nil {
			t.Fatalf("%s: bad hex in test: %v", tc.name, err)
		}
		if string(tc.got) != string(want) {
			t.Errorf("%s: got %x, want %x", tc.name, tc.got, want)
		}
	}
}

func stripSpaces(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

func TestEUI64(t *testing.T) {
	m := mac{0x00, 0x09, 0xfb, 0x1a, 0x2b, 0x3c}
	if got := m.eui64(); got != "0009FBFFFE1A2B3C" {
		t.Errorf("eui64 = %s", got)
	}
}

// TestTCPChecksums builds segments with and without options and lets
// gopacket verify the transport checksum.
func TestTCPChecksums(t *testing.T) {
	for _, prof := range []string{"windows", "linux", "embedded", "qnx"} {
		p := osProfiles[prof]
		h := ipHdr{src: ipv4(10, 0, 4, 10), dst: ipv4(10, 0, 8, 11), ttl: p.ttl, id: 7, df: p.df}
		for _, payload := range [][]byte{nil, []byte("odd"), []byte("even")} {
			f := tcpFrame(mac{2}, mac{4}, h, tcpSeg{sport: 50000, dport: 104, seq: 1, flags: tcpSYN, window: p.window, opts: p.synOptions(99)}, payload)
			pkt := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
			tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
			if !ok {
				t.Fatalf("%s: no TCP layer", prof)
			}
			ip := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
			if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
				t.Fatal(err)
			}
			err, res := tcp.VerifyChecksum()
			if err != nil || !res.Valid {
				t.Errorf("%s payload %q: checksum invalid (%+v, %v)", prof, payload, res, err)
			}
			if prof != "embedded" && len(tcp.Options) < 3 {
				t.Errorf("%s: SYN options %v", prof, tcp.Options)
			}
		}
	}
}
