package dissecttest

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// freshRounds is how often the like-fresh checks go over their inputs: the
// second round hits every cache the first one filled.
const freshRounds = 2

// AssertUDPLikeFresh dissects every datagram a dissector from newD matches
// in the captures at paths (OrderedUDPPayloads), twice over, with one
// dissector (whose caches carry over) and with a fresh dissector from newD
// each: the errors and observations must be the same. It fails when
// nothing matches.
func AssertUDPLikeFresh(t *testing.T, newD func() dissect.UDPDissector, m *dissect.Meta, paths ...string) {
	t.Helper()
	msgs := OrderedUDPPayloads(t, newD().MatchUDP, paths...)
	if len(msgs) == 0 {
		t.Fatal("no payloads")
	}
	one := newD()
	for round := range freshRounds {
		for i, p := range msgs {
			var want, got observe.Collector
			errWant := newD().DissectUDP(m, p, &want)
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

// Delivery is one Stream.Data call as the decoder made it: direction and a
// copy of the bytes.
type Delivery struct {
	C2S  bool
	Data []byte
}

// Conversation is the deliveries to one stream, in order.
type Conversation []Delivery

// RecordTCP runs the captures at paths through the decoder with only d and
// returns, for each stream d was asked for, what the decoder delivered to
// it (without the final flush, as RunPcap).
func RecordTCP(tb testing.TB, d dissect.TCPDissector, paths ...string) []Conversation {
	tb.Helper()
	var convs []Conversation
	for _, path := range paths {
		RunPcap(tb, path, recordingTCP{d, &convs})
	}
	return convs
}

// recordingTCP is d, recording what the decoder delivers to each stream.
type recordingTCP struct {
	d     dissect.TCPDissector
	convs *[]Conversation
}

func (r recordingTCP) Name() string { return r.d.Name() }
func (r recordingTCP) MatchTCP(sp, dp uint16, c2s bool, p []byte) bool {
	return r.d.MatchTCP(sp, dp, c2s, p)
}
func (r recordingTCP) NewStream() dissect.Stream {
	*r.convs = append(*r.convs, nil)
	return &recordingStream{all: r.convs, i: len(*r.convs) - 1, s: r.d.NewStream()}
}

type recordingStream struct {
	all *[]Conversation
	i   int
	s   dissect.Stream
}

func (r *recordingStream) Data(m *dissect.Meta, c2s bool, data []byte, e observe.Emitter) bool {
	(*r.all)[r.i] = append((*r.all)[r.i], Delivery{c2s, append([]byte(nil), data...)})
	return r.s.Data(m, c2s, data, e)
}
func (r *recordingStream) Gap(c2s bool) { r.s.Gap(c2s) }

// ReplayTCP delivers conv to a new stream of d, with meta(c2s) for each
// delivery, until the stream reports done; it returns the observations and
// whether it did.
func ReplayTCP(d dissect.TCPDissector, meta func(c2s bool) *dissect.Meta, conv Conversation) ([]observe.Observation, bool) {
	s := d.NewStream()
	var c observe.Collector
	for _, dl := range conv {
		if s.Data(meta(dl.C2S), dl.C2S, dl.Data, &c) {
			return c.Obs, true
		}
	}
	return c.Obs, false
}

// AssertTCPLikeFresh replays the conversations of the captures at paths
// (RecordTCP with a dissector from newD), rounds times over, through one
// dissector, whose caches and reused streams carry over from conversation
// to conversation, and through a fresh dissector from newD each: the
// observations must be the same. It fails when there is no conversation,
// and returns how many replays the shared dissector's stream reported done
// and how many conversations there are, so callers can check that stream
// reuse was exercised.
func AssertTCPLikeFresh(t *testing.T, newD func() dissect.TCPDissector, meta func(c2s bool) *dissect.Meta, rounds int, paths ...string) (finished, conversations int) {
	t.Helper()
	convs := RecordTCP(t, newD(), paths...)
	if len(convs) == 0 {
		t.Fatal("no conversations")
	}
	one := newD()
	for round := range rounds {
		for i, conv := range convs {
			want, _ := ReplayTCP(newD(), meta, conv)
			got, done := ReplayTCP(one, meta, conv)
			if done {
				finished++
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Errorf("round %d conversation %d (-fresh +shared):\n%s", round, i, diff)
			}
		}
	}
	return finished, len(convs)
}

// BenchTCP replays the conversations of the captures at paths, as the
// decoder delivered them to a dissector from newD (RecordTCP), into new
// streams of one other dissector from newD per iteration. It fails when
// there is no conversation.
func BenchTCP(b *testing.B, newD func() dissect.TCPDissector, meta func(c2s bool) *dissect.Meta, paths ...string) {
	b.Helper()
	convs := RecordTCP(b, newD(), paths...)
	if len(convs) == 0 {
		b.Fatal("no conversations")
	}
	BenchConversations(b, newD(), meta, convs)
}

// BenchConversations replays convs into new streams of d per iteration.
func BenchConversations(b *testing.B, d dissect.TCPDissector, meta func(c2s bool) *dissect.Meta, convs []Conversation) {
	b.Helper()
	// Both directions' metadata up front: the loop measures the dissector.
	mc, ms := meta(true), meta(false)
	e := observe.EmitterFunc(func(*observe.Observation) {})
	b.ReportAllocs()
	for b.Loop() {
		for _, conv := range convs {
			s := d.NewStream()
			for _, dl := range conv {
				m := ms
				if dl.C2S {
					m = mc
				}
				if s.Data(m, dl.C2S, dl.Data, e) {
					break
				}
			}
		}
	}
	b.ReportMetric(float64(len(convs)), "streams/op")
}
