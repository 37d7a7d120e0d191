// Package rdp reads the cleartext start of a Remote Desktop connection
// (MS-RDPBCGR 2.2.1.1–2.2.1.2): the security protocols the client offers in
// its X.224 Connection Request and the one the server selects (or why it
// refused) in its Connection Confirm. A server that selects standard RDP
// security or TLS without CredSSP lets anyone reach its logon screen
// before authenticating, which is what BlueKeep-class flaws need; a server
// that answers without any negotiation is an old Windows (XP, 2003).
//
// When TLS follows (the usual case), the handshake is handed to the TLS
// dissector: the server's certificate is self-signed with the machine's
// own name, and its observations are marked tls.carrier=rdp so that rules
// can take that name as the host's. Under standard RDP security nothing is
// encrypted until after the MCS connect exchange, whose client and server
// core data are read (see mcs.go): the client's computer name, Windows
// build, keyboard layout and RDP version, and the server's RDP version.
// The client's "Cookie: mstshash=" (a user name) is never read.
package rdp

import (
	"encoding/binary"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/tls"
	"github.com/wardiomt/ward/internal/observe"
)

// Port is RDP's registered port.
const Port = 3389

// X.224 TPDU codes and RDP negotiation structure types.
const (
	tpktVersion  = 3
	x224CR       = 0xE0
	x224CC       = 0xD0
	negReq       = 0x01
	negRsp       = 0x02
	negFailure   = 0x03
	maxTPDU      = 1024 // a Connection Request or Confirm is well below this
	negBlockSize = 8
)

// Dissector reads RDP connection negotiation, and TLS after it.
type Dissector struct {
	obs observe.Observation
	tls *tls.Dissector

	names, numbers observe.Interner // client names (by their UTF-16), numbers (by their text)
	scratch        [maxName + 8]byte
}

// New returns an RDP dissector.
func New() *Dissector { return &Dissector{tls: tls.New()} }

var _ dissect.TCPDissector = (*Dissector)(nil)

// Name is "rdp".
func (*Dissector) Name() string { return "rdp" }

// MatchTCP recognises a TPKT-framed X.224 Connection Request or Confirm.
// ISO-on-TCP carries other protocols the same way (S7comm on port 102), so
// away from port 3389 the request must carry RDP's cookie or negotiation
// block.
func (*Dissector) MatchTCP(sp, dp uint16, _ bool, p []byte) bool {
	tpdu, ok := tpdu(p)
	if !ok || (tpdu[1]&0xF0 != x224CR && tpdu[1]&0xF0 != x224CC) {
		return false
	}
	if sp == Port || dp == Port {
		return true
	}
	if tpdu[1]&0xF0 == x224CC {
		_, ok := negBlock(tpdu)
		return ok
	}
	if _, ok := negBlock(tpdu); ok {
		return true
	}
	return len(tpdu) > 7+8 && string(tpdu[7:15]) == "Cookie: "
}

// tpdu returns the X.224 TPDU of one TPKT packet at the start of p: its
// length indicator byte first.
func tpdu(p []byte) ([]byte, bool) {
	if len(p) < 4+7 || p[0] != tpktVersion || p[1] != 0 {
		return nil, false
	}
	n := int(binary.BigEndian.Uint16(p[2:4]))
	if n < 4+7 || n > maxTPDU || n > len(p) {
		return nil, false
	}
	t := p[4:n]
	li := int(t[0])
	if li+1 > len(t) || li < 6 {
		return nil, false
	}
	return t[:li+1], true
}

// negBlock returns the 8-byte RDP negotiation structure that ends a
// Connection Request or Confirm, when there is one.
func negBlock(t []byte) ([]byte, bool) {
	if len(t) < 7+negBlockSize {
		return nil, false
	}
	b := t[len(t)-negBlockSize:]
	if b[0] < negReq || b[0] > negFailure || binary.LittleEndian.Uint16(b[2:4]) != negBlockSize {
		return nil, false
	}
	return b, true
}

// NewStream starts one connection.
func (d *Dissector) NewStream() dissect.Stream { return &stream{d: d} }

type side struct {
	buf  []byte
	done bool // this side's negotiation was read (or cannot be)
}

type stream struct {
	d     *Dissector
	dir   [2]side // index 0: client to server
	inner dissect.Stream
	fed   [2][]byte // bytes after the negotiation that arrived before TLS was known to follow
	tls   bool      // the server selected a TLS-based protocol
	std   bool      // the server selected standard RDP security: the MCS connect PDUs follow in cleartext
	mcs   [2]side   // each side's MCS connect PDU, under standard security
	off   bool      // nothing follows that Ward reads
}

// Data reads each side's negotiation PDU, then feeds TLS.
func (s *stream) Data(m *dissect.Meta, clientToServer bool, data []byte, e observe.Emitter) bool {
	i := 1
	if clientToServer {
		i = 0
	}
	sd := &s.dir[i]
	if !sd.done {
		data = s.negotiation(m, sd, clientToServer, data, e)
	}
	if len(data) > 0 && s.std && !s.mcs[i].done {
		data = s.connect(m, i, data, e)
	}
	if len(data) > 0 && s.inner != nil {
		if s.inner.Data(m, clientToServer, data, carrier{e}) {
			s.inner, s.off = nil, true
		}
	} else if len(data) > 0 && !s.dir[1].done && clientToServer {
		// The client may start TLS before the confirm is seen (it was
		// lost or reordered): keep what it sent, bounded.
		if len(s.fed[0])+len(data) <= maxTPDU*16 {
			s.fed[0] = append(s.fed[0], data...)
		}
	}
	if s.dir[0].done && s.dir[1].done && s.inner == nil && !s.tls && (!s.std || s.mcs[0].done && s.mcs[1].done) {
		s.off = true
	}
	return s.off
}

// negotiation buffers one side's first TPKT packet and reads it; it returns
// the bytes after it.
func (s *stream) negotiation(m *dissect.Meta, sd *side, clientToServer bool, data []byte, e observe.Emitter) []byte {
	// prev bytes of the packet arrived before data.
	p, prev := data, len(sd.buf)
	if prev > 0 || len(data) < 4 {
		sd.buf = append(sd.buf, data[:min(len(data), maxTPDU-prev)]...)
		p = sd.buf
	}
	if len(p) < 4 {
		return nil
	}
	n := int(binary.BigEndian.Uint16(p[2:4]))
	if p[0] != tpktVersion || n < 4+7 || n > maxTPDU {
		sd.done, sd.buf = true, nil
		if !clientToServer {
			s.off = true // the server does not speak RDP: nothing to read
		}
		return nil
	}
	if len(p) < n {
		if prev == 0 && len(sd.buf) == 0 {
			sd.buf = append(sd.buf, data...)
		}
		return nil
	}
	var rest []byte
	if used := n - prev; used < len(data) {
		rest = data[used:]
	}
	t, ok := tpdu(p[:n])
	sd.done = true
	sd.buf = nil
	if !ok {
		return rest
	}
	o := &s.d.obs
	m.Fill(o, "rdp")
	block, hasBlock := negBlock(t)
	switch {
	case t[1]&0xF0 == x224CR && clientToServer:
		o.Add("rdp.message", "connection_request")
		if hasBlock && block[0] == negReq {
			o.Add("rdp.requested_protocols", protocolNames(binary.LittleEndian.Uint32(block[4:8])))
		} else {
			o.Add("rdp.requested_protocols", "rdp") // no negotiation block: standard security only
		}
	case t[1]&0xF0 == x224CC && !clientToServer:
		o.Add("rdp.message", "connection_confirm")
		switch {
		case hasBlock && block[0] == negRsp:
			sel := binary.LittleEndian.Uint32(block[4:8])
			o.Add("rdp.selected_protocol", protocolNames(sel))
			if sel != 0 {
				s.tls = true
			} else {
				s.std = true
			}
		case hasBlock && block[0] == negFailure:
			o.Add("rdp.failure", failureName(binary.LittleEndian.Uint32(block[4:8])))
		default:
			// RDP 5.x servers (Windows XP, Server 2003) do not negotiate.
			o.Add("rdp.selected_protocol", "rdp")
			o.Add("rdp.negotiation", "none")
			s.std = true
		}
	default:
		return rest
	}
	s.d.emit(o, e)
	if s.tls && s.inner == nil {
		s.inner = s.d.tls.NewStream()
		if len(s.fed[0]) > 0 {
			// The client's early TLS bytes go first, from its side.
			cm := m.Reverse()
			if s.inner.Data(&cm, true, s.fed[0], carrier{e}) {
				s.inner, s.off = nil, true
			}
			s.fed[0] = nil
		}
	}
	if s.std && len(s.fed[0]) > 0 && !s.mcs[0].done {
		// The client's Connect Initial came before the confirm was seen.
		cm := m.Reverse()
		fed := s.fed[0]
		s.fed[0] = nil
		s.connect(&cm, 0, fed, e)
	}
	return rest
}

func (d *Dissector) emit(o *observe.Observation, e observe.Emitter) {
	if len(o.Fields) > 0 {
		e.Emit(o)
	}
}

// End passes the end of the conversation to the TLS stream.
func (s *stream) End(m *dissect.Meta, e observe.Emitter) {
	if en, ok := s.inner.(dissect.Ender); ok && s.inner != nil {
		en.End(m, carrier{e})
	}
	s.inner = nil
}

// Gap: framing is lost in that direction; TLS is told too.
func (s *stream) Gap(clientToServer bool) {
	i := 1
	if clientToServer {
		i = 0
	}
	s.dir[i].done = true
	s.mcs[i].done, s.mcs[i].buf = true, nil
	if s.inner != nil {
		s.inner.Gap(clientToServer)
	}
}

// carrier marks the TLS observations of an RDP connection.
type carrier struct{ e observe.Emitter }

func (c carrier) Emit(o *observe.Observation) {
	o.Add("tls.carrier", "rdp")
	c.e.Emit(o)
}

// Protocol flags of MS-RDPBCGR 2.2.1.1.1.
var protocols = []struct {
	bit  uint32
	name string
}{
	{1, "ssl"}, {2, "hybrid"}, {4, "rdstls"}, {8, "hybrid_ex"}, {0x10, "rdsaad"},
}

// protocolNames names a protocol set: "rdp" for none (standard security),
// else the flags, comma-separated, in bit order.
func protocolNames(v uint32) string {
	if v == 0 {
		return "rdp"
	}
	out := ""
	for _, p := range protocols {
		if v&p.bit != 0 {
			if out != "" {
				out += ","
			}
			out += p.name
		}
	}
	if rest := v &^ 0x1f; rest != 0 || out == "" {
		if out != "" {
			out += ","
		}
		out += "other"
	}
	return out
}

var failures = map[uint32]string{
	1: "ssl_required_by_server", 2: "ssl_not_allowed_by_server", 3: "ssl_cert_not_on_server",
	4: "inconsistent_flags", 5: "hybrid_required_by_server", 6: "ssl_with_user_auth_required_by_server",
}

func failureName(v uint32) string {
	if n, ok := failures[v]; ok {
		return n
	}
	return "other"
}
