// Package wsd reads WS-Discovery (SOAP over UDP 3702, multicast
// 239.255.255.250 / ff02::c): the discovery Windows uses for printers and
// scanners ("WSD" ports), that ONVIF IP cameras answer, and that Windows
// hosts announce themselves with. A Hello, ProbeMatch or ResolveMatch
// describes its sender: its endpoint address (a urn:uuid that printers
// often derive from their MAC), its Types (wprt:PrintDeviceType,
// dn:NetworkVideoTransmitter, pub:Computer), its Scopes (ONVIF cameras put
// their hardware model and name there) and its XAddrs (the service URLs).
// A Probe or Resolve is a client looking for them: only the action is kept.
//
// The XML is read with a few bounded searches for the elements Ward keeps,
// not a parser: a datagram is at most one SOAP envelope, and nothing else
// in it is needed.
package wsd

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Port is WS-Discovery's UDP port.
const Port = 3702

const maxText = 256

var errAction = fmt.Errorf("ws-discovery action: %w", dissect.ErrMalformed)

// Dissector reads WS-Discovery datagrams.
type Dissector struct {
	obs   observe.Observation
	texts observe.Interner
	buf   []byte
}

// New returns a WS-Discovery dissector.
func New() *Dissector { return &Dissector{} }

var _ dissect.UDPDissector = (*Dissector)(nil)

// Name is "wsd".
func (*Dissector) Name() string { return "wsd" }

// MatchUDP takes XML datagrams to or from port 3702.
func (*Dissector) MatchUDP(sp, dp uint16, p []byte) bool {
	if sp != Port && dp != Port {
		return false
	}
	p = bytes.TrimLeft(p, "\xef\xbb\xbf \t\r\n") // a BOM or whitespace may lead
	return len(p) > 1 && p[0] == '<'
}

// actions are the WS-Discovery message names (the last path element of
// wsa:Action, in the 2005/04 and 1.1 namespaces alike).
var actions = []string{"Hello", "Bye", "ProbeMatches", "ResolveMatches", "Probe", "Resolve"}

// DissectUDP emits one observation per message.
func (d *Dissector) DissectUDP(m *dissect.Meta, p []byte, e observe.Emitter) error {
	action := ""
	if a := dissect.XMLText(p, "Action"); a != nil {
		a = bytes.TrimSpace(a)
		if i := bytes.LastIndexByte(a, '/'); i >= 0 {
			a = a[i+1:]
		}
		for _, n := range actions {
			if string(a) == n {
				action = n
				break
			}
		}
	}
	if action == "" {
		return errAction
	}
	o := &d.obs
	m.Fill(o, "wsd")
	o.Add("wsd.action", action)
	switch action {
	case "Hello", "Bye", "ProbeMatches", "ResolveMatches":
		// The body's EndpointReference is the sender's; the header's
		// (RelatesTo, AppSequence) are not addresses of anything.
		body := p
		if i := dissect.XMLIndex(p, "Body"); i >= 0 {
			body = p[i:]
		}
		o.Add("wsd.address", d.text(dissect.XMLText(body, "Address")))
		o.Add("wsd.types", d.text(dissect.XMLText(body, "Types")))
		o.Add("wsd.scopes", d.text(dissect.XMLText(body, "Scopes")))
		o.Add("wsd.xaddrs", d.text(dissect.XMLText(body, "XAddrs")))
	case "Probe":
		o.Add("wsd.probe_types", d.text(dissect.XMLText(p, "Types")))
	}
	e.Emit(o)
	return nil
}

// text is a clean, bounded string of v (whitespace runs folded to one
// space), remembered: devices repeat their announcements.
func (d *Dissector) text(v []byte) string {
	if len(v) == 0 {
		return ""
	}
	if s, ok := d.texts.Lookup(v); ok {
		return s
	}
	d.buf = d.buf[:0]
	space := false
	for _, c := range v {
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			space = true
			continue
		}
		if space && len(d.buf) > 0 {
			d.buf = append(d.buf, ' ')
		}
		space = false
		if c < 0x20 || c == 0x7f {
			continue
		}
		d.buf = append(d.buf, c)
	}
	w := d.buf
	if len(w) > maxText {
		w = w[:maxText]
	}
	s := string(w)
	if !utf8.ValidString(s) {
		s = dissect.Cap(strings.ToValidUTF8(s, "\uFFFD"), maxText) // a bad byte became 3
	}
	d.texts.Store(v, s)
	return s
}
