package dissecttest

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// FieldMap returns o's fields as a map, for table tests (a repeated key
// keeps its last value).
func FieldMap(o observe.Observation) map[string]string {
	m := map[string]string{}
	for _, f := range o.Fields {
		m[f.Key] = f.Value
	}
	return m
}

// FieldMaps is FieldMap of each observation; nil for none.
func FieldMaps(obs []observe.Observation) []map[string]string {
	var out []map[string]string
	for _, o := range obs {
		out = append(out, FieldMap(o))
	}
	return out
}

// TCPMeta returns the packet metadata of a conversation between
// 10.1.1.10:client and 10.1.1.20:server, for either direction: c2s gives the
// client's side.
func TCPMeta(client, server uint16) func(c2s bool) *dissect.Meta {
	return func(c2s bool) *dissect.Meta {
		m := &dissect.Meta{SrcIP: netip.MustParseAddr("10.1.1.10"), DstIP: netip.MustParseAddr("10.1.1.20"), SrcPort: client, DstPort: server, Transport: "tcp"}
		if !c2s {
			r := m.Reverse()
			return &r
		}
		return m
	}
}

// NoCanary fails t when any canary (a name, number or secret planted in a
// test's input) appears, case-insensitively, in the JSON of any observation.
func NoCanary(t testing.TB, obs []observe.Observation, canaries ...string) {
	t.Helper()
	for _, o := range obs {
		b, err := o.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		low := strings.ToLower(string(b))
		for _, c := range canaries {
			if strings.Contains(low, strings.ToLower(c)) {
				t.Errorf("%q reached an observation: %s", c, b)
			}
		}
	}
}

// FeedInTurns hands a stream both directions of a conversation, each cut
// at cut: the head of first, the head of second, the rest of first, the
// rest of second. first is the client's side when clientFirst, else the
// server's. It stops once the stream says done and reports whether it did.
// Fuzz targets use it to try every split of a two-sided exchange.
func FeedInTurns(s dissect.Stream, meta func(c2s bool) *dissect.Meta, clientFirst bool, first, second []byte, cut int, e observe.Emitter) bool {
	parts := [][]byte{first[:min(cut, len(first))], second[:min(cut, len(second))], first[min(cut, len(first)):], second[min(cut, len(second)):]}
	for i, p := range parts {
		c2s := (i%2 == 0) == clientFirst
		if s.Data(meta(c2s), c2s, p, e) {
			return true
		}
	}
	return false
}
