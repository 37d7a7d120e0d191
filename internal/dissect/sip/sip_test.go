package sip

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// captures were made by testdata/capture-sip.sh: SIPp as a desk phone and
// a PBX on loopback, over UDP and TCP; the display names in From and To
// are canaries.
var captures = []string{"phone_pbx_udp", "phone_pbx_tcp"}

var meta = dissecttest.TCPMeta(5062, 5060)

func TestGolden(t *testing.T) {
	for _, name := range captures {
		t.Run(name, func(t *testing.T) {
			var obs []observe.Observation
			for _, f := range dissecttest.RunChecked(t, filepath.Join("testdata", name+".pcap"), New()) {
				obs = append(obs, f.Obs)
			}
			if len(obs) != 8 {
				t.Fatalf("%d observations, want the 8 messages", len(obs))
			}
			testutil.Golden(t, name, obs)
			dissecttest.NoCanary(t, obs, "canary", "1001")
		})
	}
}

// TestOracle: method, status, User-Agent and Server agree with Wireshark's
// on every message, frame by frame.
func TestOracle(t *testing.T) {
	for _, name := range captures {
		t.Run(name, func(t *testing.T) {
			oracle := dissecttest.ReadOracle(t, filepath.Join("testdata", name+".oracle.tsv"))
			got := map[int]observe.Observation{}
			for _, f := range dissecttest.RunChecked(t, filepath.Join("testdata", name+".pcap"), New()) {
				got[f.Frame] = f.Obs
			}
			if len(got) != len(oracle) {
				t.Errorf("%d messages, tshark %d", len(got), len(oracle))
			}
			for frame, row := range oracle {
				o, ok := got[frame]
				if !ok {
					t.Errorf("frame %d: no observation", frame)
					continue
				}
				for ours, theirs := range map[string]string{"sip.method": "sip.Method", "sip.status": "sip.Status-Code", "sip.user_agent": "sip.User-Agent", "sip.server": "sip.Server"} {
					v, _ := o.Get(ours)
					if w := dissecttest.First(row[theirs]); v != w {
						t.Errorf("frame %d %s: ours %q, tshark %q", frame, ours, v, w)
					}
				}
			}
		})
	}
}

func TestDissectUDP(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want []map[string]string
		err  bool
	}{
		{
			name: "options answered by a phone names its firmware",
			msg:  "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\nCSeq: 7 OPTIONS\r\nServer: PolycomVVX-VVX_450-UA/6.3.1.8427\r\nContent-Length: 0\r\n\r\n",
			want: []map[string]string{{"sip.status": "200", "sip.cseq_method": "OPTIONS", "sip.server": "PolycomVVX-VVX_450-UA/6.3.1.8427"}},
		},
		{
			name: "lowercase names, LF only",
			msg:  "REGISTER sip:pbx SIP/2.0\nvia: SIP/2.0/UDP 10.0.0.9\nuser-agent:  Grandstream GXP2170 1.0.11.3 \n\n",
			want: []map[string]string{{"sip.method": "REGISTER", "sip.user_agent": "Grandstream GXP2170 1.0.11.3"}},
		},
		{
			name: "two hops in one Via header: relayed by a proxy",
			msg:  "INVITE sip:2001@pbx SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2;branch=a, SIP/2.0/UDP 10.0.0.9;branch=b\r\nUser-Agent: Ascom i63\r\n\r\n",
			want: []map[string]string{{"sip.method": "INVITE", "sip.user_agent": "Ascom i63", "sip.forwarded": "1"}},
		},
		{
			name: "a response with two Vias is not flagged: responses retrace the path",
			msg:  "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a\r\nVia: SIP/2.0/UDP b\r\nCSeq: 1 INVITE\r\nUser-Agent: Yealink SIP-T46S 66.86.0.15\r\n\r\n",
			want: []map[string]string{{"sip.status": "180", "sip.cseq_method": "INVITE", "sip.user_agent": "Yealink SIP-T46S 66.86.0.15"}},
		},
		{
			name: "no User-Agent: the method alone",
			msg:  "OPTIONS sip:10.0.0.5 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1\r\n\r\n",
			want: []map[string]string{{"sip.method": "OPTIONS"}},
		},
		{name: "not SIP", msg: "GET / HTTP/1.1\r\n\r\n", err: true},
		{name: "unknown method", msg: "FROB sip:x SIP/2.0\r\n\r\n", err: true},
		{name: "empty", msg: "", err: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c observe.Collector
			m := dissecttest.UDPMeta()
			err := New().DissectUDP(m, []byte(tc.msg), &c)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v", err)
			}
			if diff := cmp.Diff(tc.want, dissecttest.FieldMaps(c.Obs)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStreamFraming: a message split anywhere, a body split from its
// headers, CRLF keep-alives and two messages in one segment all frame as
// they would whole; reading stops after maxTCPMessages each way.
func TestStreamFraming(t *testing.T) {
	msg := func(ua string) string {
		body := "v=0\r\ns=-\r\n"
		return "INVITE sip:2001@pbx SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.2\r\nUser-Agent: " + ua + "\r\nl: 10\r\n\r\n" + body
	}
	stream := msg("Phone/1") + "\r\n\r\n" + msg("Phone/2") + msg("Phone/3")
	for cut := 1; cut < len(stream); cut += 7 {
		s := New().NewStream()
		var c observe.Collector
		for _, part := range []string{stream[:cut], stream[cut:]} {
			if s.Data(meta(true), true, []byte(part), &c) {
				t.Fatalf("cut %d: done with one side silent", cut)
			}
		}
		var uas []string
		for _, f := range dissecttest.FieldMaps(c.Obs) {
			uas = append(uas, f["sip.user_agent"])
		}
		if diff := cmp.Diff([]string{"Phone/1", "Phone/2", "Phone/3"}, uas); diff != "" {
			t.Fatalf("cut %d (-want +got):\n%s", cut, diff)
		}
	}
	s := New().NewStream()
	var c observe.Collector
	s.Data(meta(true), true, []byte(strings.Repeat(msg("Phone/1"), maxTCPMessages+2)), &c)
	if len(c.Obs) != maxTCPMessages {
		t.Errorf("%d observations from one direction, want %d", len(c.Obs), maxTCPMessages)
	}
	if !s.Data(meta(false), false, []byte("garbage\r\n"), &c) {
		t.Error("not done once both directions are")
	}
}

func TestMatch(t *testing.T) {
	for p, want := range map[string]bool{
		"REGISTER sip:pbx.example SIP/2.0\r\n":   true,
		"INVITE tel:+15551234 SIP/2.0\r\n":       true,
		"SIP/2.0 401 Unauthorized\r\n":           true,
		"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255": false,
		"OPTIONS / HTTP/1.1\r\n":                 false,
		"SIP/2.0 OK\r\n":                         false,
	} {
		if got := New().MatchUDP(5060, 5060, []byte(p)); got != want {
			t.Errorf("MatchUDP(%q) = %v", p, got)
		}
	}
}
