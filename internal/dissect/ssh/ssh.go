// Package ssh reads the cleartext start of an SSH conversation on any TCP
// port: each side's identification string (RFC 4253 §4.2, "SSH-2.0-
// OpenSSH_7.4 comments") and its first binary packet, the KEXINIT, from
// which it computes HASSH (client) and HASSHServer: the MD5 of the key
// exchange, cipher, MAC and compression lists, a fingerprint of the SSH
// implementation that holds when the banner is edited. Everything after
// the key exchange is encrypted; the stream stops there.
//
// The identification string names the software and its version (OpenSSH,
// Dropbear, Cisco, libssh...), which is what vulnerability matching needs:
// embedded medical and network devices ship old Dropbear and OpenSSH.
package ssh

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Bounds. RFC 4253 caps the identification line at 255 bytes; a server may
// send other lines before it. The KEXINIT of real implementations is 1–2 KiB.
const (
	maxLine       = 255
	maxPreLines   = 16
	maxPreBytes   = 4096
	maxKexInit    = 16 << 10
	msgKexInit    = 20
	kexCookieSize = 16
)

// Dissector reads SSH identification strings and KEXINITs.
type Dissector struct {
	obs  observe.Observation
	strs observe.Interner
	buf  []byte
	bufs dissect.BufPool
}

// New returns an SSH dissector.
func New() *Dissector { return &Dissector{} }

var _ dissect.TCPDissector = (*Dissector)(nil)

// Name is "ssh".
func (*Dissector) Name() string { return "ssh" }

// MatchTCP recognises SSH by its identification string on any port. Either
// side may speak first.
func (*Dissector) MatchTCP(_, _ uint16, _ bool, p []byte) bool {
	return len(p) >= 8 && string(p[:4]) == "SSH-" && (string(p[4:8]) == "2.0-" || string(p[4:8]) == "1.99" || string(p[4:7]) == "1.5")
}

// NewStream starts one conversation.
func (d *Dissector) NewStream() dissect.Stream {
	s := &stream{d: d}
	for i := range s.dir {
		s.dir[i].buf = d.bufs.Get()
	}
	return s
}

type phase uint8

const (
	phBanner phase = iota // reading lines up to the identification string
	phKex                 // reading the first binary packet
	phDone                // nothing more to read in this direction
)

type side struct {
	phase   phase
	buf     []byte // the partial line or packet
	lines   int    // lines read before the identification string
	read    int    // bytes read before it
	version []byte // the identification string, without CR LF (owned copy)
	hassh   [16]byte
	kex     bool // hassh holds a digest
	sent    bool // this side's observation was emitted
}

type stream struct {
	d   *Dissector
	dir [2]side // index 0: client to server
}

var _ dissect.Ender = (*stream)(nil)

func idx(clientToServer bool) int {
	if clientToServer {
		return 0
	}
	return 1
}

// Data reads one direction's bytes and reports done once both sides have
// given their identification and KEXINIT, or given up.
func (s *stream) Data(m *dissect.Meta, clientToServer bool, data []byte, e observe.Emitter) bool {
	i := idx(clientToServer)
	sd := &s.dir[i]
	for len(data) > 0 && sd.phase != phDone {
		switch sd.phase {
		case phBanner:
			data = s.banner(sd, data)
		case phKex:
			data = s.kexInit(sd, i, data)
		}
	}
	if sd.phase == phDone && !sd.sent {
		s.emit(m, sd, i, e)
	}
	if s.dir[0].phase == phDone && s.dir[1].phase == phDone {
		s.release()
		return true
	}
	return false
}

// banner consumes lines until the identification string.
func (s *stream) banner(sd *side, data []byte) []byte {
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		if len(sd.buf)+len(data) > maxLine+2 {
			sd.phase = phDone // a line longer than any SSH line: not SSH, or lost
			return nil
		}
		sd.buf = append(sd.buf, data...)
		return nil
	}
	line := data[:nl]
	if len(sd.buf) > 0 {
		if len(sd.buf)+len(line) > maxLine+2 {
			sd.phase = phDone
			return nil
		}
		sd.buf = append(sd.buf, line...)
		line = sd.buf
	}
	rest := data[nl+1:]
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if bytes.HasPrefix(line, []byte("SSH-")) {
		if len(line) > maxLine || !dissect.PrintableASCII(line) {
			sd.phase = phDone
		} else {
			sd.version = append(sd.version[:0], line...)
			sd.phase = phKex
			if version1(line) {
				sd.phase = phDone // SSH-1 has no KEXINIT to read
			}
		}
		sd.buf = sd.buf[:0]
		return rest
	}
	sd.lines++
	sd.read += len(line) + 1
	sd.buf = sd.buf[:0]
	if sd.lines > maxPreLines || sd.read > maxPreBytes {
		sd.phase = phDone
		return nil
	}
	return rest
}

// version1 reports an SSH-1-only identification ("SSH-1.5-"); 1.99 means a
// server that speaks both, and its KEXINIT follows as in SSH-2.
func version1(line []byte) bool {
	return bytes.HasPrefix(line, []byte("SSH-1.")) && !bytes.HasPrefix(line, []byte("SSH-1.99-"))
}

// kexInit buffers the first binary packet (its 4-byte length, then the
// rest) and digests it. What follows is the key exchange and ciphertext.
func (s *stream) kexInit(sd *side, dir int, data []byte) []byte {
	if len(sd.buf) < 4 {
		take := min(4-len(sd.buf), len(data))
		sd.buf = append(sd.buf, data[:take]...)
		if data = data[take:]; len(sd.buf) < 4 {
			return data
		}
	}
	plen := int(binary.BigEndian.Uint32(sd.buf))
	if plen < 1+1+kexCookieSize || plen > maxKexInit {
		sd.phase = phDone // not a binary packet, or not one Ward will buffer
		return nil
	}
	need := 4 + plen
	sd.buf = append(sd.buf, data[:min(need-len(sd.buf), len(data))]...)
	if len(sd.buf) < need {
		return nil
	}
	sd.kex = hassh(sd.buf[4:need], dir == 0, &sd.hassh, &s.d.buf)
	sd.phase, sd.buf = phDone, sd.buf[:0]
	return nil
}

// hassh digests a KEXINIT packet (padding length, payload, padding) into
// out: client side kex;enc;mac;cmp client-to-server, server side the
// server-to-client lists. It reports false for anything but a KEXINIT.
// scratch holds the digest input, reused across calls.
func hassh(pkt []byte, client bool, out *[16]byte, scratch *[]byte) bool {
	if len(pkt) < 1 {
		return false
	}
	pad := int(pkt[0])
	if pad >= len(pkt) {
		return false
	}
	p := pkt[1 : len(pkt)-pad]
	if len(p) < 1+kexCookieSize || p[0] != msgKexInit {
		return false
	}
	p = p[1+kexCookieSize:]
	var lists [8][]byte // kex, host key, enc c2s, enc s2c, mac c2s, mac s2c, cmp c2s, cmp s2c
	for i := range lists {
		if len(p) < 4 {
			return false
		}
		n := int(binary.BigEndian.Uint32(p))
		if n > len(p)-4 {
			return false
		}
		lists[i], p = p[4:4+n], p[4+n:]
	}
	enc, mac, cmp := lists[2], lists[4], lists[6]
	if !client {
		enc, mac, cmp = lists[3], lists[5], lists[7]
	}
	in := append((*scratch)[:0], lists[0]...)
	in = append(in, ';')
	in = append(in, enc...)
	in = append(in, ';')
	in = append(in, mac...)
	in = append(in, ';')
	in = append(in, cmp...)
	*scratch = in
	*out = md5.Sum(in)
	return true
}

// Gap: bytes were lost; what this side gave so far is reported when the
// stream ends, and nothing more is read from it.
func (s *stream) Gap(clientToServer bool) {
	sd := &s.dir[idx(clientToServer)]
	sd.phase = phDone
}

// End reports what a side gave before the conversation ended (an
// identification string without a KEXINIT, say).
func (s *stream) End(m *dissect.Meta, e observe.Emitter) {
	for i := range s.dir {
		sd := &s.dir[i]
		if !sd.sent {
			mm := *m
			if i == 1 {
				mm = m.Reverse()
			}
			s.emit(&mm, sd, i, e)
		}
	}
	s.release()
}

func (s *stream) emit(m *dissect.Meta, sd *side, dir int, e observe.Emitter) {
	sd.sent = true
	if len(sd.version) == 0 {
		return
	}
	d := s.d
	o := &d.obs
	m.Fill(o, "ssh")
	o.Add("ssh.protocol", d.strs.String(sd.version))
	// "SSH-protoversion-softwareversion SP comments"
	rest := sd.version[4:]
	if j := bytes.IndexByte(rest, '-'); j >= 0 {
		o.Add("ssh.version", d.strs.String(rest[:j]))
		sw := rest[j+1:]
		var comments []byte
		if k := bytes.IndexByte(sw, ' '); k >= 0 {
			sw, comments = sw[:k], bytes.TrimSpace(sw[k+1:])
		}
		o.Add("ssh.software", d.strs.String(sw))
		o.Add("ssh.comments", d.strs.String(comments))
	}
	if dir == 0 {
		o.Add("ssh.role", "client")
	} else {
		o.Add("ssh.role", "server")
	}
	if sd.kex {
		d.buf = hex.AppendEncode(d.buf[:0], sd.hassh[:])
		key := "ssh.hassh"
		if dir == 1 {
			key = "ssh.hassh_server"
		}
		o.Add(key, d.strs.String(d.buf))
	}
	e.Emit(o)
}

// release hands the buffers back; the decoder never calls a stream again
// once it said done or ended.
func (s *stream) release() {
	for i := range s.dir {
		if s.dir[i].buf != nil {
			s.d.bufs.Put(s.dir[i].buf)
			s.dir[i].buf = nil
		}
	}
}
