// Package tftp reads TFTP read and write requests (RFC 1350, UDP 69): the
// file a device asks for at boot. IP phones fetch configuration named
// after their MAC or model ("SEP001122334455.cnf.xml", "y000000000044.cfg",
// "0004f2abcdef.cfg"), network-booting hosts fetch their boot loader
// ("pxelinux.0", "boot\x86\wdsnbp.com"), and switches and printers their
// firmware: the name says what the requester is. Only requests are read;
// data blocks are not.
package tftp

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Port is TFTP's request port.
const Port = 69

const (
	opRRQ   = 1
	opWRQ   = 2
	maxText = 255
)

var errRequest = fmt.Errorf("tftp request: %w", dissect.ErrMalformed)

// Dissector reads TFTP requests.
type Dissector struct {
	obs   observe.Observation
	texts observe.Interner
}

// New returns a TFTP dissector.
func New() *Dissector { return &Dissector{} }

var _ dissect.UDPDissector = (*Dissector)(nil)

// Name is "tftp".
func (*Dissector) Name() string { return "tftp" }

// MatchUDP takes read and write requests sent to port 69.
func (*Dissector) MatchUDP(_, dp uint16, p []byte) bool {
	if dp != Port || len(p) < 4 {
		return false
	}
	op := binary.BigEndian.Uint16(p)
	return op == opRRQ || op == opWRQ
}

// DissectUDP emits the request: opcode, file name and transfer mode.
func (d *Dissector) DissectUDP(m *dissect.Meta, p []byte, e observe.Emitter) error {
	op := binary.BigEndian.Uint16(p)
	file, rest, ok := bytes.Cut(p[2:], []byte{0})
	if !ok || len(file) == 0 || !dissect.PrintableASCII(file) {
		return errRequest
	}
	mode, _, ok := bytes.Cut(rest, []byte{0})
	if !ok {
		return errRequest
	}
	o := &d.obs
	m.Fill(o, "tftp")
	if op == opRRQ {
		o.Add("tftp.request", "read")
	} else {
		o.Add("tftp.request", "write")
	}
	o.Add("tftp.file", dissect.Text(&d.texts, file, maxText))
	o.Add("tftp.mode", dissect.Text(&d.texts, bytes.ToLower(mode), 16))
	e.Emit(o)
	return nil
}
