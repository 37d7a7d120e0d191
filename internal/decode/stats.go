package decode

import (
	"sort"

	"github.com/wardiomt/ward/internal/observe"
)

// Stats counts what the decoder saw. Counters are plain fields: a Decoder
// is used by one goroutine.
type Stats struct {
	Packets        uint64
	Bytes          uint64
	Truncated      uint64 // frames cut by the capture's snap length: their application fields may be missing
	DecodeErrors   uint64 // frames L2–L4 could not decode
	UnknownLink    uint64
	FlowsCreated   uint64
	FlowsEvicted   uint64 // flows dropped because the table was full
	FlowsExpired   uint64
	FragsDropped   uint64
	Decapsulated   uint64 // frames unwrapped from ERSPAN, GRE, VXLAN, Geneve or PPPoE
	BytesInspected uint64 // TCP payload bytes handed to dissectors
	BytesSkipped   uint64 // TCP payload bytes of flows whose inspection had stopped
	Protocols      map[string]*ProtoStats
}

// ProtoStats counts one dissector's work.
type ProtoStats struct {
	Calls        uint64
	Observations uint64
	Errors       uint64
	Panics       uint64
}

// Add adds o's counters to s (the decoders of parallel workers).
func (s *Stats) Add(o *Stats) {
	s.Packets += o.Packets
	s.Bytes += o.Bytes
	s.Truncated += o.Truncated
	s.DecodeErrors += o.DecodeErrors
	s.UnknownLink += o.UnknownLink
	s.FlowsCreated += o.FlowsCreated
	s.FlowsEvicted += o.FlowsEvicted
	s.FlowsExpired += o.FlowsExpired
	s.FragsDropped += o.FragsDropped
	s.Decapsulated += o.Decapsulated
	s.BytesInspected += o.BytesInspected
	s.BytesSkipped += o.BytesSkipped
	for name, p := range o.Protocols {
		if s.Protocols == nil {
			s.Protocols = map[string]*ProtoStats{}
		}
		q := s.Protocols[name]
		if q == nil {
			q = &ProtoStats{}
			s.Protocols[name] = q
		}
		q.Calls += p.Calls
		q.Observations += p.Observations
		q.Errors += p.Errors
		q.Panics += p.Panics
	}
}

// ProtocolNames lists the dissectors with counters, sorted.
func (s *Stats) ProtocolNames() []string {
	names := make([]string, 0, len(s.Protocols))
	for n := range s.Protocols {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// countingEmitter counts observations per dissector on their way out.
type countingEmitter struct {
	ps   *ProtoStats
	next observe.Emitter
}

func (c *countingEmitter) Emit(o *observe.Observation) {
	c.ps.Observations++
	c.next.Emit(o)
}
