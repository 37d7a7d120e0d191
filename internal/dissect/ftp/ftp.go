// Package ftp reads the cleartext control connection of FTP (RFC 959): the
// server's greeting (220), which names the server software and often the
// product (printers and multifunction devices, imaging consoles, PLC-like
// appliances announce their model there), the system type it answers to
// SYST (215), and whether a login went in cleartext. User names and
// passwords are never read into observations: only that a password was
// sent, or that the login was anonymous.
//
// After AUTH TLS is accepted (234) the connection is encrypted; the stream
// stops there, as it does after a few replies.
package ftp

import (
	"bytes"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Port is FTP's control port.
const Port = 21

const (
	maxLine     = 512 // a longer line is not FTP's (RFC 959 has no limit; real ones are short)
	maxText     = 256
	maxReplies  = 12 // server replies read before the stream stops
	maxCommands = 16 // client commands read before the stream stops
)

// Dissector reads FTP control connections.
type Dissector struct {
	obs   observe.Observation
	texts observe.Interner
}

// New returns an FTP dissector.
func New() *Dissector { return &Dissector{} }

var _ dissect.TCPDissector = (*Dissector)(nil)

// Name is "ftp".
func (*Dissector) Name() string { return "ftp" }

// MatchTCP recognises a server greeting: "220 " or "220-" on port 21, or
// on any port when it names FTP (an SMTP greeting is also a 220).
func (*Dissector) MatchTCP(sp, dp uint16, _ bool, p []byte) bool {
	line, ok := dissect.Greeting(p, "220", maxLine)
	if !ok {
		return false
	}
	return sp == Port || dp == Port || dissect.ContainsFold(line, "FTP")
}

// NewStream starts one control connection.
func (d *Dissector) NewStream() dissect.Stream { return &stream{d: d} }

type stream struct {
	d         *Dissector
	dir       [2]dissect.LineSide // index 0: client to server
	greeted   bool                // the 220 greeting was reported
	cont      []byte              // the code of a multi-line reply in progress ("220")
	anonymous bool                // the last USER named anonymous or ftp
	authTLS   bool                // the client asked for AUTH TLS/SSL
	systAsked bool
}

// Data splits each direction into lines and reads them.
func (s *stream) Data(m *dissect.Meta, clientToServer bool, data []byte, e observe.Emitter) bool {
	return dissect.FeedLines(&s.dir, clientToServer, data, maxLine, func(sd *dissect.LineSide, line []byte) {
		if clientToServer {
			s.command(m, sd, line, e)
		} else {
			s.reply(m, sd, line, e)
		}
	})
}

// reply reads one server line: the first line of each reply carries its
// code; continuation lines of a multi-line reply are skipped.
func (s *stream) reply(m *dissect.Meta, sd *dissect.LineSide, line []byte, e observe.Emitter) {
	if s.cont != nil {
		// A multi-line reply ends with its code and a space.
		if len(line) >= 4 && bytes.Equal(line[:3], s.cont) && line[3] == ' ' {
			s.cont = nil
		}
		return
	}
	if len(line) < 3 || !dissect.Digits(line[:3]) {
		sd.Done = true // not an FTP reply: lost, or not FTP
		return
	}
	code := line[:3]
	text := line[3:]
	if len(text) > 0 && text[0] == '-' {
		s.cont = append(s.cont[:0:0], code...)
	}
	if len(text) > 0 {
		text = text[1:]
	}
	if sd.N++; sd.N >= maxReplies {
		sd.Done = true
	}
	switch string(code) {
	case "220":
		if !s.greeted {
			s.greeted = true
			s.emit(m, "ftp.banner", text, e)
		}
	case "215":
		if s.systAsked {
			s.emit(m, "ftp.system", text, e)
		}
	case "234":
		if s.authTLS { // the rest is TLS, both ways
			s.dir[0].Done, s.dir[1].Done = true, true
		}
	}
}

// command reads one client line. Only the verb is looked at, and USER's
// argument only to tell an anonymous login.
func (s *stream) command(m *dissect.Meta, sd *dissect.LineSide, line []byte, e observe.Emitter) {
	verb, arg, _ := bytes.Cut(line, []byte{' '})
	if sd.N++; sd.N >= maxCommands {
		sd.Done = true
	}
	switch {
	case bytes.EqualFold(verb, []byte("USER")):
		arg = bytes.TrimSpace(arg)
		s.anonymous = bytes.EqualFold(arg, []byte("anonymous")) || bytes.EqualFold(arg, []byte("ftp"))
	case bytes.EqualFold(verb, []byte("PASS")):
		key := "ftp.cleartext_password"
		if s.anonymous {
			key = "ftp.anonymous_login"
		}
		s.emit(m, key, []byte("seen"), e)
	case bytes.EqualFold(verb, []byte("SYST")):
		s.systAsked = true
	case bytes.EqualFold(verb, []byte("AUTH")):
		s.authTLS = true
	}
}

func (s *stream) emit(m *dissect.Meta, key string, v []byte, e observe.Emitter) {
	d := s.d
	o := &d.obs
	m.Fill(o, "ftp")
	o.Add(key, dissect.Text(&d.texts, v, maxText))
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
