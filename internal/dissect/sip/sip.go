// Package sip reads SIP (RFC 3261) over UDP and TCP: the request method or
// response status, and the headers that name the sender's software:
// User-Agent (IP phones, nurse-call handsets, intercoms, softphones, which
// name model and firmware there) and Server (PBXs, gateways, and phones
// answering). Addresses of record, display names and message bodies (SDP)
// are never read into strings: they name people, not devices.
//
// A request that crossed a proxy carries more than one Via header and the
// originating phone's User-Agent; such requests are flagged sip.forwarded
// so that the proxy is not taken for a phone.
package sip

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Port is SIP's registered port (UDP and TCP); 5061 is SIP over TLS, which
// the TLS dissector sees.
const Port = 5060

const (
	maxText    = 256
	maxHeaders = 96
	maxHeader  = 16 << 10 // a header section larger than this is not read
)

var (
	errStart = fmt.Errorf("sip start line: %w", dissect.ErrMalformed)
	errEmpty = fmt.Errorf("sip message: %w", dissect.ErrTruncated)
)

// methods are RFC 3261's and its extensions' request methods.
var methods = []string{"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "SUBSCRIBE", "NOTIFY", "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE"}

var sipVersion = []byte("SIP/2.0")

// Dissector reads SIP messages.
type Dissector struct {
	obs   observe.Observation
	texts observe.Interner
}

// New returns a SIP dissector.
func New() *Dissector { return &Dissector{} }

var (
	_ dissect.UDPDissector = (*Dissector)(nil)
	_ dissect.TCPDissector = (*Dissector)(nil)
)

// Name is "sip".
func (*Dissector) Name() string { return "sip" }

// MatchUDP accepts a SIP start line on any port: phones and PBXs are often
// configured on other ports than 5060.
func (*Dissector) MatchUDP(_, _ uint16, p []byte) bool { return startLine(p) }

// MatchTCP is MatchUDP for the first bytes of a TCP conversation.
func (*Dissector) MatchTCP(_, _ uint16, _ bool, p []byte) bool { return startLine(p) }

// startLine reports whether p starts with "SIP/2.0 NNN " or "METHOD sip:"
// (or sips:, tel:) ... "SIP/2.0".
func startLine(p []byte) bool {
	// Every method and "SIP/2.0" start with a capital: RTP media and other
	// binary datagrams are turned away before any search.
	if len(p) < 12 || p[0] < 'A' || p[0] > 'Z' {
		return false
	}
	line, _, _ := dissect.CutLine(p[:min(len(p), 512)])
	if bytes.HasPrefix(line, sipVersion) {
		return len(line) >= 12 && line[7] == ' ' && dissect.Digits(line[8:11])
	}
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 || !isMethod(line[:sp]) {
		return false
	}
	return bytes.HasSuffix(line, sipVersion)
}

func isMethod(b []byte) bool {
	for _, m := range methods {
		if string(b) == m {
			return true
		}
	}
	return false
}

// DissectUDP emits one observation per datagram.
func (d *Dissector) DissectUDP(m *dissect.Meta, p []byte, e observe.Emitter) error {
	_, err := d.message(m, p, e)
	return err
}

// header values Ward keeps, and what it counts.
type parsed struct {
	method, status []byte
	userAgent      []byte
	server         []byte
	cseqMethod     []byte
	vias           int
	contentLength  int // -1: absent
	headerLen      int // bytes up to and including the empty line; 0: incomplete
}

// parse reads a message's start line and headers. It reports the header
// section's length (0 when the empty line has not arrived).
func parse(p []byte, out *parsed) error {
	*out = parsed{contentLength: -1}
	line, rest, _ := dissect.CutLine(p)
	if len(line) == 0 {
		return errEmpty
	}
	switch {
	case bytes.HasPrefix(line, sipVersion):
		if len(line) < 11 || line[7] != ' ' || !dissect.Digits(line[8:11]) {
			return errStart
		}
		out.status = line[8:11]
	default:
		sp := bytes.IndexByte(line, ' ')
		if sp <= 0 || !isMethod(line[:sp]) || !bytes.HasSuffix(line, sipVersion) {
			return errStart
		}
		out.method = line[:sp]
	}
	for i := 0; i < maxHeaders; i++ {
		if len(rest) == 0 {
			return nil // the header section is incomplete
		}
		var ended bool
		line, rest, ended = dissect.CutLine(rest)
		if !ended {
			return nil
		}
		if len(line) == 0 {
			out.headerLen = len(p) - len(rest)
			return nil
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		name, val := bytes.TrimSpace(line[:colon]), bytes.TrimSpace(line[colon+1:])
		switch {
		case bytes.EqualFold(name, []byte("User-Agent")):
			if out.userAgent == nil {
				out.userAgent = val
			}
		case bytes.EqualFold(name, []byte("Server")):
			if out.server == nil {
				out.server = val
			}
		case bytes.EqualFold(name, []byte("Via")) || string(name) == "v":
			// One header may list several hops, comma-separated.
			out.vias += 1 + bytes.Count(val, []byte{','})
		case bytes.EqualFold(name, []byte("CSeq")):
			if i := bytes.LastIndexAny(val, " \t"); i > 0 {
				out.cseqMethod = val[i+1:]
			}
		case bytes.EqualFold(name, []byte("Content-Length")) || string(name) == "l":
			if n, err := strconv.Atoi(string(val)); err == nil && n >= 0 {
				out.contentLength = n
			}
		}
	}
	return nil
}

// message parses one message at the start of p and emits it when its
// header section is complete. It returns the message's length (headers and
// body, as far as Content-Length says), or 0 when more bytes are needed.
func (d *Dissector) message(m *dissect.Meta, p []byte, e observe.Emitter) (int, error) {
	if m.Transport == "tcp" && bytes.IndexByte(p, '\n') < 0 {
		return 0, nil // the start line continues in the next segment
	}
	var h parsed
	if err := parse(p, &h); err != nil {
		return 0, err
	}
	if h.headerLen == 0 && m.Transport == "tcp" {
		return 0, nil
	}
	o := &d.obs
	m.Fill(o, "sip")
	if h.method != nil {
		o.Add("sip.method", d.text(h.method))
	} else {
		o.Add("sip.status", d.text(h.status))
		o.Add("sip.cseq_method", d.text(h.cseqMethod))
	}
	o.Add("sip.user_agent", d.text(h.userAgent))
	o.Add("sip.server", d.text(h.server))
	if h.method != nil && h.vias > 1 {
		o.Add("sip.forwarded", "1")
	}
	e.Emit(o)
	if h.headerLen == 0 {
		return len(p), nil
	}
	return h.headerLen + max(h.contentLength, 0), nil
}

func (d *Dissector) text(v []byte) string { return dissect.Text(&d.texts, v, maxText) }

// maxTCPMessages is how many messages of each direction of a TCP connection
// are read: a phone's identity repeats in every one.
const maxTCPMessages = 4

// NewStream starts one SIP-over-TCP connection.
func (d *Dissector) NewStream() dissect.Stream { return &stream{d: d} }

type tcpSide struct {
	buf  []byte // a message's incomplete header section
	skip int    // body bytes still to pass over
	n    int    // messages read
	done bool
}

type stream struct {
	d   *Dissector
	dir [2]tcpSide // index 0: client to server
}

// Data frames messages by their header section and Content-Length.
func (s *stream) Data(m *dissect.Meta, clientToServer bool, data []byte, e observe.Emitter) bool {
	sd := &s.dir[0]
	if !clientToServer {
		sd = &s.dir[1]
	}
	for len(data) > 0 && !sd.done {
		if sd.skip > 0 {
			k := min(sd.skip, len(data))
			sd.skip -= k
			data = data[k:]
			continue
		}
		if len(sd.buf) == 0 {
			// Keep-alives (CRLF pings, RFC 5626) between messages.
			data = bytes.TrimLeft(data, "\r\n")
			if len(data) == 0 {
				break
			}
		}
		// prev bytes of this message arrived before data.
		msg, prev := data, len(sd.buf)
		if prev > 0 {
			sd.buf = append(sd.buf, data[:min(len(data), maxHeader-prev)]...)
			msg = sd.buf
		}
		n, err := s.d.message(m, msg, e)
		switch {
		case err != nil:
			sd.done = true // not SIP, or framing lost
		case n == 0: // the header section is incomplete
			if len(msg) >= maxHeader {
				sd.done = true
			} else if prev == 0 {
				sd.buf = append(sd.buf, data...)
			}
			data = nil
		default:
			if sd.n++; sd.n >= maxTCPMessages {
				sd.done = true
			}
			sd.buf = sd.buf[:0]
			if used := n - prev; used > len(data) {
				sd.skip, data = used-len(data), nil
			} else {
				data = data[used:]
			}
		}
	}
	if s.dir[0].done && s.dir[1].done {
		s.dir[0].buf, s.dir[1].buf = nil, nil
		return true
	}
	return false
}

// Gap: framing is lost in that direction.
func (s *stream) Gap(clientToServer bool) {
	if clientToServer {
		s.dir[0].done = true
	} else {
		s.dir[1].done = true
	}
}
