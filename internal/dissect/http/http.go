// Package http reads HTTP/1.x request and response headers on any TCP port:
// Host, User-Agent and Server banners name software and firmware, and
// authentication headers reveal devices that send credentials in the clear.
// Bodies are stepped over, except the device descriptions a device serves
// about itself (UPnP, WSD) and the printer attributes of IPP responses;
// credentials are never kept.
package http

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Dissector recognises HTTP/1.x conversations by their first bytes.
type Dissector struct {
	cfg config
	sc  scratch
}

// scratch is what streams need only while one message is read; streams
// share their dissector's, as one decoder goroutine drives them in turn.
type scratch struct {
	obs   observe.Observation
	val   []byte // folded header value
	texts map[string]textEntry
	lower map[string]string        // strings.ToLower of auth schemes
	free  dissect.FreeList[stream] // finished streams, for reuse
}

// textEntry is text(key, max).
type textEntry struct {
	max int
	v   string
}

// Bounds of the text cache: entries, and the longest value remembered.
const (
	textsMax    = 1024
	textsMaxKey = 512
)

// text is text(b, max), remembered: hosts, agents, servers and content
// types recur on every connection between the same devices. When the cache
// is full it starts over, which only costs conversions again.
func (sc *scratch) text(b []byte, max int) string {
	if e, ok := sc.texts[string(b)]; ok && e.max == max {
		return e.v
	}
	v := text(b, max)
	if len(b) <= textsMaxKey {
		if sc.texts == nil {
			sc.texts = make(map[string]textEntry)
		}
		if len(sc.texts) >= textsMax {
			clear(sc.texts)
		}
		sc.texts[string(b)] = textEntry{max, v}
	}
	return v
}

// toLower is strings.ToLower, remembered (schemes are few: "Basic", "Digest").
func (sc *scratch) toLower(v string) string {
	if l, ok := sc.lower[v]; ok {
		return l
	}
	l := strings.ToLower(v)
	if sc.lower == nil {
		sc.lower = make(map[string]string)
	}
	if len(sc.lower) >= textsMax {
		clear(sc.lower)
	}
	sc.lower[v] = l
	return l
}

// New returns an HTTP dissector with the default bounds.
func New() *Dissector { return &Dissector{cfg: defaultConfig()} }

var _ dissect.TCPDissector = (*Dissector)(nil)

// Name is "http".
func (*Dissector) Name() string { return "http" }

// MatchTCP accepts a payload that starts with a request line or an
// "HTTP/1." status line, whatever the ports.
func (*Dissector) MatchTCP(_, _ uint16, _ bool, payload []byte) bool {
	return isStartLine(skipCRLF(payload))
}

// NewStream returns the per-connection state.
func (d *Dissector) NewStream() dissect.Stream {
	if s := d.sc.free.Get(); s != nil {
		b0, b1 := s.dir[0].buf[:0], s.dir[1].buf[:0]
		*s = stream{cfg: &d.cfg, sc: &d.sc, reqDir: -1}
		s.dir[0].buf, s.dir[1].buf = b0, b1
		return s
	}
	return newStream(&d.cfg, &d.sc)
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

// knownMethods are accepted even when the request line is cut by a segment
// boundary before its "HTTP/1.x".
var knownMethods = [...]string{"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE",
	"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT", "SEARCH",
	"NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "M-SEARCH"}

func skipCRLF(p []byte) []byte {
	for len(p) > 0 && (p[0] == '\r' || p[0] == '\n') {
		p = p[1:]
	}
	return p
}

// isStartLine reports whether p begins with an HTTP/1.x status line or
// request line.
func isStartLine(p []byte) bool {
	if bytes.HasPrefix(p, []byte("HTTP/1.")) {
		return true
	}
	sp := methodLen(p)
	if sp == 0 {
		return false
	}
	// RFC 9112 lets a recipient split the request line on any run of
	// spaces; some clients (and evasion tests) send several.
	t := sp + 1
	for t < len(p) && t <= sp+64 && p[t] == ' ' {
		t++
	}
	if t >= len(p) || p[t] == ' ' || p[t] == '\r' || p[t] == '\n' {
		return false
	}
	line := p
	if i := bytes.IndexByte(p, '\n'); i >= 0 {
		line = p[:i]
	} else {
		// The line continues in the next segment: trust a known method.
		for _, m := range knownMethods {
			if string(p[:sp]) == m {
				return true
			}
		}
		return false
	}
	return bytes.Contains(line, []byte(" HTTP/1."))
}

// methodLen returns the length of an upper-case method token followed by a
// space, or 0.
func methodLen(p []byte) int {
	for i := 0; i < len(p) && i <= 20; i++ {
		c := p[i]
		switch {
		case c >= 'A' && c <= 'Z', c == '-' || c == '_':
		case c == ' ' && i > 0:
			return i
		default:
			return 0
		}
	}
	return 0
}

// Parsing states of one direction.
const (
	stStart     = iota // the next message must start here
	stResync           // after a gap: drop bytes until one starts with a message
	stHeaders          // inside a header block
	stBody             // stepping over remain body bytes
	stChunkSize        // reading a chunk-size line
	stChunkData        // stepping over remain chunk bytes
	stChunkEnd         // the CRLF after chunk data
	stTrailers         // trailer lines after the last chunk
	stDone             // nothing more to read in this direction
)

type direction struct {
	state   int
	buf     []byte // partial header block or chunk line, reused
	remain  int64
	skipped int64 // body bytes stepped over in the current message
	msgs    int
	bulk    bool       // ended by a body too large to step over
	desc    bool       // this body may be a device description: kept in body
	body    []byte     // a description's data so far, reused
	ipp     bool       // this body is an IPP response, read by ippr as it passes
	ippr    *ippReader // made at the first IPP response: most streams see none
	cut     int        // after a gap: buf[:cut] is the complete lines of a cut header block
}

type stream struct {
	cfg     *config
	sc      *scratch
	dir     [2]direction
	reqDir  int // index of the direction carrying requests, -1 until seen
	reqs    int
	resps   int
	tunnel  bool
	pending [16]byte // methods awaiting a response: 'H' HEAD, 'C' CONNECT, 'O' other
	pHead   int
	pLen    int
	// released: reported done and put on the free list
	released bool
}

func newStream(cfg *config, sc *scratch) *stream {
	return &stream{cfg: cfg, sc: sc, reqDir: -1}
}

func idx(clientToServer bool) int {
	if clientToServer {
		return 0
	}
	return 1
}

// Gap makes the direction wait for the next message start.
func (s *stream) Gap(clientToServer bool) {
	d := &s.dir[idx(clientToServer)]
	if d.state == stHeaders {
		// The complete lines before the hole are kept for flushCut.
		d.cut = bytes.LastIndexByte(d.buf, '\n') + 1
	}
	if d.state != stDone {
		d.state = stResync
		if d.cut == 0 {
			d.buf = d.buf[:0]
		}
	}
}

// flushCut reads the complete lines of a header block that a gap cut (a
// capture's short snap length, lost segments): its start line and whole
// header lines are as good as in a full block, the cut line is dropped.
// How the message's body was framed is unknown, so the direction then
// looks for the next message's start.
func (s *stream) flushCut(m *dissect.Meta, di int, e observe.Emitter) {
	d := &s.dir[di]
	block := d.buf[:d.cut]
	d.cut = 0
	if first, _ := nextLine(skipCRLF(block)); isStartLine(first) {
		s.message(m, di, block, e)
		d.desc, d.ipp, d.remain, d.body = false, false, 0, d.body[:0]
		if d.state != stDone {
			d.state = stResync
		}
	}
	d.buf = d.buf[:0]
}

// Data parses what arrived and reports done once both sides have given
// their headers up to the message bound, or bulk data or a tunnel follows.
func (s *stream) Data(m *dissect.Meta, clientToServer bool, data []byte, e observe.Emitter) bool {
	if s.released {
		return true
	}
	di := idx(clientToServer)
	d := &s.dir[di]
	if d.cut > 0 {
		s.flushCut(m, di, e)
	}
	for len(data) > 0 && d.state != stDone && !s.tunnel {
		data = s.step(m, di, data, e)
	}
	done := s.finished()
	if done {
		s.release()
	}
	return done
}

func (s *stream) finished() bool {
	if s.tunnel || (s.dir[0].state == stDone && s.dir[1].state == stDone) {
		return true
	}
	if s.reqDir < 0 {
		return false
	}
	req, resp := &s.dir[s.reqDir], &s.dir[1-s.reqDir]
	if resp.state == stDone && (resp.bulk || resp.msgs > 0) {
		return true
	}
	return req.state == stDone && s.resps >= s.reqs
}

// step consumes a prefix of data according to the state and returns the rest.
func (s *stream) step(m *dissect.Meta, di int, data []byte, e observe.Emitter) []byte {
	d := &s.dir[di]
	switch d.state {
	case stStart, stResync:
		p := skipCRLF(data)
		if len(p) == 0 {
			return nil
		}
		if isStartLine(p) || (d.state == stStart && len(p) < 8 && bytes.HasPrefix([]byte("HTTP/1."), p)) {
			d.state = stHeaders
			return p
		}
		if d.state == stStart {
			d.state = stDone // not HTTP (any more)
		}
		return nil
	case stHeaders:
		return s.headers(m, di, data, e)
	case stBody, stChunkData:
		n := int64(len(data))
		if n > d.remain {
			n = d.remain
		}
		if d.desc {
			if len(d.body)+int(n) > maxDescription {
				d.desc, d.body = false, d.body[:0] // too large for a description: stepped over
			} else {
				d.body = append(d.body, data[:n]...)
			}
		}
		if d.ipp && d.ippr.feed(data[:n]) {
			s.ippDescription(m, d.ippr, e)
		}
		d.remain -= n
		if d.remain == 0 {
			if d.state == stBody {
				s.endBody(m, d, e)
			} else {
				d.state = stChunkEnd
			}
		}
		return data[n:]
	case stChunkEnd:
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return nil
		}
		d.state = stChunkSize
		return data[i+1:]
	case stChunkSize, stTrailers:
		return s.chunkLine(m, d, data, e)
	}
	return nil
}

// chunkLine reads one line of chunked framing (size or trailer). The blank
// line after the trailers ends the message, and a chunked device
// description is read then.
func (s *stream) chunkLine(m *dissect.Meta, d *direction, data []byte, e observe.Emitter) []byte {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		if len(d.buf)+len(data) > 1024 {
			d.state = stDone
			return nil
		}
		d.buf = append(d.buf, data...)
		return nil
	}
	line := data[:i]
	if len(d.buf) > 0 {
		if len(d.buf)+i > 1024 {
			d.state = stDone
			return nil
		}
		d.buf = append(d.buf, line...)
		line = d.buf
	}
	line = bytes.TrimRight(line, "\r")
	rest := data[i+1:]
	if d.state == stTrailers {
		d.buf = d.buf[:0]
		if len(line) == 0 {
			s.endBody(m, d, e)
		}
		return rest
	}
	size, ok := parseHex(line)
	d.buf = d.buf[:0]
	switch {
	case !ok:
		d.state = stDone
	case size == 0:
		d.state = stTrailers
	default:
		d.skipped += size
		if d.skipped > s.cfg.MaxBodySkip && !(d.ipp && d.skipped <= maxIPP) {
			d.state, d.bulk = stDone, true
			return nil
		}
		d.state, d.remain = stChunkData, size
	}
	return rest
}

func parseHex(b []byte) (int64, bool) {
	b = bytes.TrimSpace(b)
	var v int64
	n := 0
	for _, c := range b {
		var x byte
		switch {
		case c >= '0' && c <= '9':
			x = c - '0'
		case c >= 'a' && c <= 'f':
			x = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			x = c - 'A' + 10
		case c == ';' || c == ' ' || c == '\t':
			return v, n > 0
		default:
			return 0, false
		}
		if n >= 15 {
			return 0, false
		}
		v = v<<4 | int64(x)
		n++
	}
	return v, n > 0
}

// endBody ends a message's body, with either framing: a device description
// kept from it is read now.
func (s *stream) endBody(m *dissect.Meta, d *direction, e observe.Emitter) {
	if d.desc {
		s.description(m, d.body, e)
		d.desc, d.body = false, d.body[:0]
	}
	s.endMessage(d)
}

// endMessage readies the direction for the next message, or ends it at the bound.
func (s *stream) endMessage(d *direction) {
	d.skipped = 0
	if d.msgs >= s.cfg.MaxMessages {
		d.state = stDone
		return
	}
	d.state = stStart
}

// headerEnd returns the offset just past the blank line ending a header
// block, or -1.
func headerEnd(b []byte, from int) int {
	for i := from; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j
		if i+1 < len(b) && b[i+1] == '\n' {
			return i + 2
		}
		if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' {
			return i + 3
		}
		i++
	}
	return -1
}

func (s *stream) headers(m *dissect.Meta, di int, data []byte, e observe.Emitter) []byte {
	d := &s.dir[di]
	if len(d.buf) == 0 {
		if end := headerEnd(data, 0); end >= 0 {
			s.message(m, di, data[:end], e)
			return data[end:]
		}
	}
	old := len(d.buf)
	take := data
	if room := s.cfg.MaxHeaderBytes - old; len(take) > room {
		take = take[:max(room, 0)]
	}
	d.buf = append(d.buf, take...)
	if end := headerEnd(d.buf, max(old-3, 0)); end >= 0 {
		consumed := end - old
		s.message(m, di, d.buf[:end], e)
		d.buf = d.buf[:0]
		return data[consumed:]
	}
	if len(d.buf) >= s.cfg.MaxHeaderBytes {
		// An oversized header block: read what we have and stop here.
		s.message(m, di, d.buf, e)
		d.buf = d.buf[:0]
		d.state = stDone
		return nil
	}
	return nil
}

// msgInfo gathers what decides the body framing.
type msgInfo struct {
	request   bool
	head      bool // request method HEAD, or a response to one
	connect   bool
	status    int
	length    int64 // -1 unknown
	chunked   bool
	upgrade   bool
	badLength bool
	xml       bool // the body is XML (a device description, maybe)
	ipp       bool // the body is an IPP message
}

// message parses one complete header block, emits its observation and
// sets the direction up for the body.
func (s *stream) message(m *dissect.Meta, di int, block []byte, e observe.Emitter) {
	d := &s.dir[di]
	d.msgs++
	first, rest := nextLine(skipCRLF(block))
	mi := msgInfo{length: -1}
	m.Fill(&s.sc.obs, "http")
	o := &s.sc.obs
	if bytes.HasPrefix(first, []byte("HTTP/1.")) {
		mi.status = parseStatus(first)
		if mi.status >= 200 || mi.status == 0 {
			s.resps++ // an interim 1xx answers nothing yet
		} else if mi.status != 101 {
			// Nor does it count toward MaxMessages: IPP clients ask for a
			// 100 Continue before every request. The byte cutoff still bounds it.
			d.msgs--
		}
		o.Add("http.version", s.sc.text(first[5:min(8, len(first))], 8))
		if mi.status > 0 {
			o.Add("http.status", s.sc.text(first[9:12], 3))
		}
		if mi.status >= 200 || mi.status == 0 {
			kind := s.popPending()
			mi.head, mi.connect = kind == 'H', kind == 'C'
		}
	} else {
		mi.request = true
		s.reqs++
		if s.reqDir < 0 {
			s.reqDir = di
		}
		s.requestLine(o, first, &mi)
	}
	s.eachHeader(rest, func(name, value []byte) { s.header(o, &mi, name, value) })
	e.Emit(o)
	s.frame(d, &mi)
}

func (s *stream) requestLine(o *observe.Observation, line []byte, mi *msgInfo) {
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return
	}
	method := line[:sp]
	target := bytes.TrimLeft(line[sp+1:], " ")
	version := []byte(nil)
	if i := bytes.LastIndex(target, []byte(" HTTP/")); i >= 0 {
		version = target[i+6:]
		target = target[:i]
	}
	target = bytes.TrimSpace(target)
	if i := bytes.IndexAny(target, "?#"); i >= 0 {
		target = target[:i] // the query may carry identifiers or tokens
	}
	mi.head = string(method) == "HEAD"
	mi.connect = string(method) == "CONNECT"
	kind := byte('O')
	if mi.head {
		kind = 'H'
	} else if mi.connect {
		kind = 'C'
	}
	s.pushPending(kind)
	o.Add("http.method", s.sc.text(method, 20))
	o.Add("http.uri", s.sc.text(target, s.cfg.MaxValue))
	o.Add("http.version", s.sc.text(version, 8))
}

func parseStatus(line []byte) int {
	if len(line) < 12 || line[8] != ' ' {
		return 0
	}
	v := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return 0
		}
		v = v*10 + int(c-'0')
	}
	return v
}

func (s *stream) pushPending(kind byte) {
	if s.pLen == len(s.pending) {
		return
	}
	s.pending[(s.pHead+s.pLen)%len(s.pending)] = kind
	s.pLen++
}

func (s *stream) popPending() byte {
	if s.pLen == 0 {
		return 'O'
	}
	k := s.pending[s.pHead]
	s.pHead = (s.pHead + 1) % len(s.pending)
	s.pLen--
	return k
}

// frame sets the direction's state for the body that follows the headers.
func (s *stream) frame(d *direction, mi *msgInfo) {
	d.skipped, d.desc, d.body, d.ipp = 0, false, d.body[:0], false
	if !mi.request && (mi.status == 101 || (mi.connect && mi.status >= 200 && mi.status < 300) || mi.upgrade && mi.status == 101) {
		s.tunnel = true // the connection now speaks something else
		return
	}
	if d.msgs >= s.cfg.MaxMessages {
		d.state = stDone
		return
	}
	noBody := mi.request && !mi.chunked && mi.length <= 0
	if !mi.request && (mi.head || mi.status/100 == 1 || mi.status == 204 || mi.status == 304) {
		noBody = true
	}
	switch {
	case noBody:
		d.state = stStart
	case mi.chunked:
		d.state = stChunkSize
		// Embedded web servers often send their description chunked, and
		// CUPS its IPP responses.
		d.desc = !mi.request && mi.xml && mi.status == 200
		if d.ipp = !mi.request && mi.ipp && mi.status == 200; d.ipp {
			d.readIPP()
		}
	case !mi.request && mi.xml && mi.status == 200 && !mi.badLength && mi.length > 0 && mi.length <= maxDescription:
		d.state, d.remain, d.desc = stBody, mi.length, true
	case !mi.request && mi.ipp && mi.status == 200 && !mi.badLength && mi.length > 0 && mi.length <= maxIPP:
		// Requests are never read: they carry the document and the user's name.
		d.state, d.remain, d.ipp = stBody, mi.length, true
		d.readIPP()
	case mi.length >= 0 && !mi.badLength:
		if mi.length > s.cfg.MaxBodySkip {
			d.state, d.bulk = stDone, true
			return
		}
		d.state, d.remain = stBody, mi.length
		if mi.length == 0 {
			s.endMessage(d)
		}
	default:
		// A response delimited by the connection closing: nothing follows.
		d.state, d.bulk = stDone, true
	}
}

func nextLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return bytes.TrimRight(b, "\r"), nil
	}
	return bytes.TrimRight(b[:i], "\r"), b[i+1:]
}

// eachHeader calls fn for every header with obs-fold continuation lines
// joined by one space. The value slice is only valid during the call.
func (s *stream) eachHeader(b []byte, fn func(name, value []byte)) {
	var name []byte
	s.sc.val = s.sc.val[:0]
	flush := func() {
		if name != nil {
			fn(name, bytes.TrimSpace(s.sc.val))
		}
		name, s.sc.val = nil, s.sc.val[:0]
	}
	for n := 0; len(b) > 0 && n < 512; n++ {
		var line []byte
		line, b = nextLine(b)
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if name != nil {
				s.sc.val = append(s.sc.val, ' ')
				s.sc.val = append(s.sc.val, bytes.TrimSpace(line)...)
			}
			continue
		}
		flush()
		c := bytes.IndexByte(line, ':')
		if c <= 0 {
			continue // not a header; tolerated
		}
		name = bytes.TrimRight(line[:c], " \t")
		s.sc.val = append(s.sc.val, bytes.TrimSpace(line[c+1:])...)
	}
	flush()
}

func (s *stream) header(o *observe.Observation, mi *msgInfo, name, value []byte) {
	max := s.cfg.MaxValue
	switch {
	case eq(name, "content-length"):
		v, ok := parseDec(value)
		if !ok {
			mi.badLength = true
		}
		mi.length = v
	case eq(name, "transfer-encoding"):
		if dissect.ContainsFold(value, "chunked") {
			mi.chunked = true
		}
	case eq(name, "upgrade"):
		mi.upgrade = true
	case eq(name, "content-type"):
		o.Add("http.content_type", s.sc.text(value, max))
		mi.xml = dissect.ContainsFold(value, "xml")
		mi.ipp = isIPP(value)
	case mi.request && eq(name, "host"):
		o.Add("http.host", s.sc.text(value, max))
	case mi.request && eq(name, "user-agent"):
		o.Add("http.user_agent", s.sc.text(value, max))
	case mi.request && (eq(name, "via") || eq(name, "x-forwarded-for") || eq(name, "forwarded")):
		// A proxy sent this request on: its User-Agent and Host are the
		// client's. The addresses in these headers are not kept.
		if _, ok := o.Get("http.forwarded"); !ok {
			o.Add("http.forwarded", "1")
		}
	case mi.request && (eq(name, "authorization") || eq(name, "proxy-authorization")):
		scheme := value
		if i := bytes.IndexAny(value, " \t"); i >= 0 {
			scheme = value[:i]
		}
		sc := s.sc.toLower(s.sc.text(scheme, 32))
		o.Add("http.auth_scheme", sc)
		if sc == "basic" {
			o.Add("http.cleartext_credentials", "basic")
		}
	case !mi.request && eq(name, "server"):
		o.Add("http.server", s.sc.text(value, max))
	case !mi.request && eq(name, "x-powered-by"):
		o.Add("http.x_powered_by", s.sc.text(value, max))
	case !mi.request && eq(name, "location"):
		o.Add("http.location", s.sc.text(value, max))
	case !mi.request && (eq(name, "www-authenticate") || eq(name, "proxy-authenticate")):
		if _, ok := o.Get("http.auth_scheme"); ok {
			return // the first challenge names the scheme
		}
		scheme := value
		if i := bytes.IndexAny(value, " \t,"); i >= 0 {
			scheme = value[:i]
		}
		o.Add("http.auth_scheme", s.sc.toLower(s.sc.text(scheme, 32)))
		o.Add("http.www_authenticate_realm", s.sc.text(realm(value), max))
	}
}

// realm returns the realm parameter of an authentication challenge.
func realm(v []byte) []byte {
	for i := 0; i+5 <= len(v); i++ {
		if !bytes.EqualFold(v[i:i+5], []byte("realm")) {
			continue
		}
		if i > 0 && v[i-1] != ' ' && v[i-1] != ',' && v[i-1] != '\t' {
			continue
		}
		p := bytes.TrimLeft(v[i+5:], " \t")
		if len(p) == 0 || p[0] != '=' {
			continue
		}
		p = bytes.TrimLeft(p[1:], " \t")
		if len(p) > 0 && p[0] == '"' {
			p = p[1:]
			if j := bytes.IndexByte(p, '"'); j >= 0 {
				return p[:j]
			}
			return p
		}
		if j := bytes.IndexAny(p, ", \t"); j >= 0 {
			return p[:j]
		}
		return p
	}
	return nil
}

// readIPP readies the direction's IPP reader for a response body.
func (d *direction) readIPP() {
	if d.ippr == nil {
		d.ippr = new(ippReader)
	}
	d.ippr.reset()
}

// isIPP reports whether a Content-Type is application/ipp.
func isIPP(ct []byte) bool {
	if i := bytes.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return eq(bytes.TrimSpace(ct), "application/ipp")
}

func eq(name []byte, lower string) bool { return bytes.EqualFold(name, []byte(lower)) }

func parseDec(b []byte) (int64, bool) {
	if i := bytes.IndexByte(b, ','); i >= 0 {
		b = bytes.TrimSpace(b[:i]) // repeated identical values are allowed
	}
	if len(b) == 0 || len(b) > 18 {
		return -1, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// text makes wire bytes a printable value: trimmed, capped at max bytes on
// a rune boundary, valid UTF-8.
func text(b []byte, max int) string {
	b = bytes.Trim(b, " \t\r\n\x00")
	if len(b) > max {
		b = b[:max]
		// Drop a rune the cut split (at most 3 bytes of it).
		for i := 0; i < 3 && len(b) > 0; i++ {
			if r, _ := utf8.DecodeLastRune(b); r != utf8.RuneError {
				break
			}
			b = b[:len(b)-1]
		}
	}
	// A bad byte inside becomes U+FFFD, 3 bytes: cut again at a rune.
	return dissect.Cap(strings.ToValidUTF8(string(b), "\uFFFD"), max)
}

// End is called when the conversation ends before the stream reported
// done: nothing is left to emit, and the stream can serve the next one.
func (s *stream) End(m *dissect.Meta, e observe.Emitter) {
	if s.released {
		return
	}
	// A header block cut just before the conversation ended.
	if s.dir[0].cut > 0 {
		s.flushCut(m, 0, e)
	}
	if s.dir[1].cut > 0 {
		rm := m.Reverse()
		s.flushCut(&rm, 1, e)
	}
	s.release()
}
