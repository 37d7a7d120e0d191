// Package telnet reads what a Telnet server (TCP 23) shows before anyone
// logs in: its banner, often naming the product, firmware or operating
// system, and its login prompt, which usually carries the host name
// ("icu-gw login:"). Option negotiation (IAC sequences) is stepped over.
// The client's side is never read: it types the user name and password.
package telnet

import (
	"bytes"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Port is Telnet's port.
const Port = 23

const (
	maxText  = 512 // server text kept before the login
	maxLines = 8
	maxValue = 256

	iac = 0xFF
	sb  = 0xFA // subnegotiation begins
	se  = 0xF0 // subnegotiation ends
)

// Dissector reads Telnet servers' banners.
type Dissector struct {
	obs   observe.Observation
	texts observe.Interner
}

// New returns a Telnet dissector.
func New() *Dissector { return &Dissector{} }

var _ dissect.TCPDissector = (*Dissector)(nil)

// Name is "telnet".
func (*Dissector) Name() string { return "telnet" }

// MatchTCP takes conversations on port 23 whose first bytes are option
// negotiation or text.
func (*Dissector) MatchTCP(sp, dp uint16, _ bool, p []byte) bool {
	return (sp == Port || dp == Port) && len(p) > 0 && (p[0] == iac || p[0] >= 0x20 && p[0] < 0x7f || p[0] == '\r' || p[0] == '\n')
}

// NewStream starts one connection.
func (d *Dissector) NewStream() dissect.Stream { return &stream{d: d} }

type stream struct {
	d     *Dissector
	text  []byte // the server's text so far, negotiation removed
	state int    // where the last server segment left an IAC sequence
	done  bool
}

// IAC parser states.
const (
	stText   = iota
	stIAC    // after IAC
	stOption // after IAC WILL/WONT/DO/DONT: one option byte follows
	stSub    // inside a subnegotiation
	stSubIAC // IAC inside a subnegotiation
)

// Data collects the server's text until the client starts typing (or the
// text is long enough), then reports it.
func (s *stream) Data(m *dissect.Meta, clientToServer bool, data []byte, e observe.Emitter) bool {
	if s.done {
		return true
	}
	if clientToServer {
		// Once the client sends more than negotiation, it is answering the
		// prompt: what the server showed before is the banner.
		if hasText(data) && len(bytes.TrimSpace(s.text)) > 0 {
			s.report(m.Reverse(), e)
		}
		return s.done
	}
	for _, c := range data {
		switch s.state {
		case stText:
			if c == iac {
				s.state = stIAC
			} else if len(s.text) < maxText {
				s.text = append(s.text, c)
			}
		case stIAC:
			switch {
			case c == sb:
				s.state = stSub
			case c >= 0xFB && c <= 0xFE: // WILL, WONT, DO, DONT
				s.state = stOption
			case c == iac: // an escaped 0xFF data byte
				s.state = stText
			default:
				s.state = stText
			}
		case stOption:
			s.state = stText
		case stSub:
			if c == iac {
				s.state = stSubIAC
			}
		case stSubIAC:
			if c == se {
				s.state = stText
			} else {
				s.state = stSub
			}
		}
	}
	if len(s.text) >= maxText || bytes.Count(s.text, []byte{'\n'}) >= maxLines {
		s.report(*m, e)
	}
	return s.done
}

// hasText reports whether p holds a byte outside option negotiation.
func hasText(p []byte) bool {
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] != iac:
			return true
		case i+1 < len(p) && p[i+1] >= 0xFB && p[i+1] <= 0xFE:
			i += 2
		case i+1 < len(p) && p[i+1] == sb:
			j := bytes.Index(p[i:], []byte{iac, se})
			if j < 0 {
				return false
			}
			i += j + 1
		default:
			i++
		}
	}
	return false
}

// report emits the banner (the server's lines before the prompt, joined
// by " / ") and the prompt (its last line), from the server.
func (s *stream) report(m dissect.Meta, e observe.Emitter) {
	s.done = true
	var lines [][]byte
	for _, l := range bytes.Split(s.text, []byte{'\n'}) {
		if l = bytes.TrimSpace(bytes.Trim(l, "\x00")); len(l) > 0 {
			lines = append(lines, l)
		}
	}
	s.text = nil
	if len(lines) == 0 {
		return
	}
	d := s.d
	o := &d.obs
	m.Fill(o, "telnet")
	prompt := lines[len(lines)-1]
	if c := prompt[len(prompt)-1]; c == ':' || c == '>' || c == '#' || c == '$' {
		o.Add("telnet.prompt", dissect.Text(&d.texts, prompt, maxValue))
		lines = lines[:len(lines)-1]
	}
	if len(lines) > 0 {
		o.Add("telnet.banner", dissect.Text(&d.texts, bytes.Join(lines, []byte(" / ")), maxValue))
	}
	if len(o.Fields) > 0 {
		e.Emit(o)
	}
}

// Gap: nothing to resynchronise; text after a gap is still text.
func (s *stream) Gap(bool) {}

// End reports the text of a server nobody answered.
func (s *stream) End(m *dissect.Meta, e observe.Emitter) {
	if !s.done {
		s.report(m.Reverse(), e)
	}
}

var _ dissect.Ender = (*stream)(nil)
