package snmp

import (
	"net/netip"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

// TestOneDissectorLikeFresh dissects every matching datagram of the test
// captures, twice over, with one dissector (whose caches carry over) and
// with a fresh dissector each: the observations must be the same.
func TestOneDissectorLikeFresh(t *testing.T) {
	var msgs [][]byte
	for _, name := range []string{"SNMPv2c_get_requests.pcap", "ndpi_snmp.pcap", "snmpv3_synthetic.pcap"} {
		got := dissecttest.MatchedUDPPayloads(t, filepath.Join("testdata", name), New().MatchUDP)
		frames := make([]int, 0, len(got))
		for f := range got {
			frames = append(frames, f)
		}
		sort.Ints(frames)
		for _, f := range frames {
			msgs = append(msgs, got[f])
		}
	}
	if len(msgs) == 0 {
		t.Fatal("no payloads")
	}
	m := &dissect.Meta{
		Time:  time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
		SrcIP: netip.MustParseAddr("10.0.0.5"), DstIP: netip.MustParseAddr("10.0.0.1"),
		Transport: "udp",
	}
	one := New()
	for round := 0; round < 2; round++ {
		for i, p := range msgs {
			var want, got observe.Collector
			errWant := New().DissectUDP(m, p, &want)
			errGot := one.DissectUDP(m, p, &got)
			if (errWant == nil) != (errGot == nil) {
				t.Errorf("round %d datagram %d: error %v, fresh %v", round, i, errGot, errWant)
			}
			if diff := cmp.Diff(want.Obs, got.Obs, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Errorf("round %d datagram %d (-fresh +shared):\n%s", round, i, diff)
			}
		}
	}
}
