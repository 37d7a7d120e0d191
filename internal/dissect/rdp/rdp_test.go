package rdp

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

var meta = dissecttest.TCPMeta(50000, 3389)

// tpkt wraps an X.224 TPDU (code, then the variable part) in TPKT.
func tpkt(code byte, variable []byte) []byte {
	t := []byte{byte(6 + len(variable)), code, 0, 0, 0x12, 0x34, 0}
	t = append(t, variable...)
	p := []byte{3, 0, 0, 0}
	binary.BigEndian.PutUint16(p[2:], uint16(4+len(t)))
	return append(p, t...)
}

func block(typ byte, v uint32) []byte {
	b := []byte{typ, 0, 8, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(b[4:], v)
	return b
}

// The shared capture is a Windows 10 RDP session (ndpi/rdp.pcap): the
// client offers TLS, CredSSP and CredSSP with early authorisation; the
// server selects the last (tshark: requestedProtocols 0x0000000b,
// selectedProtocol 0x00000008) and presents a certificate for its own name.
func TestSharedCapture(t *testing.T) {
	path := testutil.SharedData(t, "pcaps/ndpi/rdp.pcap")
	var obs []observe.Observation
	for _, f := range dissecttest.RunCarrying(t, path, New(), "tls") {
		obs = append(obs, f.Obs)
	}
	testutil.Golden(t, "ndpi_rdp", obs)
	got := dissecttest.FieldMaps(obs)
	if len(got) < 3 {
		t.Fatalf("%d observations: %v", len(got), got)
	}
	if diff := cmp.Diff([]map[string]string{
		{"rdp.message": "connection_request", "rdp.requested_protocols": "ssl,hybrid,hybrid_ex"},
		{"rdp.message": "connection_confirm", "rdp.selected_protocol": "hybrid_ex"},
	}, got[:2]); diff != "" {
		t.Errorf("negotiation (-want +got):\n%s", diff)
	}
	var subject string
	for _, o := range obs[2:] {
		if c, _ := o.Get("tls.carrier"); o.Protocol != "tls" || c != "rdp" {
			t.Errorf("after negotiation: %s %v", o.Protocol, o.Fields)
		}
		if r, _ := o.Get("tls.cert_role"); r == "server" {
			subject, _ = o.Get("tls.cert_subject")
		}
	}
	if subject != "CN=OFFICE-WIN10-VM" {
		t.Errorf("server certificate subject %q", subject)
	}
}

func TestNegotiation(t *testing.T) {
	cookie := []byte("Cookie: mstshash=canary.nurse\r\n")
	tests := []struct {
		name     string
		c2s, s2c []byte
		want     []map[string]string
		done     bool
	}{
		{
			name: "Windows XP: no negotiation, standard RDP security",
			c2s:  tpkt(x224CR, cookie),
			s2c:  tpkt(x224CC, nil),
			want: []map[string]string{
				{"rdp.message": "connection_request", "rdp.requested_protocols": "rdp"},
				{"rdp.message": "connection_confirm", "rdp.selected_protocol": "rdp", "rdp.negotiation": "none"},
			},
			done: false, // standard security: the MCS connect exchange follows in cleartext (mcs_test.go)
		},
		{
			name: "TLS without CredSSP",
			c2s:  tpkt(x224CR, append(append([]byte{}, cookie...), block(negReq, 3)...)),
			s2c:  tpkt(x224CC, block(negRsp, 1)),
			want: []map[string]string{
				{"rdp.message": "connection_request", "rdp.requested_protocols": "ssl,hybrid"},
				{"rdp.message": "connection_confirm", "rdp.selected_protocol": "ssl"},
			},
		},
		{
			name: "server refuses: CredSSP required",
			c2s:  tpkt(x224CR, block(negReq, 1)),
			s2c:  tpkt(x224CC, block(negFailure, 5)),
			want: []map[string]string{
				{"rdp.message": "connection_request", "rdp.requested_protocols": "ssl"},
				{"rdp.message": "connection_confirm", "rdp.failure": "hybrid_required_by_server"},
			},
			done: true,
		},
		{
			name: "not TPKT",
			c2s:  []byte("GET / HTTP/1.1\r\n\r\n"),
			s2c:  []byte("HTTP/1.1 400 Bad\r\n\r\n"),
			done: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, cut := range []int{len(tc.c2s), 3, 9} {
				s := New().NewStream()
				var c observe.Collector
				done := s.Data(meta(true), true, tc.c2s[:min(cut, len(tc.c2s))], &c)
				if cut < len(tc.c2s) && !done {
					done = s.Data(meta(true), true, tc.c2s[cut:], &c)
				}
				if !done {
					done = s.Data(meta(false), false, tc.s2c, &c)
				}
				if done != tc.done {
					t.Fatalf("cut %d: done = %v, want %v", cut, done, tc.done)
				}
				if diff := cmp.Diff(tc.want, dissecttest.FieldMaps(c.Obs)); diff != "" {
					t.Errorf("cut %d: fields (-want +got):\n%s", cut, diff)
				}
				dissecttest.NoCanary(t, c.Obs, "canary")
			}
		})
	}
}

func TestMatchTCP(t *testing.T) {
	s7 := tpkt(x224CR, []byte{0xc1, 2, 1, 0, 0xc2, 2, 1, 2, 0xc0, 1, 0x0a}) // S7comm's COTP request: TSAPs
	for _, tc := range []struct {
		name   string
		p      []byte
		sp, dp uint16
		want   bool
	}{
		{"request on 3389", tpkt(x224CR, nil), 50000, 3389, true},
		{"request with negotiation on another port", tpkt(x224CR, block(negReq, 3)), 50000, 13389, true},
		{"request with a cookie on another port", tpkt(x224CR, []byte("Cookie: mstshash=x\r\n")), 50000, 13389, true},
		{"S7comm on 102", s7, 50000, 102, false},
		{"TLS", []byte{0x16, 3, 1, 0, 5, 1, 0, 0, 1, 0, 0, 0}, 50000, 3389, false},
	} {
		if got := New().MatchTCP(tc.sp, tc.dp, true, tc.p); got != tc.want {
			t.Errorf("%s: MatchTCP = %v", tc.name, got)
		}
	}
}
