// Package nbns reads the NetBIOS name service (RFC 1001/1002, UDP 137) and,
// in browser.go, the Windows browser announcements carried by the NetBIOS
// datagram service (UDP 138). Both name Windows hosts, workgroups and
// domains; registrations and announcements describe their sender, while a
// query names the host being looked for (nbns.message tells which).
package nbns

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Port is the NetBIOS name service port.
const Port = 137

const (
	maxRecords = 32 // records read per message
	maxStatus  = 64 // node status table entries read
	headerLen  = 12
)

var (
	errHeader = fmt.Errorf("nbns header: %w", dissect.ErrTruncated)
	errName   = fmt.Errorf("nbns name: %w", dissect.ErrMalformed)
	errTrunc  = fmt.Errorf("nbns record: %w", dissect.ErrTruncated)
	errCounts = fmt.Errorf("nbns record counts: %w", dissect.ErrMalformed)
)

// name is a decoded NetBIOS name: 15 characters and the suffix byte.
type name struct {
	b      [16]byte
	ok     bool
	group  bool // from NB flags when known
	hasGrp bool
}

// text returns the name without its suffix, padding trimmed; control bytes
// are shown as <xx>, as Wireshark does (e.g. "<01><02>__MSBROWSE__<02>").
func (n *name) text() string {
	var buf [15 * 4]byte
	return clean(n.appendText(buf[:0]))
}

// cachedText is text through c.
func (n *name) cachedText(c *texts) string {
	var buf [15 * 4]byte
	return c.get(n.appendText(buf[:0]))
}

// appendText appends what text cleans: the name with control bytes escaped.
func (n *name) appendText(out []byte) []byte {
	v := n.b[:15]
	for len(v) > 0 && (v[len(v)-1] == 0 || v[len(v)-1] == ' ') {
		v = v[:len(v)-1]
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f {
			out = append(out, '<', hexDigits[c>>4], hexDigits[c&0xf], '>')
			continue
		}
		out = append(out, c)
	}
	return out
}

func (n *name) suffix() byte { return n.b[15] }

// decodeName reads an encoded name at off in msg (following one compression
// pointer) and returns the offset after it in the original position.
func decodeName(msg []byte, off int, n *name) (int, error) {
	if off >= len(msg) {
		return 0, errName
	}
	if msg[off]&0xc0 == 0xc0 { // compression pointer
		if off+2 > len(msg) {
			return 0, errName
		}
		ptr := int(binary.BigEndian.Uint16(msg[off:]) & 0x3fff)
		if ptr >= off || msg[ptr]&0xc0 == 0xc0 {
			return 0, errName // only backward, single-level pointers
		}
		if _, err := decodeName(msg, ptr, n); err != nil {
			return 0, err
		}
		return off + 2, nil
	}
	if msg[off] != 32 || off+33 > len(msg) {
		return 0, errName
	}
	if err := firstLevel(msg[off+1:off+33], &n.b); err != nil {
		return 0, err
	}
	n.ok = true
	off += 33
	// NetBIOS scope labels, then the root label.
	for i := 0; off < len(msg) && i < 64; i++ {
		l := int(msg[off])
		if l == 0 {
			return off + 1, nil
		}
		if l&0xc0 == 0xc0 {
			if off+2 > len(msg) {
				return 0, errName // a pointer cut in half
			}
			return off + 2, nil
		}
		off += 1 + l
	}
	return 0, errName
}

// firstLevel undoes RFC 1001 first-level encoding: each byte is two
// characters 'A'+nibble.
func firstLevel(enc []byte, out *[16]byte) error {
	for i := range 16 {
		hi, lo := enc[2*i]-'A', enc[2*i+1]-'A'
		if hi > 15 || lo > 15 {
			return errName
		}
		out[i] = hi<<4 | lo
	}
	return nil
}

// suffixType names what a suffix says about the name's owner.
func suffixType(s byte, group, known bool) string {
	switch s {
	case 0x00:
		if known && group {
			return "domain"
		}
		return "workstation"
	case 0x01:
		return "master_browser"
	case 0x03:
		return "messenger"
	case 0x06:
		return "ras_server"
	case 0x1b:
		return "domain_master_browser"
	case 0x1c:
		return "domain_controller"
	case 0x1d:
		return "master_browser"
	case 0x1e:
		return "browser_election"
	case 0x1f:
		return "netdde"
	case 0x20:
		return "server"
	case 0x21:
		return "ras_client"
	}
	return ""
}

var opcodes = [16]string{0: "query", 5: "registration", 6: "release", 7: "wack", 8: "refresh", 9: "refresh", 15: "multihomed_registration"}

var rcodes = [8]string{1: "format_error", 2: "server_failure", 3: "name_error", 4: "unsupported", 5: "refused", 6: "active", 7: "conflict"}

var hexDigits = "0123456789abcdef"

// Dissector reads NetBIOS name service datagrams.
type Dissector struct {
	obs   observe.Observation
	names texts // the same few names are announced over and over
	strs  texts // raw: addresses and MACs, which recur as well
	buf   []byte
}

// New returns an NBNS dissector.
func New() *Dissector { return &Dissector{strs: texts{raw: true}} }

var _ dissect.UDPDissector = (*Dissector)(nil)

// Name is "nbns".
func (*Dissector) Name() string { return "nbns" }

// MatchUDP accepts datagrams on port 137 long enough for a header.
func (*Dissector) MatchUDP(sp, dp uint16, p []byte) bool {
	return (sp == Port || dp == Port) && len(p) >= headerLen
}

// record is one parsed resource record; rdata points into the datagram.
type record struct {
	n     name
	typ   uint16
	rdata []byte
}

// DissectUDP emits one observation for the message's main name, and for a
// node status response one more per name in the node's table.
func (d *Dissector) DissectUDP(m *dissect.Meta, p []byte, e observe.Emitter) error {
	if len(p) < headerLen {
		return errHeader
	}
	flags := binary.BigEndian.Uint16(p[2:])
	qd, an := int(binary.BigEndian.Uint16(p[4:])), int(binary.BigEndian.Uint16(p[6:]))
	ns, ar := int(binary.BigEndian.Uint16(p[8:])), int(binary.BigEndian.Uint16(p[10:]))
	if qd+an+ns+ar > maxRecords {
		return errCounts
	}
	response := flags&0x8000 != 0
	off := headerLen
	var q name
	var err error
	for i := 0; i < qd; i++ {
		var n name
		if off, err = decodeName(p, off, &n); err != nil {
			break
		}
		if off+4 > len(p) {
			err = errTrunc
			break
		}
		off += 4
		if !q.ok {
			q = n
		}
	}
	// The first NB record's name, flags and address; the first NBSTAT rdata.
	var rr record
	var addr netip.Addr
	var status []byte
	for i := 0; err == nil && i < an+ns+ar; i++ {
		var r record
		if off, err = decodeName(p, off, &r.n); err != nil {
			break
		}
		if off+10 > len(p) {
			err = errTrunc
			break
		}
		r.typ = binary.BigEndian.Uint16(p[off:])
		rdlen := int(binary.BigEndian.Uint16(p[off+8:]))
		off += 10
		if off+rdlen > len(p) {
			err = errTrunc
			break
		}
		r.rdata = p[off : off+rdlen]
		off += rdlen
		switch r.typ {
		case 0x20: // NB: (flags, IPv4) pairs
			if !rr.n.ok {
				rr = r
				if len(r.rdata) >= 6 {
					rr.n.group, rr.n.hasGrp = r.rdata[0]&0x80 != 0, true
					addr = netip.AddrFrom4([4]byte(r.rdata[2:6]))
				}
			}
		case 0x21: // NBSTAT
			if status == nil {
				status = r.rdata
				if !rr.n.ok {
					rr = r
				}
			}
		}
	}
	main := q
	if rr.n.ok && (response || !q.ok || rr.n.b == q.b) {
		main = rr.n
	}
	if !main.ok {
		if err == nil {
			err = errName
		}
		return err
	}
	d.emitName(m, &main, flags, response)
	o := &d.obs
	if addr.IsValid() && !addr.IsUnspecified() {
		d.buf = addr.AppendTo(d.buf[:0])
		o.Add("nbns.address", d.strs.get(d.buf))
	}
	if status != nil {
		d.addStatusMAC(status)
	}
	e.Emit(o)
	if status != nil {
		d.emitStatus(m, status, e)
	}
	return err
}

func (d *Dissector) emitName(m *dissect.Meta, n *name, flags uint16, response bool) {
	o := &d.obs
	m.Fill(o, "nbns")
	o.Add("nbns.name", n.cachedText(&d.names))
	s := n.suffix()
	o.Add("nbns.suffix", hexByte(s))
	o.Add("nbns.type", suffixType(s, n.group, n.hasGrp))
	if n.hasGrp {
		if n.group {
			o.Add("nbns.group", "true")
		} else {
			o.Add("nbns.group", "false")
		}
	}
	if flags != 0xffff {
		o.Add("nbns.opcode", opcodes[flags>>11&0xf])
		if response {
			o.Add("nbns.message", "response")
			o.Add("nbns.rcode", rcodes[flags&0x7])
		} else {
			o.Add("nbns.message", "request")
		}
	}
}

// addStatusMAC adds the unit ID (MAC) that follows a node status table.
func (d *Dissector) addStatusMAC(st []byte) {
	if len(st) < 1 {
		return
	}
	n := int(st[0])
	if off := 1 + 18*n; len(st) >= off+6 {
		mac := net.HardwareAddr(st[off : off+6])
		if mac[0]|mac[1]|mac[2]|mac[3]|mac[4]|mac[5] != 0 {
			d.buf = observe.AppendMAC(d.buf[:0], mac)
			d.obs.Add("nbns.mac", d.strs.get(d.buf))
		}
	}
}

// emitStatus emits each name of a node status table: the names a host
// holds (its computer name, workgroup, services), all describing the responder.
func (d *Dissector) emitStatus(m *dissect.Meta, st []byte, e observe.Emitter) {
	if len(st) < 1 {
		return
	}
	n := min(int(st[0]), maxStatus)
	st = st[1:]
	for i := 0; i < n && len(st) >= 18; i++ {
		var nm name
		copy(nm.b[:], st[:16])
		nm.ok, nm.hasGrp, nm.group = true, true, st[16]&0x80 != 0
		st = st[18:]
		d.emitName(m, &nm, 0xffff, true)
		d.obs.Add("nbns.message", "node_status")
		e.Emit(&d.obs)
	}
}

func hexByte(b byte) string {
	return hexPairs[2*int(b) : 2*int(b)+2]
}

// hexPairs lets hexByte return a substring instead of allocating.
var hexPairs = func() string {
	var sb strings.Builder
	for i := range 256 {
		sb.WriteByte(hexDigits[i>>4])
		sb.WriteByte(hexDigits[i&0xf])
	}
	return sb.String()
}()

// clean trims NUL/space padding and makes a bounded, valid string.
func clean(v []byte) string {
	for len(v) > 0 && (v[len(v)-1] == 0 || v[len(v)-1] == ' ') {
		v = v[:len(v)-1]
	}
	if len(v) > 256 {
		v = v[:256]
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

// texts remembers clean() (or, when raw, string()) of recurring wire
// values (observe.Interner bounds it). One per dissector.
type texts struct {
	in  observe.Interner
	raw bool
}

func (c *texts) get(v []byte) string {
	if c.raw {
		return c.in.String(v)
	}
	return c.in.Text(v, clean)
}
