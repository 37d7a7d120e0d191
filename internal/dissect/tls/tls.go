// Package tls reads the cleartext part of TLS handshakes on any TCP port:
// the ClientHello (SNI, ALPN, offered versions, JA3 and JA4 fingerprints of
// the client stack), the ServerHello (negotiated version and cipher, JA3S)
// and, up to TLS 1.2, the certificates both sides present. Medical devices
// often authenticate with client certificates whose subjects name the
// manufacturer, model and serial number.
package tls

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Dissector recognises TLS by its first handshake record.
type Dissector struct {
	cfg config
	// Streams share the dissector's scratch and caches: one decoder
	// goroutine drives all of them, one call at a time.
	sc *scratch
}

// scratch is what streams need only during one call: the observation and
// parse under construction, and caches of values that recur across
// connections (the same hellos and certificates come back every time).
type scratch struct {
	obs     observe.Observation
	h       hello  // reused ClientHello/ServerHello parse
	buf     []byte // fingerprint strings under construction
	key     []byte // cache key under construction
	sorted  []uint16
	certs   *certCache
	hellos  map[string]clientPrint   // fingerprint inputs -> ClientHello fingerprints
	servers map[string]serverPrint   // JA3S string -> JA3S fingerprint
	texts   map[string]string        // wire bytes -> text() of them
	ciphers map[uint16]string        // suite -> tls.CipherSuiteName
	free    dissect.FreeList[stream] // finished streams, for reuse
}

// cacheMax bounds each cache: when full it starts over, which only costs
// recomputing.
const cacheMax = 1024

// newScratch returns empty scratch; the caches are made on first use.
func newScratch() *scratch { return &scratch{certs: &certCache{max: cacheMax}} }

// remember puts k -> v in the bounded cache *m, making it on first use.
func remember[K comparable, V any](m *map[K]V, k K, v V) {
	if *m == nil {
		*m = make(map[K]V)
	}
	if len(*m) >= cacheMax {
		clear(*m)
	}
	(*m)[k] = v
}

// New returns a TLS dissector with the default bounds.
func New() *Dissector { return &Dissector{cfg: defaultConfig(), sc: newScratch()} }

var _ dissect.TCPDissector = (*Dissector)(nil)

// Name is "tls".
func (*Dissector) Name() string { return "tls" }

// MatchTCP accepts a handshake record (0x16 0x03 0x00-0x04) carrying a
// ClientHello or ServerHello, whatever the ports.
func (*Dissector) MatchTCP(_, _ uint16, _ bool, p []byte) bool {
	return len(p) >= 6 && p[0] == recHandshake && p[1] == 3 && p[2] <= 4 &&
		(p[5] == hsClientHello || p[5] == hsServerHello)
}

// NewStream returns the per-connection state.
func (d *Dissector) NewStream() dissect.Stream {
	if d.sc == nil {
		d.sc = newScratch()
	}
	if s := d.sc.free.Get(); s != nil {
		hs0, hs1 := s.dir[0].hs[:0], s.dir[1].hs[:0]
		*s = stream{cfg: &d.cfg, clientDir: -1, sc: d.sc}
		s.dir[0].hs, s.dir[1].hs = hs0, hs1
		return s
	}
	return &stream{cfg: &d.cfg, clientDir: -1, sc: d.sc}
}

// maxKeepBuf bounds the buffer capacity a reused stream keeps.
const maxKeepBuf = 4 << 10

// release puts a finished stream on the free list. The decoder never calls
// a stream again once Data reported done; released guards against a caller
// that would, so a stream is never handed out twice.
func (s *stream) release() {
	s.released = true
	for i := range s.dir {
		if cap(s.dir[i].hs) > maxKeepBuf {
			s.dir[i].hs = nil
		}
	}
	s.sc.free.Put(s)
}

// Record content types and handshake message types.
const (
	recCCS       = 20
	recAlert     = 21
	recHandshake = 22
	recAppData   = 23

	hsClientHello       = 1
	hsServerHello       = 2
	hsCertificate       = 11
	hsCertificateStatus = 22
	hsServerHelloDone   = 14
	hsClientKeyExchange = 16

	maxRecord = 16384 + 2048
)

type direction struct {
	hdr     [5]byte
	hdrN    int
	recType byte
	recLeft int
	hs      []byte // handshake bytes not yet forming a whole message
	done    bool
	cut     bool // a hole cut the ClientHello in hs: its server name may be whole
}

type stream struct {
	cfg       *config
	sc        *scratch
	dir       [2]direction
	clientDir int // direction index that sent the ClientHello, -1 until seen
	tls13     bool
	released  bool // reported done and put on the free list
}

func idx(clientToServer bool) int {
	if clientToServer {
		return 0
	}
	return 1
}

// Gap ends the direction: records cannot be found again reliably. A
// ClientHello the hole cut (a capture's short snap length) is kept for
// flushCut: its server name often comes before the cut.
func (s *stream) Gap(clientToServer bool) {
	d := &s.dir[idx(clientToServer)]
	d.cut = !d.done && len(d.hs) > 4 && d.hs[0] == hsClientHello
	d.done = true
}

// flushCuts reads the server name of any ClientHello a hole cut; m is the
// direction di's.
func (s *stream) flushCuts(m *dissect.Meta, di int, e observe.Emitter) {
	for i := range s.dir {
		d := &s.dir[i]
		if !d.cut {
			continue
		}
		d.cut = false
		mm := *m
		if i != di {
			mm = m.Reverse()
		}
		if sni := partialSNI(d.hs[4:]); sni != nil {
			if s.clientDir < 0 {
				s.clientDir = i
			}
			sc := s.sc
			mm.Fill(&sc.obs, "tls")
			sc.obs.Add("tls.handshake", "client_hello")
			sc.obs.Add("tls.sni", sc.text(sni, s.cfg.MaxValue))
			sc.obs.Add("tls.truncated", "1") // no fingerprint: the hello is not whole
			e.Emit(&sc.obs)
		}
		d.hs = d.hs[:0]
	}
}

// partialSNI returns the server name of a ClientHello body that ends early,
// when the server_name extension lies whole before the end; JA3 and JA4
// need the whole hello and are not attempted.
func partialSNI(body []byte) []byte {
	r := reader{b: body}
	r.u16() // legacy version
	r.bytes(32)
	r.bytes(r.u8())  // session id
	r.bytes(r.u16()) // cipher suites
	r.bytes(r.u8())  // compression methods
	n := r.u16()
	if r.bad {
		return nil
	}
	ex := reader{b: r.b[:min(n, len(r.b))]}
	for i := 0; len(ex.b) >= 4 && i < 512; i++ {
		typ := ex.u16()
		data := reader{b: ex.bytes(ex.u16())}
		if ex.bad {
			return nil // the hole cut this extension
		}
		if typ != 0 {
			continue
		}
		list := reader{b: data.bytes(data.u16())}
		for len(list.b) >= 3 {
			kind := list.u8()
			name := list.bytes(list.u16())
			if kind == 0 && len(name) > 0 && !list.bad {
				return name
			}
		}
		return nil
	}
	return nil
}

// Data walks records and handshake messages. It reports done once both
// directions reached encrypted data (or a TLS 1.3 ServerHello was read).
func (s *stream) Data(m *dissect.Meta, clientToServer bool, data []byte, e observe.Emitter) bool {
	if s.released {
		return true
	}
	di := idx(clientToServer)
	d := &s.dir[di]
	if s.dir[0].cut || s.dir[1].cut {
		s.flushCuts(m, di, e)
	}
	for len(data) > 0 && !d.done && !s.tls13 {
		if d.recLeft == 0 {
			n := copy(d.hdr[d.hdrN:], data)
			d.hdrN += n
			data = data[n:]
			if d.hdrN < 5 {
				break
			}
			d.hdrN = 0
			typ, length := d.hdr[0], int(binary.BigEndian.Uint16(d.hdr[3:5]))
			if typ < recCCS || typ > recAppData || d.hdr[1] != 3 || length > maxRecord {
				d.done = true // SSLv2-style hello, or not TLS: ignore the rest
				break
			}
			if typ == recCCS || typ == recAppData {
				d.done = true // everything after is encrypted
				break
			}
			d.recType, d.recLeft = typ, length
			continue
		}
		n := min(d.recLeft, len(data))
		chunk := data[:n]
		data = data[n:]
		d.recLeft -= n
		if d.recType != recHandshake {
			continue // alerts: nothing to learn
		}
		if len(d.hs)+n > s.cfg.MaxHandshake {
			d.done = true
			break
		}
		if len(d.hs) > 0 {
			d.hs = append(d.hs, chunk...)
			off := s.messages(m, di, d.hs, e)
			k := copy(d.hs, d.hs[off:])
			d.hs = d.hs[:k]
			continue
		}
		// Nothing buffered: read whole messages in place, keep only the tail.
		off := s.messages(m, di, chunk, e)
		d.hs = append(d.hs, chunk[off:]...)
	}
	done := s.tls13 || (s.dir[0].done && s.dir[1].done)
	if done {
		s.release()
	}
	return done
}

// messages handles every complete handshake message at the start of hs
// and returns how many bytes they took.
func (s *stream) messages(m *dissect.Meta, di int, hs []byte, e observe.Emitter) int {
	d := &s.dir[di]
	off := 0
	for !d.done && len(hs)-off >= 4 {
		h := hs[off:]
		mlen := int(h[1])<<16 | int(h[2])<<8 | int(h[3])
		if 4+mlen > s.cfg.MaxHandshake {
			d.done = true
			break
		}
		if len(h) < 4+mlen {
			break
		}
		s.message(m, di, h[0], h[4:4+mlen], e)
		off += 4 + mlen
	}
	return off
}

func (s *stream) message(m *dissect.Meta, di int, typ byte, body []byte, e observe.Emitter) {
	d := &s.dir[di]
	switch typ {
	case hsClientHello:
		s.clientDir = di
		if s.sc.h.parse(body, true) == nil {
			s.emitClientHello(m, e)
		}
	case hsServerHello:
		if s.sc.h.parse(body, false) == nil {
			s.emitServerHello(m, e)
			if v := s.sc.h.selectedVersion(); v == 0x0304 || v>>8 == 0x7f {
				s.tls13 = true // the rest of the handshake is encrypted
			}
		}
	case hsCertificate:
		role := "server"
		if di == s.clientDir || (s.clientDir < 0 && di == 0) {
			role = "client"
		}
		s.certificates(m, body, role, e)
	case hsCertificateStatus:
		s.ocspCertificates(m, body, e)
	case hsServerHelloDone, hsClientKeyExchange:
		d.done = true // only the encrypted Finished follows
	}
}

// hello holds the parts of a Client/ServerHello the fingerprints need.
// Slices are reused between parses; names point into the message.
type hello struct {
	version  uint16
	ciphers  []uint16
	exts     []uint16
	groups   []uint16
	points   []uint8
	sigAlgs  []uint16
	versions []uint16
	alpn     [][]byte
	sni      []byte
	hasSNI   bool
	selVer   uint16 // ServerHello supported_versions
}

func (h *hello) reset() {
	*h = hello{ciphers: h.ciphers[:0], exts: h.exts[:0], groups: h.groups[:0], points: h.points[:0],
		sigAlgs: h.sigAlgs[:0], versions: h.versions[:0], alpn: h.alpn[:0]}
}

func (h *hello) selectedVersion() uint16 {
	if h.selVer != 0 {
		return h.selVer
	}
	return h.version
}

// reader reads big-endian fields, remembering the first shortage.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) u8() int {
	if len(r.b) < 1 {
		r.bad, r.b = true, nil
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return int(v)
}

func (r *reader) u16() int {
	if len(r.b) < 2 {
		r.bad, r.b = true, nil
		return 0
	}
	v := binary.BigEndian.Uint16(r.b)
	r.b = r.b[2:]
	return int(v)
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.bad, r.b = true, nil
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// parse reads a ClientHello (client) or ServerHello body.
func (h *hello) parse(body []byte, client bool) error {
	h.reset()
	r := reader{b: body}
	h.version = uint16(r.u16())
	r.bytes(32)
	// ServerHellos of TLS 1.3 drafts before 22 have no session id or compression.
	oldDraft := !client && h.version>>8 == 0x7f && h.version&0xff < 22
	if !oldDraft {
		r.bytes(r.u8())
	}
	if client {
		cs := reader{b: r.bytes(r.u16())}
		for len(cs.b) >= 2 {
			h.ciphers = append(h.ciphers, uint16(cs.u16()))
		}
		r.bytes(r.u8())
	} else {
		h.ciphers = append(h.ciphers, uint16(r.u16()))
		if !oldDraft {
			r.u8()
		}
	}
	if r.bad {
		return fmt.Errorf("tls hello: %w", dissect.ErrTruncated)
	}
	if len(r.b) < 2 {
		return nil // no extensions (SSLv3, old TLS)
	}
	ex := reader{b: r.bytes(r.u16())}
	for n := 0; len(ex.b) >= 4 && n < 512; n++ {
		typ := uint16(ex.u16())
		data := reader{b: ex.bytes(ex.u16())}
		if ex.bad {
			return fmt.Errorf("tls extension %d: %w", typ, dissect.ErrTruncated)
		}
		h.exts = append(h.exts, typ)
		switch typ {
		case 0:
			h.hasSNI = true
			list := reader{b: data.bytes(data.u16())}
			for len(list.b) >= 3 {
				kind := list.u8()
				name := list.bytes(list.u16())
				if kind == 0 && h.sni == nil {
					h.sni = name
				}
			}
		case 10:
			list := reader{b: data.bytes(data.u16())}
			for len(list.b) >= 2 {
				h.groups = append(h.groups, uint16(list.u16()))
			}
		case 11:
			for _, p := range data.bytes(data.u8()) {
				h.points = append(h.points, p)
			}
		case 13:
			list := reader{b: data.bytes(data.u16())}
			for len(list.b) >= 2 {
				h.sigAlgs = append(h.sigAlgs, uint16(list.u16()))
			}
		case 16:
			list := reader{b: data.bytes(data.u16())}
			for len(list.b) >= 1 && len(h.alpn) < 32 {
				if p := list.bytes(list.u8()); p != nil {
					h.alpn = append(h.alpn, p)
				}
			}
		case 43:
			if client {
				list := reader{b: data.bytes(data.u8())}
				for len(list.b) >= 2 {
					h.versions = append(h.versions, uint16(list.u16()))
				}
			} else {
				h.selVer = uint16(data.u16())
			}
		}
	}
	return nil
}

// grease reports the reserved GREASE values (RFC 8701) that fingerprints skip.
func grease(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// versionName names a protocol version as Ward reports it.
func versionName(v uint16) string {
	switch v {
	case 0x0304:
		return "1.3"
	case 0x0303:
		return "1.2"
	case 0x0302:
		return "1.1"
	case 0x0301:
		return "1.0"
	case 0x0300:
		return "ssl3"
	}
	if v>>8 == 0x7f {
		return fmt.Sprintf("1.3-draft%d", v&0xff)
	}
	return fmt.Sprintf("0x%04x", v)
}

// versionRank orders versions, TLS 1.3 drafts (0x7fNN) just below 1.3;
// unknown values rank lowest.
func versionRank(v uint16) int {
	switch {
	case v>>8 == 0x7f:
		return 0x0303<<8 | int(v&0xff)
	case v >= 0x0300 && v <= 0x0304:
		return int(v) << 8
	}
	return 0
}

// highestOffered is the best version the client offers: supported_versions
// when present, else the legacy client_version.
func (h *hello) highestOffered() uint16 {
	best := uint16(0)
	for _, v := range h.versions {
		if !grease(v) && versionRank(v) > versionRank(best) {
			best = v
		}
	}
	if best == 0 {
		best = h.version
	}
	return best
}

// clientPrint is what a ClientHello's fingerprint inputs yield.
type clientPrint struct{ ja3, ja3String, ja4 string }

// serverPrint is a ServerHello's JA3S.
type serverPrint struct{ ja3s, ja3sString string }

func (s *stream) emitClientHello(m *dissect.Meta, e observe.Emitter) {
	sc := s.sc
	h := &sc.h
	m.Fill(&sc.obs, "tls")
	o := &sc.obs
	o.Add("tls.handshake", "client_hello")
	if h.sni != nil {
		o.Add("tls.sni", sc.text(h.sni, s.cfg.MaxValue))
	}
	if len(h.alpn) > 0 {
		sc.buf = sc.buf[:0]
		for i, p := range h.alpn {
			if i > 0 {
				sc.buf = append(sc.buf, ',')
			}
			sc.buf = append(sc.buf, p...)
		}
		o.Add("tls.alpn", sc.text(sc.buf, s.cfg.MaxValue))
	}
	best := h.highestOffered()
	o.Add("tls.version", versionName(best))
	n := 0
	for _, c := range h.ciphers {
		if !grease(c) {
			n++
		}
	}
	o.Add("tls.cipher_suite_count", strconv.Itoa(n))
	fp := sc.clientPrint(best)
	o.Add("tls.ja3", fp.ja3)
	o.Add("tls.ja3_string", fp.ja3String)
	o.Add("tls.ja4", fp.ja4)
	e.Emit(o)
}

// clientPrint returns the JA3 and JA4 of the hello in sc.h, from the cache
// when an identical hello was seen: the key is the JA3 string followed by
// every other input of JA4.
func (sc *scratch) clientPrint(best uint16) clientPrint {
	h := &sc.h
	k := sc.ja3String(sc.key[:0])
	n := len(k)
	k = append(k, 0, byte(best>>8), byte(best), 0)
	if h.hasSNI {
		k[len(k)-1] = 1
	}
	if len(h.alpn) > 0 && len(h.alpn[0]) > 0 {
		p := h.alpn[0]
		k = append(k, 1, p[0], p[len(p)-1])
	} else {
		k = append(k, 0)
	}
	for _, v := range h.sigAlgs {
		k = append(k, byte(v>>8), byte(v))
	}
	sc.key = k
	if fp, ok := sc.hellos[string(k)]; ok {
		return fp
	}
	sum := md5.Sum(k[:n])
	fp := clientPrint{ja3: hex.EncodeToString(sum[:]), ja3String: string(k[:n]), ja4: sc.ja4(best)}
	remember(&sc.hellos, string(k), fp)
	return fp
}

// text is text() through a bounded cache keyed by the wire bytes, for
// values that recur (server names, ALPN lists).
func (sc *scratch) text(b []byte, max int) string {
	if v, ok := sc.texts[string(b)]; ok {
		return v
	}
	v := text(b, max)
	if len(b) <= 2*max {
		remember(&sc.texts, string(b), v)
	}
	return v
}

func appendList16(b []byte, vs []uint16) []byte {
	first := true
	for _, v := range vs {
		if grease(v) {
			continue
		}
		if !first {
			b = append(b, '-')
		}
		first = false
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	return b
}

// ja3String appends "version,ciphers,extensions,groups,point formats" in
// decimal, GREASE removed (Salesforce JA3, as Wireshark computes it), to b.
func (sc *scratch) ja3String(b []byte) []byte {
	h := &sc.h
	b = strconv.AppendUint(b, uint64(h.version), 10)
	b = append(b, ',')
	b = appendList16(b, h.ciphers)
	b = append(b, ',')
	b = appendList16(b, h.exts)
	b = append(b, ',')
	b = appendList16(b, h.groups)
	b = append(b, ',')
	for i, p := range h.points {
		if i > 0 {
			b = append(b, '-')
		}
		b = strconv.AppendUint(b, uint64(p), 10)
	}
	return b
}

// ja4Version is JA4's two-character version code.
func ja4Version(v uint16) string {
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0002:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

func alnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// ja4 computes the FoxIO JA4 client fingerprint (TCP):
// t<ver><sni><#ciphers><#exts><alpn>_<sha256(sorted ciphers)[:12]>_<sha256(sorted exts without SNI/ALPN + "_" + sig algs)[:12]>.
func (sc *scratch) ja4(best uint16) string {
	h := &sc.h
	var a [10]byte
	a[0] = 't'
	copy(a[1:3], ja4Version(best))
	a[3] = 'i'
	if h.hasSNI {
		a[3] = 'd'
	}
	nc, ne := 0, 0
	for _, c := range h.ciphers {
		if !grease(c) {
			nc++
		}
	}
	for _, x := range h.exts {
		if !grease(x) {
			ne++
		}
	}
	nc, ne = min(nc, 99), min(ne, 99)
	a[4], a[5] = byte('0'+nc/10), byte('0'+nc%10)
	a[6], a[7] = byte('0'+ne/10), byte('0'+ne%10)
	a[8], a[9] = '0', '0'
	if len(h.alpn) > 0 && len(h.alpn[0]) > 0 {
		p := h.alpn[0]
		f, l := p[0], p[len(p)-1]
		if alnum(f) && alnum(l) {
			a[8], a[9] = f, l
		} else {
			hx := hex.EncodeToString([]byte{f, l})
			a[8], a[9] = hx[0], hx[3]
		}
	}
	sc.sorted = sc.sorted[:0]
	for _, c := range h.ciphers {
		if !grease(c) {
			sc.sorted = append(sc.sorted, c)
		}
	}
	b := hash12(sc.hexList(sc.sorted, nil))
	sc.sorted = sc.sorted[:0]
	for _, x := range h.exts {
		if !grease(x) && x != 0 && x != 16 {
			sc.sorted = append(sc.sorted, x)
		}
	}
	c := "000000000000"
	if len(sc.sorted) > 0 {
		c = hash12(sc.hexList(sc.sorted, h.sigAlgs))
	}
	return string(a[:]) + "_" + b + "_" + c
}

// hexList sorts sorted in place and writes it as 4-digit hex joined by
// commas, followed by "_" and sigAlgs in their order when there are any.
func (sc *scratch) hexList(sorted, sigAlgs []uint16) []byte {
	slices.Sort(sorted)
	b := sc.buf[:0]
	for i, v := range sorted {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHex4(b, v)
	}
	first := true
	for _, v := range sigAlgs {
		if grease(v) {
			continue
		}
		if first {
			b = append(b, '_')
		} else {
			b = append(b, ',')
		}
		first = false
		b = appendHex4(b, v)
	}
	sc.buf = b
	return b
}

func appendHex4(b []byte, v uint16) []byte {
	const digits = "0123456789abcdef"
	return append(b, digits[v>>12], digits[v>>8&0xf], digits[v>>4&0xf], digits[v&0xf])
}

func hash12(b []byte) string {
	if len(b) == 0 {
		return "000000000000"
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

func (s *stream) emitServerHello(m *dissect.Meta, e observe.Emitter) {
	sc := s.sc
	h := &sc.h
	m.Fill(&sc.obs, "tls")
	o := &sc.obs
	o.Add("tls.handshake", "server_hello")
	o.Add("tls.version", versionName(h.selectedVersion()))
	if len(h.ciphers) > 0 {
		o.Add("tls.cipher", sc.cipherName(h.ciphers[0]))
	}
	if len(h.alpn) > 0 {
		o.Add("tls.alpn", sc.text(h.alpn[0], s.cfg.MaxValue))
	}
	b := strconv.AppendUint(sc.buf[:0], uint64(h.version), 10)
	b = append(b, ',')
	if len(h.ciphers) > 0 {
		b = strconv.AppendUint(b, uint64(h.ciphers[0]), 10)
	}
	b = append(b, ',')
	b = appendList16(b, h.exts)
	sc.buf = b
	fp, ok := sc.servers[string(b)]
	if !ok {
		sum := md5.Sum(b)
		fp = serverPrint{ja3s: hex.EncodeToString(sum[:]), ja3sString: string(b)}
		remember(&sc.servers, fp.ja3sString, fp)
	}
	o.Add("tls.ja3s", fp.ja3s)
	o.Add("tls.ja3s_string", fp.ja3sString)
	e.Emit(o)
}

// cipherName is tls.CipherSuiteName, which builds the suite lists on every
// call, remembered per suite.
func (sc *scratch) cipherName(id uint16) string {
	if v, ok := sc.ciphers[id]; ok {
		return v
	}
	v := tls.CipherSuiteName(id)
	remember(&sc.ciphers, id, v)
	return v
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
// done: only a cut ClientHello is left to read, and the stream can serve
// the next one. m runs client to server.
func (s *stream) End(m *dissect.Meta, e observe.Emitter) {
	if s.released {
		return
	}
	if (s.dir[0].cut || s.dir[1].cut) && m != nil {
		s.flushCuts(m, 0, e)
	}
	s.release()
}
