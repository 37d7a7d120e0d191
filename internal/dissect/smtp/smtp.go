// Package smtp reads the cleartext start of an SMTP session (RFC 5321):
// the server's 220 greeting, which names its host and often its software,
// and the client's EHLO/HELO, which names the client: multifunction
// printers sending scans, devices and servers sending alerts. Whether the
// client authenticated before STARTTLS (a password in cleartext) is
// flagged; user names, passwords, addresses and messages are never read.
// After STARTTLS, or a few commands, the stream stops.
package smtp

import (
	"bytes"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

const (
	maxLine     = 1024
	maxValue    = 256
	maxCommands = 8
	maxReplies  = 8
)

// Dissector reads SMTP sessions.
type Dissector struct {
	obs   observe.Observation
	texts observe.Interner
}

// New returns an SMTP dissector.
func New() *Dissector { return &Dissector{} }

var _ dissect.TCPDissector = (*Dissector)(nil)

// Name is "smtp".
func (*Dissector) Name() string { return "smtp" }

// MatchTCP recognises a server greeting that names (E)SMTP, on the SMTP
// ports or any other ("220 mail.example.org ESMTP Postfix").
func (*Dissector) MatchTCP(sp, dp uint16, _ bool, p []byte) bool {
	line, ok := dissect.Greeting(p, "220", maxLine)
	if !ok {
		return false
	}
	return dissect.ContainsFold(line, "SMTP") || sp == 25 || dp == 25 || sp == 587 || dp == 587
}

// NewStream starts one session.
func (d *Dissector) NewStream() dissect.Stream { return &stream{d: d} }

type stream struct {
	d        *Dissector
	dir      [2]dissect.LineSide // index 0: client to server
	greeted  bool
	startTLS bool // the client asked for STARTTLS
}

// Data splits each direction into lines.
func (s *stream) Data(m *dissect.Meta, clientToServer bool, data []byte, e observe.Emitter) bool {
	return dissect.FeedLines(&s.dir, clientToServer, data, maxLine, func(sd *dissect.LineSide, line []byte) {
		if clientToServer {
			s.command(m, sd, line, e)
		} else {
			s.reply(m, sd, line, e)
		}
	})
}

func (s *stream) reply(m *dissect.Meta, sd *dissect.LineSide, line []byte, e observe.Emitter) {
	if len(line) < 3 {
		sd.Done = true
		return
	}
	if sd.N++; sd.N >= maxReplies {
		sd.Done = true
	}
	switch string(line[:3]) {
	case "220":
		if !s.greeted {
			s.greeted = true
			s.emit(m, "smtp.banner", line[min(4, len(line)):], e)
		} else if s.startTLS { // ready to start TLS: the rest is ciphertext
			s.dir[0].Done, s.dir[1].Done = true, true
		}
	}
}

// command reads the client's verbs; only EHLO/HELO's argument is kept.
func (s *stream) command(m *dissect.Meta, sd *dissect.LineSide, line []byte, e observe.Emitter) {
	if sd.N++; sd.N >= maxCommands {
		sd.Done = true
	}
	verb, arg, _ := bytes.Cut(line, []byte{' '})
	switch {
	case bytes.EqualFold(verb, []byte("EHLO")), bytes.EqualFold(verb, []byte("HELO")):
		s.emit(m, "smtp.helo", bytes.TrimSpace(arg), e)
	case bytes.EqualFold(verb, []byte("AUTH")):
		if !s.startTLS {
			mech, _, _ := bytes.Cut(bytes.TrimSpace(arg), []byte{' '})
			s.emit(m, "smtp.cleartext_auth", bytes.ToUpper(mech), e)
		}
	case bytes.EqualFold(verb, []byte("STARTTLS")):
		s.startTLS = true
	case bytes.EqualFold(verb, []byte("MAIL")), bytes.EqualFold(verb, []byte("DATA")):
		sd.Done = true // addresses and the message follow: nothing of the device's
	}
}

func (s *stream) emit(m *dissect.Meta, key string, v []byte, e observe.Emitter) {
	d := s.d
	o := &d.obs
	m.Fill(o, "smtp")
	o.Add(key, dissect.Text(&d.texts, v, maxValue))
	if len(o.Fields) > 0 {
		e.Emit(o)
	}
}

// Gap: the line framing of that direction is lost.
func (s *stream) Gap(clientToServer bool) {
	if clientToServer {
		s.dir[0].Done = true
	} else {
		s.dir[1].Done = true
	}
}
