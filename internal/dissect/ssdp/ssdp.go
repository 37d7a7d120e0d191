// Package ssdp reads the Simple Service Discovery Protocol of UPnP: HTTP-like
// messages over UDP 1900. NOTIFY announcements and M-SEARCH responses name a
// device's SERVER string (OS, UPnP stack, product and version), its
// description LOCATION and unique service name; M-SEARCH requests name the
// searching client's USER-AGENT.
package ssdp

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Port is SSDP's multicast port.
const Port = 1900

const (
	maxText    = 256
	maxHeaders = 64
)

var (
	errStart = fmt.Errorf("ssdp start line: %w", dissect.ErrMalformed)
	errEmpty = fmt.Errorf("ssdp message: %w", dissect.ErrTruncated)
)

// headerKeys maps the headers Ward keeps to observation keys.
var headerKeys = [...]struct{ name, key string }{
	{"SERVER", "ssdp.server"},
	{"LOCATION", "ssdp.location"},
	{"USN", "ssdp.usn"},
	{"NT", "ssdp.nt"},
	{"NTS", "ssdp.nts"},
	{"ST", "ssdp.st"},
	{"USER-AGENT", "ssdp.user_agent"},
}

var (
	methodNotify = []byte("NOTIFY ")
	methodSearch = []byte("M-SEARCH ")
	httpPrefix   = []byte("HTTP/1.")
)

// Dissector reads SSDP datagrams.
type Dissector struct {
	obs   observe.Observation
	texts observe.Interner // text() of header values: devices repeat their announcements
}

// text is text(v), remembered. (A direct call: v must not escape.)
func (d *Dissector) text(v []byte) string {
	if s, ok := d.texts.Lookup(v); ok {
		return s
	}
	s := text(v)
	d.texts.Store(v, s)
	return s
}

// New returns an SSDP dissector.
func New() *Dissector { return &Dissector{} }

var _ dissect.UDPDissector = (*Dissector)(nil)

// Name is "ssdp".
func (*Dissector) Name() string { return "ssdp" }

// MatchUDP accepts SSDP-shaped datagrams on port 1900, and NOTIFY/M-SEARCH
// requests on any port (some discovery schemes, e.g. Plex GDM, reuse SSDP's
// syntax on their own ports). Responses elsewhere are left alone: an
// "HTTP/1.1" datagram on another port is not necessarily SSDP.
func (*Dissector) MatchUDP(sp, dp uint16, p []byte) bool {
	if len(p) == 0 {
		return false
	}
	// First byte first: most datagrams (RTP, DNS, ...) are not text at all,
	// and a case-folding compare of binary bytes is slow.
	if c := p[0] | 0x20; (c == 'n' || c == 'm') && (hasPrefixFold(p, methodNotify) || hasPrefixFold(p, methodSearch)) {
		return true
	}
	return (sp == Port || dp == Port) && bytes.HasPrefix(p, httpPrefix)
}

func hasPrefixFold(p, prefix []byte) bool {
	return len(p) >= len(prefix) && bytes.EqualFold(p[:len(prefix)], prefix)
}

// DissectUDP emits one observation per message.
func (d *Dissector) DissectUDP(m *dissect.Meta, p []byte, e observe.Emitter) error {
	line, rest, _ := dissect.CutLine(p)
	if len(line) == 0 {
		return errEmpty
	}
	var method string
	switch {
	case hasPrefixFold(line, methodNotify):
		method = "NOTIFY"
	case hasPrefixFold(line, methodSearch):
		method = "M-SEARCH"
	case bytes.HasPrefix(line, httpPrefix):
		method = "response"
	default:
		return errStart
	}
	var vals [len(headerKeys)][]byte
	for i := 0; i < maxHeaders && len(rest) > 0; i++ {
		line, rest, _ = dissect.CutLine(rest)
		if len(line) == 0 {
			break // end of headers
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		name := bytes.TrimSpace(line[:colon])
		for k, h := range headerKeys {
			if vals[k] == nil && len(name) == len(h.name) && bytes.EqualFold(name, []byte(h.name)) {
				vals[k] = bytes.TrimSpace(line[colon+1:])
			}
		}
	}
	m.Fill(&d.obs, "ssdp")
	d.obs.Add("ssdp.method", method)
	for k, v := range vals {
		d.obs.Add(headerKeys[k].key, d.text(v))
	}
	e.Emit(&d.obs)
	return nil
}

// text makes wire bytes a clean, bounded string.
func text(v []byte) string {
	v = bytes.Trim(v, "\x00 \t")
	if len(v) > maxText {
		v = v[:maxText]
	}
	if len(v) == 0 {
		return ""
	}
	s := string(v)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}
