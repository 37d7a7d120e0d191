// Package syslog reads the header of syslog messages over UDP (RFC 3164's
// BSD format and RFC 5424): the facility and severity, the HOSTNAME the
// sender calls itself, and its application (TAG or APP-NAME). Devices that
// log to a central collector name themselves in every message.
//
// PHI: the message text is never read into an observation. Clinical
// applications log patient names, MRNs and orders there.
package syslog

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Port is syslog's UDP port.
const Port = 514

const maxText = 128

var (
	errPRI   = fmt.Errorf("syslog PRI: %w", dissect.ErrMalformed)
	errEmpty = fmt.Errorf("syslog message: %w", dissect.ErrTruncated)
)

// Dissector reads syslog datagrams.
type Dissector struct {
	obs   observe.Observation
	texts observe.Interner
}

// New returns a syslog dissector.
func New() *Dissector { return &Dissector{} }

var _ dissect.UDPDissector = (*Dissector)(nil)

// Name is "syslog".
func (*Dissector) Name() string { return "syslog" }

// MatchUDP takes datagrams to or from port 514 (BSD syslogd sends from
// it) that start with a PRI ("<134>").
func (*Dissector) MatchUDP(sp, dp uint16, p []byte) bool {
	if dp != Port && sp != Port {
		return false
	}
	_, _, ok := pri(p)
	return ok
}

// pri reads "<N>" (N ≤ 191) and returns it and the bytes after it.
func pri(p []byte) (int, []byte, bool) {
	if len(p) < 3 || p[0] != '<' {
		return 0, nil, false
	}
	end := bytes.IndexByte(p[:min(len(p), 5)], '>')
	if end < 2 {
		return 0, nil, false
	}
	n, err := strconv.Atoi(string(p[1:end]))
	if err != nil || n < 0 || n > 191 {
		return 0, nil, false
	}
	return n, p[end+1:], true
}

var months = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// DissectUDP emits one observation per message.
func (d *Dissector) DissectUDP(m *dissect.Meta, p []byte, e observe.Emitter) error {
	n, rest, ok := pri(p)
	if !ok {
		return errPRI
	}
	if len(rest) == 0 {
		return errEmpty
	}
	var host, app []byte
	format := "rfc3164"
	switch {
	case len(rest) > 2 && rest[0] >= '1' && rest[0] <= '9' && rest[1] == ' ':
		// RFC 5424: VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP ...
		format = "rfc5424"
		var w [3][]byte
		f := fields(w[:0], rest[2:], 3)
		if len(f) >= 2 {
			host = nilDash(f[1])
		}
		if len(f) >= 3 {
			app = nilDash(f[2])
		}
	default:
		host, app = bsd(rest)
	}
	o := &d.obs
	m.Fill(o, "syslog")
	o.Add("syslog.format", format)
	o.Add("syslog.facility", strconv.Itoa(n>>3))
	o.Add("syslog.severity", strconv.Itoa(n&7))
	o.Add("syslog.hostname", dissect.Text(&d.texts, host, maxText))
	o.Add("syslog.app", dissect.Text(&d.texts, app, maxText))
	e.Emit(o)
	return nil
}

// bsd reads an RFC 3164 header: "Mmm dd hh:mm:ss HOSTNAME TAG[pid]: msg".
// Many senders leave out the HOSTNAME ("Mmm dd hh:mm:ss TAG: msg"); a word
// ending in ':' or '[' is then the TAG. Senders such as rsyslog may put an
// RFC 3339 timestamp in place of the BSD one.
func bsd(p []byte) (host, app []byte) {
	switch {
	case len(p) >= 16 && isMonth(p[:3]) && p[3] == ' ' && p[6] == ' ' && p[9] == ':' && p[12] == ':' && p[15] == ' ':
		p = p[16:]
	case len(p) >= 20 && p[4] == '-' && p[7] == '-' && p[10] == 'T':
		sp := bytes.IndexByte(p, ' ')
		if sp < 0 {
			return nil, nil
		}
		p = p[sp+1:]
	default:
		return nil, tag(p) // no timestamp: the TAG leads, if anything
	}
	var words [2][]byte
	w := fields(words[:0], p, 2)
	if len(w) == 0 {
		return nil, nil
	}
	if t := tag(w[0]); t != nil && len(t) < len(w[0]) {
		return nil, t // "TAG:" or "TAG[pid]:" right after the timestamp
	}
	host = w[0]
	if len(w) > 1 {
		app = tag(w[1])
	}
	return host, app
}

// tag returns the TAG of "TAG[pid]:" or "TAG:", or nil when w is not one.
func tag(w []byte) []byte {
	if i := bytes.IndexAny(w, "[:"); i > 0 {
		for _, c := range w[:i] {
			if c <= ' ' || c > '~' {
				return nil
			}
		}
		return w[:i]
	}
	return nil
}

func isMonth(b []byte) bool {
	for _, m := range months {
		if string(b) == m {
			return true
		}
	}
	return false
}

// fields appends to out up to n space-separated words of p (the rest is
// the message, and dropped).
func fields(out [][]byte, p []byte, n int) [][]byte {
	for len(out) < n {
		p = bytes.TrimLeft(p, " ")
		if len(p) == 0 {
			break
		}
		i := bytes.IndexByte(p, ' ')
		if i < 0 {
			out = append(out, p)
			break
		}
		out = append(out, p[:i])
		p = p[i+1:]
	}
	return out
}

func nilDash(b []byte) []byte {
	if string(b) == "-" {
		return nil
	}
	return b
}
