// Package kerberos reads the cleartext framing of Kerberos v5 (RFC 4120)
// exchanges with a KDC, over UDP and TCP: domain-joined Windows devices
// and Linux or Samba hosts authenticate there. A machine's own principal
// (WS01$, host/ws01.example.org) names it, the realm names its domain,
// and the encryption types a client offers fingerprint its OS family and
// reveal RC4 and DES, which security teams must retire.
//
// Privacy: a user's principal name is never read into an observation
// (only that the client was a user). Nothing is read from encrypted
// parts, PA-DATA, sname, or KRB-ERROR e-text and e-data.
package kerberos

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Message types: each message's APPLICATION tag, repeated in its msg-type.
const (
	msgASReq  = 10
	msgASRep  = 11
	msgTGSReq = 12
	msgTGSRep = 13
	msgError  = 30
)

// pvno is the only protocol version number there is.
const pvno = 5

var (
	errNotKerberos = fmt.Errorf("kerberos: not a KDC message: %w", dissect.ErrMalformed)
	errVersion     = fmt.Errorf("kerberos: pvno or msg-type: %w", dissect.ErrMalformed)
	errStructure   = fmt.Errorf("kerberos: message structure: %w", dissect.ErrMalformed)
	errTrailing    = fmt.Errorf("kerberos: bytes after the message: %w", dissect.ErrMalformed)
)

// Dissector reads KDC messages from UDP datagrams and TCP records.
type Dissector struct {
	cfg   config
	obs   observe.Observation
	texts observe.Interner // realm and host name bytes -> dissect.Text of them
	lists observe.Interner // etype SEQUENCE OF contents -> decimal list
	nums  observe.Interner // INTEGER contents -> decimal
	buf   []byte           // etype list under construction
	bufs  dissect.BufPool  // record buffers of finished streams
	free  dissect.FreeList[stream]
}

// New returns a Kerberos dissector.
func New() *Dissector { return &Dissector{cfg: defaultConfig()} }

var (
	_ dissect.UDPDissector = (*Dissector)(nil)
	_ dissect.TCPDissector = (*Dissector)(nil)
)

// Name is "kerberos".
func (*Dissector) Name() string { return "kerberos" }

// MatchUDP accepts a datagram that is exactly one KDC message whose start
// shows pvno 5 and the msg-type of its tag: specific enough to accept on
// any port (KDCs are sometimes moved; 750 was Kerberos v4's).
func (*Dissector) MatchUDP(_, _ uint16, p []byte) bool { return head(p, len(p)) }

// MatchTCP accepts, on port 88, a first payload that starts like a record
// (a 4-byte length with the reserved high bit clear, then a KDC message
// tag); elsewhere the message start must check out as in MatchUDP.
func (*Dissector) MatchTCP(sp, dp uint16, _ bool, p []byte) bool {
	if len(p) < 4 {
		return (sp == Port || dp == Port) && len(p) > 0 && p[0]&0x80 == 0
	}
	n := recordLen(p)
	if n <= 0 {
		return false
	}
	if sp == Port || dp == Port {
		return len(p) == 4 || isMessageTag(p[4])
	}
	return head(p[4:], n)
}

// recordLen is the length prefix of a TCP record; -1 when its reserved
// high bit is set (RFC 4120 §7.2.2).
func recordLen(p []byte) int {
	if p[0]&0x80 != 0 {
		return -1
	}
	return int(p[0])<<24 | int(p[1])<<16 | int(p[2])<<8 | int(p[3])
}

// isMessageTag reports whether b is the identifier octet of a KDC message
// ([APPLICATION n] constructed).
func isMessageTag(b byte) bool {
	switch b {
	case 0x60 | msgASReq, 0x60 | msgASRep, 0x60 | msgTGSReq, 0x60 | msgTGSRep, 0x60 | msgError:
		return true
	}
	return false
}

// head checks the start of p, a message of total bytes: its tag and
// length, the SEQUENCE inside, and the first two fields, pvno 5 and the
// msg-type of the tag ([1] and [2] in requests, [0] and [1] otherwise).
// It needs only the first few dozen bytes.
func head(p []byte, total int) bool {
	if len(p) < 2 || !isMessageTag(p[0]) {
		return false
	}
	app, hdr, n, err := header(p)
	if err != nil || hdr+n != total {
		return false
	}
	p = p[hdr:]
	seq, hdr, sn, err := header(p)
	if err != nil || !seq.is(classUniversal, true, tagSequence) || hdr+sn != n {
		return false
	}
	p = p[hdr:]
	first := uint32(0)
	if app.tag == msgASReq || app.tag == msgTGSReq {
		first = 1
	}
	for i, want := range [2]int64{pvno, int64(app.tag)} {
		f, rest, err := next(p)
		if err != nil || f.tag != first+uint32(i) {
			return false
		}
		if v, _, ok := explicitInteger(f); !ok || v != want {
			return false
		}
		p = rest
	}
	return true
}

// DissectUDP reads one message and emits one observation.
func (d *Dissector) DissectUDP(m *dissect.Meta, p []byte, e observe.Emitter) error {
	return d.dissect(m, p, e)
}

func (d *Dissector) dissect(m *dissect.Meta, p []byte, e observe.Emitter) error {
	var msg message
	if err := parse(p, d.cfg.MaxDepth, &msg); err != nil {
		return err
	}
	d.emit(m, &msg, e)
	return nil
}

// message is what Ward reads of one KDC message; slices point into it.
type message struct {
	typ         uint32
	realm       []byte    // req-body realm, crealm of a reply, realm of an error
	etypes      []byte    // contents of the req-body's etype SEQUENCE OF Int32
	client      principal // cname
	ticketEtype []byte    // contents of the INTEGER etype of the ticket's enc-part
	errorCode   []byte    // contents of the INTEGER error-code
}

// principal is a PrincipalName: its type and first two components.
type principal struct {
	present  bool
	nameType int64
	comps    [2][]byte
	n        int // components in all
}

// parse reads p, which must be exactly one KDC message.
func parse(p []byte, maxDepth int, msg *message) error {
	top, rest, err := next(p)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return errTrailing
	}
	if top.class != classApplication || !top.cons || top.tag > 30 || !isMessageTag(0x60|byte(top.tag)) {
		return errNotKerberos
	}
	if err := wellFormed(top.val, maxDepth-1); err != nil {
		return err
	}
	seq, rest, err := next(top.val)
	if err != nil || len(rest) != 0 || !seq.is(classUniversal, true, tagSequence) {
		return errStructure
	}
	msg.typ = top.tag
	switch top.tag {
	case msgASReq, msgTGSReq:
		return kdcReq(seq.val, msg)
	case msgASRep, msgTGSRep:
		return kdcRep(seq.val, msg)
	default:
		return krbError(seq.val, msg)
	}
}

// fieldIter walks the context-tagged fields of a SEQUENCE's contents. (A
// loop rather than a callback: a function value would send the message
// under construction to the heap.)
type fieldIter struct {
	p   []byte
	err error
}

// next returns the next field; false at the end or on an error (err).
func (it *fieldIter) next() (elem, bool) {
	if len(it.p) == 0 || it.err != nil {
		return elem{}, false
	}
	e, rest, err := next(it.p)
	switch {
	case err != nil:
		it.err = err
	case e.class != classContext:
		it.err = errStructure
	default:
		it.p = rest
		return e, true
	}
	return elem{}, false
}

// version checks pvno or msg-type.
func version(e elem, want uint32) bool {
	v, _, ok := explicitInteger(e)
	return ok && v == int64(want)
}

// kdcReq reads KDC-REQ: pvno [1], msg-type [2], padata [3] (not read),
// req-body [4].
func kdcReq(p []byte, msg *message) error {
	it := fieldIter{p: p}
	var vno, typ, body bool
	for e, ok := it.next(); ok; e, ok = it.next() {
		switch e.tag {
		case 1:
			vno = version(e, pvno)
		case 2:
			typ = version(e, msg.typ)
		case 4:
			if err := reqBody(e, msg); err != nil {
				return err
			}
			body = true
		}
	}
	switch {
	case it.err != nil:
		return it.err
	case !vno || !typ:
		return errVersion
	case !body:
		return errStructure
	}
	return nil
}

// reqBody reads KDC-REQ-BODY: cname [1], realm [2], etype [8]. The
// server's name [3], addresses [9] and the rest are not read.
func reqBody(e elem, msg *message) error {
	body, ok := explicit(e)
	if !ok || !body.is(classUniversal, true, tagSequence) {
		return errStructure
	}
	it := fieldIter{p: body.val}
	for f, ok := it.next(); ok; f, ok = it.next() {
		switch f.tag {
		case 1:
			msg.client = principalName(f)
		case 2:
			msg.realm, _ = kerberosString(f)
		case 8:
			list, ok := explicit(f)
			if !ok || !list.is(classUniversal, true, tagSequence) {
				return errStructure
			}
			msg.etypes = list.val
		}
	}
	return it.err
}

// kdcRep reads KDC-REP: pvno [0], msg-type [1], crealm [3], cname [4],
// ticket [5]. padata [2] and enc-part [6] are not read.
func kdcRep(p []byte, msg *message) error {
	it := fieldIter{p: p}
	var vno, typ bool
	for e, ok := it.next(); ok; e, ok = it.next() {
		switch e.tag {
		case 0:
			vno = version(e, pvno)
		case 1:
			typ = version(e, msg.typ)
		case 3:
			msg.realm, _ = kerberosString(e)
		case 4:
			msg.client = principalName(e)
		case 5:
			msg.ticketEtype = ticketEtype(e)
		}
	}
	if it.err != nil {
		return it.err
	}
	if !vno || !typ {
		return errVersion
	}
	return nil
}

// ticketEtype returns the INTEGER contents of a Ticket's enc-part etype:
// [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2],
// enc-part [3] EncryptedData { etype [0], kvno [1], cipher [2] } }.
func ticketEtype(e elem) []byte {
	app, ok := explicit(e)
	if !ok || !app.is(classApplication, true, 1) {
		return nil
	}
	seq, rest, err := next(app.val)
	if err != nil || len(rest) != 0 || !seq.is(classUniversal, true, tagSequence) {
		return nil
	}
	for p := seq.val; len(p) > 0; {
		f, rest, err := next(p)
		if err != nil {
			return nil
		}
		p = rest
		if !f.is(classContext, true, 3) {
			continue
		}
		enc, ok := explicit(f)
		if !ok || !enc.is(classUniversal, true, tagSequence) {
			return nil
		}
		et, _, err := next(enc.val)
		if err != nil || !et.is(classContext, true, 0) {
			return nil
		}
		if _, in, ok := explicitInteger(et); ok {
			return in.val
		}
		return nil
	}
	return nil
}

// krbError reads KRB-ERROR: pvno [0], msg-type [1], error-code [6] and
// the server's realm [9]. crealm and cname (the user's), e-text and
// e-data are not read.
func krbError(p []byte, msg *message) error {
	it := fieldIter{p: p}
	var vno, typ bool
	for e, ok := it.next(); ok; e, ok = it.next() {
		switch e.tag {
		case 0:
			vno = version(e, pvno)
		case 1:
			typ = version(e, msg.typ)
		case 6:
			if _, in, ok := explicitInteger(e); ok {
				msg.errorCode = in.val
			}
		case 9:
			msg.realm, _ = kerberosString(e)
		}
	}
	if it.err != nil {
		return it.err
	}
	if !vno || !typ {
		return errVersion
	}
	return nil
}

// principalName reads PrincipalName { name-type [0] Int32, name-string
// [1] SEQUENCE OF KerberosString }; present is false when it is not one.
func principalName(e elem) principal {
	var pr principal
	seq, ok := explicit(e)
	if !ok || !seq.is(classUniversal, true, tagSequence) {
		return pr
	}
	for p := seq.val; len(p) > 0; {
		f, rest, err := next(p)
		if err != nil {
			return principal{}
		}
		p = rest
		switch {
		case f.is(classContext, true, 0):
			pr.nameType, _, _ = explicitInteger(f)
		case f.is(classContext, true, 1):
			names, ok := explicit(f)
			if !ok || !names.is(classUniversal, true, tagSequence) {
				return principal{}
			}
			for q := names.val; len(q) > 0; {
				c, rest, err := next(q)
				if err != nil || !c.is(classUniversal, false, tagGeneralString) {
					return principal{}
				}
				q = rest
				if pr.n < len(pr.comps) {
					pr.comps[pr.n] = c.val
				}
				pr.n++
			}
			pr.present = pr.n > 0
		}
	}
	return pr
}

// Principal kinds.
const (
	kindMachine = "machine"
	kindUser    = "user"
)

// ntEnterprise is NT-ENTERPRISE (RFC 6806): one component "name@domain".
const ntEnterprise = 10

// classify tells a machine's principal from anyone else's and returns a
// machine's host name: a single component ending in '$' (the AD or Samba
// computer account, named without the '$') or host/<fqdn>. Every other
// principal is a user's, and its name is not returned.
func classify(pr principal) (kind string, host []byte) {
	switch {
	case pr.n == 1:
		c := pr.comps[0]
		if pr.nameType == ntEnterprise {
			if i := bytes.LastIndexByte(c, '@'); i >= 0 {
				c = c[:i]
			}
		}
		if len(c) > 1 && c[len(c)-1] == '$' && hostName(c[:len(c)-1], 63) {
			return kindMachine, c[:len(c)-1]
		}
	case pr.n == 2 && bytes.EqualFold(pr.comps[0], []byte("host")) && hostName(pr.comps[1], 253):
		return kindMachine, pr.comps[1]
	}
	return kindUser, nil
}

// hostName reports whether b looks like a computer or DNS name: letters,
// digits, '-', '_' and '.'. Anything else (a space, '@') is a person's
// account that merely ends in '$', or not a name at all: kept out.
func hostName(b []byte, max int) bool {
	if len(b) == 0 || len(b) > max {
		return false
	}
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

var messageNames = map[uint32]string{msgASReq: "as_req", msgASRep: "as_rep", msgTGSReq: "tgs_req", msgTGSRep: "tgs_rep", msgError: "krb_error"}

// emit reports msg about the packet's source: the client for requests,
// the KDC for replies and errors.
func (d *Dissector) emit(m *dissect.Meta, msg *message, e observe.Emitter) {
	o := &d.obs
	m.Fill(o, "kerberos")
	o.Add("kerberos.message", messageNames[msg.typ])
	switch msg.typ {
	case msgASReq, msgTGSReq:
		o.Add("kerberos.realm", d.text(msg.realm))
		if msg.client.present {
			kind, host := classify(msg.client)
			o.Add("kerberos.principal_type", kind)
			o.Add("kerberos.hostname", d.text(host))
		}
		list, weak := d.etypeList(msg.etypes)
		o.Add("kerberos.etypes", list)
		o.Add("kerberos.weak_etypes", weak)
	case msgASRep, msgTGSRep:
		o.Add("kerberos.role", "kdc")
		o.Add("kerberos.realm", d.text(msg.realm))
		if msg.client.present {
			// The reply is about the client it goes to, not the KDC.
			_, host := classify(msg.client)
			o.Add("kerberos.client_hostname", d.text(host))
		}
		o.Add("kerberos.ticket_etype", d.number(msg.ticketEtype))
	default:
		o.Add("kerberos.role", "kdc")
		o.Add("kerberos.error_code", d.number(msg.errorCode))
		o.Add("kerberos.realm", d.text(msg.realm))
	}
	e.Emit(o)
}

func (d *Dissector) text(v []byte) string { return dissect.Text(&d.texts, v, d.cfg.MaxValue) }

// number is the decimal text of INTEGER contents v ("" for none).
func (d *Dissector) number(v []byte) string {
	if s, ok := d.nums.Lookup(v); ok {
		return s
	}
	n, ok := integer(elem{class: classUniversal, tag: tagInteger, val: v})
	if !ok {
		return ""
	}
	s := strconv.FormatInt(n, 10)
	d.nums.Store(v, s)
	return s
}

// Weak etype sets, as emitted.
const (
	weakRC4    = "rc4"
	weakDES    = "des"
	weakRC4DES = "rc4,des"
)

// weakness classifies an etype: RC4 (RFC 4757's 23, its export variant
// 24, and Microsoft's pre-standard RC4 types -128...-141) and single DES
// (1-3, Microsoft's DES_PLAIN -132, Heimdal's -4096, -4098, -4099).
// RFC 6649 and RFC 8429 deprecate both.
func weakness(etype int64) (rc4, des bool) {
	switch etype {
	case 23, 24, -128, -129, -130, -131, -133, -134, -135, -136, -140, -141:
		return true, false
	case 1, 2, 3, -132, -4096, -4098, -4099:
		return false, true
	}
	return false, false
}

// etypeList turns the contents of an etype SEQUENCE OF Int32 into the
// decimal list, in the client's order (at most MaxEtypes), and the weak
// kinds it offers.
func (d *Dissector) etypeList(p []byte) (list, weak string) {
	var rc4, des bool
	d.buf = d.buf[:0]
	for n := 0; len(p) > 0; n++ {
		e, rest, err := next(p)
		if err != nil {
			break
		}
		p = rest
		v, ok := integer(e)
		if !ok {
			continue
		}
		r, s := weakness(v)
		rc4, des = rc4 || r, des || s
		if n < d.cfg.MaxEtypes {
			if len(d.buf) > 0 {
				d.buf = append(d.buf, ',')
			}
			d.buf = strconv.AppendInt(d.buf, v, 10)
		}
	}
	switch {
	case rc4 && des:
		weak = weakRC4DES
	case rc4:
		weak = weakRC4
	case des:
		weak = weakDES
	}
	return d.list(), weak
}

// list is d.buf as a string, remembered by the bytes it was built from:
// clients of one kind offer the same list every time.
func (d *Dissector) list() string {
	if len(d.buf) == 0 {
		return ""
	}
	if s, ok := d.lists.Lookup(d.buf); ok {
		return s
	}
	s := string(d.buf)
	d.lists.Store(d.buf, s)
	return s
}
