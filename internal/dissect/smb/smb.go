// Package smb reads the start of SMB1 and SMB2/3 conversations: the
// dialects offered and chosen, the Native OS and LAN Manager strings of
// SMB1 session setup, and the NTLMSSP messages of authentication, whose
// version field reveals the Windows build of each side and whose target
// information names the server. SMB1 in use is itself a finding (it is
// what EternalBlue-class worms spread over). User names and password
// hashes are never read out.
package smb

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Dissector recognises SMB over NetBIOS session service or direct TCP.
type Dissector struct {
	cfg config
	sc  scratch
}

// scratch is what streams need only during one call, shared by the
// dissector's streams (one decoder goroutine drives them in turn), and a
// cache of the values they emit: the same hosts negotiate the same way on
// every connection.
type scratch struct {
	obs    observe.Observation
	buf    []byte
	key    []byte
	cache  map[string]string
	offers map[string]*offer        // SMB1 dialect lists
	free   dissect.FreeList[stream] // finished streams, for reuse
}

// Conversions the cache remembers, keyed by kind, max and the input bytes.
const (
	kindText   = 't' // text(b, max)
	kindUTF16  = 'u' // utf16le(b, max)
	kindRaw    = 'r' // string(b)
	kindGUID   = 'g' // guid(b)
	kindNTLMVe = 'v' // ntlmVersion(b)

	cacheMax    = 1024 // entries; when full the cache starts over
	cacheMaxKey = 512  // longest input remembered
)

// get returns the kind conversion of b, from the cache when seen before.
func (sc *scratch) get(kind byte, b []byte, max int) string {
	if sc == nil {
		return convert(kind, b, max)
	}
	k := append(sc.key[:0], kind, byte(max>>24), byte(max>>16), byte(max>>8), byte(max))
	k = append(k, b...)
	sc.key = k
	if v, ok := sc.cache[string(k)]; ok {
		return v
	}
	v := convert(kind, b, max)
	if len(b) <= cacheMaxKey {
		if sc.cache == nil {
			sc.cache = make(map[string]string)
		}
		if len(sc.cache) >= cacheMax {
			clear(sc.cache)
		}
		sc.cache[string(k)] = v
	}
	return v
}

func convert(kind byte, b []byte, max int) string {
	switch kind {
	case kindText:
		return text(b, max)
	case kindUTF16:
		return utf16le(b, max)
	case kindGUID:
		return guid(b)
	case kindNTLMVe:
		return ntlmVersion(b)
	}
	return string(b)
}

// New returns an SMB dissector with the default bounds.
func New() *Dissector { return &Dissector{cfg: defaultConfig()} }

var _ dissect.TCPDissector = (*Dissector)(nil)

// Name is "smb".
func (*Dissector) Name() string { return "smb" }

// MatchTCP accepts a NetBIOS session message carrying an SMB1 (0xFF 'SMB')
// or SMB2 (0xFE 'SMB') header on any port, and NetBIOS session requests
// on port 139, which precede SMB there.
func (*Dissector) MatchTCP(srcPort, dstPort uint16, _ bool, p []byte) bool {
	if len(p) >= 8 && p[0] == 0 && (p[4] == 0xff || p[4] == 0xfe) && string(p[5:8]) == "SMB" {
		return true
	}
	return len(p) >= 4 && p[0] == 0x81 && (srcPort == 139 || dstPort == 139)
}

// NewStream returns the per-connection state.
func (d *Dissector) NewStream() dissect.Stream {
	if s := d.sc.free.Get(); s != nil {
		b0, b1 := s.dir[0].buf[:0], s.dir[1].buf[:0]
		*s = stream{cfg: &d.cfg, sc: &d.sc}
		s.dir[0].buf, s.dir[1].buf = b0, b1
		return s
	}
	return &stream{cfg: &d.cfg, sc: &d.sc}
}

// maxKeepBuf bounds the buffer capacity a reused stream keeps.
const maxKeepBuf = 4 << 10

// release puts a finished stream on the free list. The decoder never calls
// a stream again once Data reported done; released guards against a caller
// that would, so a stream is never handed out twice.
func (s *stream) release() {
	s.released = true
	for i := range s.dir {
		if cap(s.dir[i].buf) > maxKeepBuf {
			s.dir[i].buf = nil
		}
	}
	s.sc.free.Put(s)
}

type direction struct {
	hdr     [4]byte
	hdrN    int
	left    int  // bytes of the current NetBIOS message still to come
	skip    bool // current message is not buffered
	session bool // current message is an SMB session message
	buf     []byte
	msgs    int
	done    bool
}

type stream struct {
	cfg      *config
	sc       *scratch
	dir      [2]direction
	offered  []string // SMB1 dialect names the client offered, in order
	done     bool
	released bool // reported done and put on the free list
}

func idx(c2s bool) int {
	if c2s {
		return 0
	}
	return 1
}

// Gap ends the direction: NetBIOS framing cannot be found again reliably.
func (s *stream) Gap(clientToServer bool) { s.dir[idx(clientToServer)].done = true }

// Data frames NetBIOS messages and parses each whole SMB message. It
// reports done after the first session setup completes, on encryption,
// or at the message bound.
func (s *stream) Data(m *dissect.Meta, clientToServer bool, data []byte, e observe.Emitter) bool {
	if s.released {
		return true
	}
	done := s.data(m, clientToServer, data, e)
	if done {
		s.release()
	}
	return done
}

func (s *stream) data(m *dissect.Meta, clientToServer bool, data []byte, e observe.Emitter) bool {
	d := &s.dir[idx(clientToServer)]
	for len(data) > 0 && !d.done && !s.done {
		if d.left == 0 {
			n := copy(d.hdr[d.hdrN:], data)
			d.hdrN += n
			data = data[n:]
			if d.hdrN < 4 {
				break
			}
			d.hdrN = 0
			typ := d.hdr[0]
			length := int(d.hdr[1])<<16 | int(d.hdr[2])<<8 | int(d.hdr[3])
			switch typ {
			case 0x00:
			case 0x81, 0x82, 0x83, 0x84, 0x85:
				// NetBIOS session request/response/keepalive: nothing to learn.
			default:
				d.done = true // not NetBIOS framing: not SMB
				return s.finished()
			}
			if length == 0 {
				continue
			}
			d.left, d.session = length, typ == 0x00
			d.skip = !d.session || length > s.cfg.MaxMessage
			d.buf = d.buf[:0]
			continue
		}
		n := min(d.left, len(data))
		msg := data[:n]
		if !d.skip && (len(d.buf) > 0 || n < d.left) {
			// Only a message split across deliveries is copied.
			d.buf = append(d.buf, msg...)
			msg = d.buf
		}
		data = data[n:]
		d.left -= n
		if d.left > 0 {
			continue
		}
		if d.session {
			d.msgs++
			if !d.skip {
				s.message(m, msg, e)
			}
			if d.msgs >= s.cfg.MaxMessages {
				d.done = true
			}
		}
	}
	return s.finished()
}

func (s *stream) finished() bool {
	return s.done || (s.dir[0].done && s.dir[1].done)
}

func (s *stream) message(m *dissect.Meta, msg []byte, e observe.Emitter) {
	if len(msg) < 4 {
		return
	}
	switch {
	case msg[0] == 0xff && string(msg[1:4]) == "SMB":
		_ = s.smb1(m, msg, e)
	case msg[0] == 0xfe && string(msg[1:4]) == "SMB":
		// Compounded requests/responses follow each other via NextCommand.
		for n := 0; len(msg) >= 64 && n < 16; n++ {
			next := int(binary.LittleEndian.Uint32(msg[20:24]))
			one := msg
			if next > 0 && next < len(msg) {
				one = msg[:next]
			}
			_ = s.smb2(m, one, e)
			if next <= 0 || next >= len(msg) {
				break
			}
			msg = msg[next:]
		}
	case msg[0] == 0xfd && string(msg[1:4]) == "SMB":
		s.done = true // SMB3 encryption: nothing more in the clear
	}
}

const (
	statusMoreProcessing = 0xc0000016
	flags2Unicode        = 0x8000
	capExtendedSecurity  = 0x80000000
	ntlmFlagUnicode      = 0x00000001
	ntlmFlagVersion      = 0x02000000
)

func (s *stream) begin(m *dissect.Meta) *observe.Observation {
	m.Fill(&s.sc.obs, "smb")
	return &s.sc.obs
}

// smb1 reads SMB1 NEGOTIATE and SESSION_SETUP_ANDX.
func (s *stream) smb1(m *dissect.Meta, msg []byte, e observe.Emitter) error {
	if len(msg) < 35 {
		return fmt.Errorf("smb1 header: %w", dissect.ErrTruncated)
	}
	cmd := msg[4]
	status := binary.LittleEndian.Uint32(msg[5:9])
	reply := msg[9]&0x80 != 0
	unicode := binary.LittleEndian.Uint16(msg[10:12])&flags2Unicode != 0
	wc := int(msg[32])
	wordsEnd := 33 + 2*wc
	if len(msg) < wordsEnd+2 {
		return fmt.Errorf("smb1 parameters: %w", dissect.ErrTruncated)
	}
	words := msg[33:wordsEnd]
	bc := int(binary.LittleEndian.Uint16(msg[wordsEnd:]))
	bytesOff := wordsEnd + 2
	end := min(bytesOff+bc, len(msg))
	r := strReader{msg: msg[:end], off: bytesOff, unicode: unicode, sc: s.sc}
	switch cmd {
	case 0x72: // NEGOTIATE
		if !reply {
			s.smb1Offered(m, msg[bytesOff:end], e)
			return nil
		}
		return s.smb1NegotiateResponse(m, words, &r, e)
	case 0x73: // SESSION_SETUP_ANDX
		if wc == 0 {
			return nil // an error response
		}
		o := s.begin(m)
		o.Add("smb.version", "1")
		o.Add("smb.smbv1", "true")
		var blob []byte
		switch {
		case reply && wc == 4:
			blob = r.take(int(binary.LittleEndian.Uint16(words[6:8])))
		case !reply && wc == 12:
			blob = r.take(int(binary.LittleEndian.Uint16(words[14:16])))
		case !reply && wc == 13:
			r.take(int(binary.LittleEndian.Uint16(words[14:16])))
			r.take(int(binary.LittleEndian.Uint16(words[16:18])))
			r.str(0) // account name: never reported
			o.Add("smb.primary_domain", r.str(s.cfg.MaxValue))
		case !reply && wc == 10:
			r.take(int(binary.LittleEndian.Uint16(words[14:16])))
			r.str(0)
			o.Add("smb.primary_domain", r.str(s.cfg.MaxValue))
		}
		o.Add("smb.native_os", r.str(s.cfg.MaxValue))
		o.Add("smb.native_lanman", r.str(s.cfg.MaxValue))
		if reply && wc == 3 {
			o.Add("smb.primary_domain", r.str(s.cfg.MaxValue))
		}
		s.ntlm(o, blob)
		e.Emit(o)
		if reply && status != statusMoreProcessing {
			s.done = true // the session is set up: identity is known
		}
	}
	return nil
}

func (s *stream) smb1Offered(m *dissect.Meta, b []byte, e observe.Emitter) {
	of := s.sc.offer(b)
	s.offered = of.names // shared with the cache: never modified
	o := s.begin(m)
	o.Add("smb.dialects_offered", of.joined)
	e.Emit(o)
}

// offer is what an SMB1 NEGOTIATE request's dialect list yields.
type offer struct {
	names  []string // in order
	joined string   // smb.dialects_offered
}

// offer reads the dialect list b, from the cache when the same list was
// seen: clients offer the same dialects on every connection.
func (sc *scratch) offer(b []byte) *offer {
	if of, ok := sc.offers[string(b)]; ok {
		return of
	}
	key := b
	of := &offer{}
	sc.buf = sc.buf[:0]
	for len(b) > 1 && b[0] == 0x02 && len(of.names) < 32 {
		b = b[1:]
		i := 0
		for i < len(b) && b[i] != 0 {
			i++
		}
		name := text(b[:i], 64)
		of.names = append(of.names, name)
		if len(sc.buf) > 0 {
			sc.buf = append(sc.buf, ',')
		}
		sc.buf = append(sc.buf, name...)
		b = b[min(i+1, len(b)):]
	}
	of.joined = text(sc.buf, 1024)
	if len(key) <= cacheMaxKey {
		if sc.offers == nil {
			sc.offers = make(map[string]*offer)
		}
		if len(sc.offers) >= cacheMax {
			clear(sc.offers)
		}
		sc.offers[string(key)] = of
	}
	return of
}

func (s *stream) smb1NegotiateResponse(m *dissect.Meta, words []byte, r *strReader, e observe.Emitter) error {
	if len(words) < 2 {
		return fmt.Errorf("smb1 negotiate response: %w", dissect.ErrTruncated)
	}
	i := int(binary.LittleEndian.Uint16(words[0:2]))
	if i == 0xffff {
		return nil // no dialect in common
	}
	o := s.begin(m)
	o.Add("smb.version", "1")
	o.Add("smb.smbv1", "true")
	switch {
	case i < len(s.offered):
		o.Add("smb.dialect", s.offered[i])
	case len(words) == 34:
		o.Add("smb.dialect", "NT LM 0.12") // the only dialect answered with 17 words
	}
	if len(words) == 34 {
		caps := binary.LittleEndian.Uint32(words[19:23])
		if caps&capExtendedSecurity == 0 {
			r.take(int(words[33])) // challenge
			r.noAlign = true       // these two names follow the challenge unpadded
			o.Add("smb.primary_domain", r.str(s.cfg.MaxValue))
			o.Add("smb.server_name", r.str(s.cfg.MaxValue))
		} else {
			s.ntlm(o, r.rest()[min(16, len(r.rest())):])
		}
	}
	e.Emit(o)
	return nil
}

// smb2 reads SMB2 NEGOTIATE and SESSION_SETUP.
func (s *stream) smb2(m *dissect.Meta, msg []byte, e observe.Emitter) error {
	if len(msg) < 64 {
		return fmt.Errorf("smb2 header: %w", dissect.ErrTruncated)
	}
	status := binary.LittleEndian.Uint32(msg[8:12])
	cmd := binary.LittleEndian.Uint16(msg[12:14])
	reply := binary.LittleEndian.Uint32(msg[16:20])&1 != 0
	body := msg[64:]
	switch cmd {
	case 0: // NEGOTIATE
		o := s.begin(m)
		o.Add("smb.version", "2")
		if !reply {
			if len(body) < 36 {
				return fmt.Errorf("smb2 negotiate request: %w", dissect.ErrTruncated)
			}
			n := int(binary.LittleEndian.Uint16(body[2:4]))
			s.sc.buf = s.sc.buf[:0]
			for i := 0; i < n && 36+2*i+2 <= len(body) && i < 64; i++ {
				if i > 0 {
					s.sc.buf = append(s.sc.buf, ',')
				}
				s.sc.buf = appendDialect(s.sc.buf, binary.LittleEndian.Uint16(body[36+2*i:]))
			}
			o.Add("smb.dialects_offered", s.sc.get(kindRaw, s.sc.buf, 0))
			o.Add("smb.client_guid", s.sc.get(kindGUID, body[12:28], 0))
		} else {
			if len(body) < 24 || status != 0 {
				return nil
			}
			s.sc.buf = appendDialect(s.sc.buf[:0], binary.LittleEndian.Uint16(body[4:6]))
			o.Add("smb.dialect", s.sc.get(kindRaw, s.sc.buf, 0))
			o.Add("smb.server_guid", s.sc.get(kindGUID, body[8:24], 0))
		}
		e.Emit(o)
	case 1: // SESSION_SETUP
		var off, n int
		switch {
		case reply && len(body) >= 8:
			off, n = int(binary.LittleEndian.Uint16(body[4:6])), int(binary.LittleEndian.Uint16(body[6:8]))
		case !reply && len(body) >= 16:
			off, n = int(binary.LittleEndian.Uint16(body[12:14])), int(binary.LittleEndian.Uint16(body[14:16]))
		default:
			return fmt.Errorf("smb2 session setup: %w", dissect.ErrTruncated)
		}
		var blob []byte
		if off >= 64 && off+n <= len(msg) {
			blob = msg[off : off+n]
		}
		o := s.begin(m)
		o.Add("smb.version", "2")
		if s.ntlm(o, blob) {
			e.Emit(o)
		}
		if reply && status != statusMoreProcessing {
			s.done = true
		}
	}
	return nil
}

// appendDialect writes an SMB2 dialect revision as "3.1.1", "2.1", "2.???".
func appendDialect(b []byte, v uint16) []byte {
	if v == 0x02ff {
		return append(b, "2.???"...)
	}
	b = strconv.AppendUint(b, uint64(v>>8), 16)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(v>>4&0xf), 16)
	if v&0xf != 0 {
		b = append(b, '.')
		b = strconv.AppendUint(b, uint64(v&0xf), 16)
	}
	return b
}

// guid formats a little-endian GUID the Windows way.
func guid(b []byte) string {
	if len(b) < 16 {
		return ""
	}
	zero := true
	for _, c := range b[:16] {
		if c != 0 {
			zero = false
		}
	}
	if zero {
		return ""
	}
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x", binary.LittleEndian.Uint32(b[0:4]), binary.LittleEndian.Uint16(b[4:6]),
		binary.LittleEndian.Uint16(b[6:8]), b[8:10], b[10:16])
}

// ntlm finds an NTLMSSP message in a security blob (raw or inside SPNEGO)
// and adds what identifies the machines; it reports whether it found one.
func (s *stream) ntlm(o *observe.Observation, blob []byte) bool {
	i := indexNTLM(blob)
	if i < 0 {
		return false
	}
	p := blob[i:]
	if len(p) < 12 {
		return false
	}
	max := s.cfg.MaxValue
	switch binary.LittleEndian.Uint32(p[8:12]) {
	case 1: // NEGOTIATE
		o.Add("smb.ntlm_message", "negotiate")
		if len(p) >= 40 && binary.LittleEndian.Uint32(p[12:16])&ntlmFlagVersion != 0 && minPayloadOffset(p, 16, 24) >= 40 {
			o.Add("smb.ntlm_version", s.sc.get(kindNTLMVe, p[32:40], 0))
		}
	case 2: // CHALLENGE
		o.Add("smb.ntlm_message", "challenge")
		if len(p) < 48 {
			return true
		}
		flags := binary.LittleEndian.Uint32(p[20:24])
		uni := flags&ntlmFlagUnicode != 0
		o.Add("smb.ntlm_target_name", s.sc.ntlmString(secBuf(p, 12), uni, max))
		if len(p) >= 56 && flags&ntlmFlagVersion != 0 && minPayloadOffset(p, 12, 40) >= 56 {
			o.Add("smb.ntlm_version", s.sc.get(kindNTLMVe, p[48:56], 0))
		}
		s.targetInfo(o, secBuf(p, 40))
	case 3: // AUTHENTICATE
		o.Add("smb.ntlm_message", "authenticate")
		if len(p) < 64 {
			return true
		}
		flags := binary.LittleEndian.Uint32(p[60:64])
		uni := flags&ntlmFlagUnicode != 0
		o.Add("smb.ntlm_domain", s.sc.ntlmString(secBuf(p, 28), uni, max))
		o.Add("smb.ntlm_hostname", s.sc.ntlmString(secBuf(p, 44), uni, max))
		// The version is present when flagged and the payload starts after it.
		if len(p) >= 72 && flags&ntlmFlagVersion != 0 && minPayloadOffset(p, 12, 20, 28, 36, 44, 52) >= 72 {
			o.Add("smb.ntlm_version", s.sc.get(kindNTLMVe, p[64:72], 0))
		}
	default:
		return false
	}
	return true
}

func indexNTLM(b []byte) int {
	const sig = "NTLMSSP\x00"
	for i := 0; i+len(sig) <= len(b); i++ {
		if b[i] == 'N' && string(b[i:i+len(sig)]) == sig {
			return i
		}
	}
	return -1
}

// secBuf returns the payload a NTLM security buffer (len, maxlen, offset)
// at off points to, or nil when it points outside the message.
func secBuf(p []byte, off int) []byte {
	if off+8 > len(p) {
		return nil
	}
	n := int(binary.LittleEndian.Uint16(p[off:]))
	at := int(binary.LittleEndian.Uint32(p[off+4:]))
	if n == 0 || at < 0 || at > len(p) || n > len(p)-at {
		return nil
	}
	return p[at : at+n]
}

// minPayloadOffset is the lowest offset of the non-empty security buffers
// described at offs: the optional version field exists only before it.
func minPayloadOffset(p []byte, offs ...int) int {
	lowest := len(p)
	for _, off := range offs {
		if off+8 > len(p) {
			continue
		}
		if binary.LittleEndian.Uint16(p[off:]) == 0 {
			continue
		}
		if at := int(binary.LittleEndian.Uint32(p[off+4:])); at < lowest {
			lowest = at
		}
	}
	return lowest
}

func ntlmVersion(v []byte) string {
	return strconv.Itoa(int(v[0])) + "." + strconv.Itoa(int(v[1])) + "." + strconv.Itoa(int(binary.LittleEndian.Uint16(v[2:4])))
}

// targetInfo reads the AV pairs of a CHALLENGE: the server's names.
func (s *stream) targetInfo(o *observe.Observation, b []byte) {
	var nb, dns string
	for n := 0; len(b) >= 4 && n < 32; n++ {
		id := binary.LittleEndian.Uint16(b[0:2])
		l := int(binary.LittleEndian.Uint16(b[2:4]))
		if id == 0 || 4+l > len(b) {
			break
		}
		v := b[4 : 4+l]
		switch id {
		case 1:
			nb = s.sc.ntlmString(v, true, s.cfg.MaxValue)
			o.Add("smb.server_nb_name", nb)
		case 2:
			o.Add("smb.server_nb_domain", s.sc.ntlmString(v, true, s.cfg.MaxValue))
		case 3:
			dns = s.sc.ntlmString(v, true, s.cfg.MaxValue)
			o.Add("smb.server_dns_name", dns)
		case 4:
			o.Add("smb.server_dns_domain", s.sc.ntlmString(v, true, s.cfg.MaxValue))
		case 5:
			o.Add("smb.server_dns_tree", s.sc.ntlmString(v, true, s.cfg.MaxValue))
		}
		b = b[4+l:]
	}
	if dns != "" {
		o.Add("smb.server_name", dns)
	} else {
		o.Add("smb.server_name", nb)
	}
}

func (sc *scratch) ntlmString(b []byte, unicode bool, max int) string {
	if unicode {
		return sc.get(kindUTF16, b, max)
	}
	return sc.get(kindText, b, max)
}

// strReader reads SMB1 strings from the data bytes; Unicode strings are
// aligned to an even offset from the start of the SMB header.
type strReader struct {
	msg     []byte
	off     int
	unicode bool
	noAlign bool
	sc      *scratch // converts and caches; nil converts only
}

func (r *strReader) take(n int) []byte {
	if n < 0 || r.off+n > len(r.msg) {
		r.off = len(r.msg)
		return nil
	}
	b := r.msg[r.off : r.off+n]
	r.off += n
	return b
}

func (r *strReader) rest() []byte {
	if r.off >= len(r.msg) {
		return nil
	}
	return r.msg[r.off:]
}

// str reads one NUL-terminated string; max 0 skips it without converting.
func (r *strReader) str(max int) string {
	if r.off >= len(r.msg) {
		return ""
	}
	if !r.unicode {
		b := r.msg[r.off:]
		i := 0
		for i < len(b) && b[i] != 0 {
			i++
		}
		r.off += min(i+1, len(b))
		if max == 0 {
			return ""
		}
		return r.sc.get(kindText, b[:i], max)
	}
	if r.off%2 == 1 && !r.noAlign {
		r.off++
	}
	if r.off >= len(r.msg) {
		return ""
	}
	b := r.msg[r.off:]
	i := 0
	for i+1 < len(b) && (b[i] != 0 || b[i+1] != 0) {
		i += 2
	}
	r.off += min(i+2, len(b))
	if max == 0 {
		return ""
	}
	return r.sc.get(kindUTF16, b[:min(i, len(b))], max)
}

// utf16le decodes UTF-16LE text into a capped, trimmed value.
func utf16le(b []byte, max int) string {
	n := len(b) / 2
	if n > max {
		n = max
	}
	u := make([]uint16, n)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return text([]byte(string(utf16.Decode(u))), max)
}

// text makes wire bytes a printable value: trimmed, capped at max bytes on
// a rune boundary, valid UTF-8.
func text(b []byte, max int) string {
	s := strings.Trim(string(b), " \t\r\n\x00")
	if len(s) > max {
		s = s[:max]
		for i := 0; i < 3 && len(s) > 0; i++ {
			if r, _ := utf8.DecodeLastRuneInString(s); r != utf8.RuneError {
				break
			}
			s = s[:len(s)-1]
		}
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// End is called when the conversation ends before the stream reported
// done: nothing is left to emit, and the stream can serve the next one.
func (s *stream) End(*dissect.Meta, observe.Emitter) {
	if !s.released {
		s.release()
	}
}
