// Package dicom reads the DICOM Upper Layer protocol (PS3.8) on any TCP
// port: association negotiation (AE titles, implementation UID and version,
// proposed SOP classes, accepted transfer syntaxes, roles, result), DIMSE
// command names, and from the dataset of a C-STORE only the device
// attributes (manufacturer, model, serial, software versions, station,
// modality, institution). Patient and study attributes are skipped by length
// and never turned into strings; every observation leaves through the PHI
// guard (internal/dissect/phi).
//
// Cost: P-DATA bodies are streamed, not buffered; only the first part of the
// first C-STORE dataset is kept (bounded), and once the modality's identity
// is known the stream returns done so the rest of a bulk image transfer is
// only counted by the decoder.
package dicom

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/phi"
	"github.com/wardiomt/ward/internal/observe"
)

// PDU types (PS3.8 9.3).
const (
	pduAssociateRQ = 0x01
	pduAssociateAC = 0x02
	pduAssociateRJ = 0x03
	pduPData       = 0x04
	pduReleaseRQ   = 0x05
	pduReleaseRP   = 0x06
	pduAbort       = 0x07
)

// maxValue caps any string taken from the wire.
const maxValue = 256

// Dissector reads DICOM associations. Streams share its buffers: a decoder
// drives all of them from one goroutine.
type Dissector struct {
	cfg      Config
	guard    phi.Guard
	obs      observe.Observation
	inflater io.ReadCloser
	rd       bytes.Reader
	inflated []byte
	bufs     dissect.BufPool // PDU, command and dataset buffers of ended associations
}

// New returns a DICOM dissector with the default bounds.
func New() *Dissector {
	d, _ := NewWithConfig(defaultConfig())
	return d
}

// NewWithConfig returns a DICOM dissector with cfg.
func NewWithConfig(cfg Config) (*Dissector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Dissector{cfg: cfg}, nil
}

var _ dissect.TCPDissector = (*Dissector)(nil)

// Name is "dicom".
func (*Dissector) Name() string { return "dicom" }

// MatchTCP recognises an association by content on any port: an
// A-ASSOCIATE-RQ or -AC (type 1 or 2, reserved 0, protocol version 1), or, for
// captures that start mid-association, a P-DATA-TF whose first PDV item
// fits the PDU and has a valid message control header.
func (*Dissector) MatchTCP(_, _ uint16, _ bool, p []byte) bool {
	return looksLikePDU(p)
}

func looksLikePDU(p []byte) bool {
	if len(p) < 12 || p[1] != 0 {
		return false
	}
	n := binary.BigEndian.Uint32(p[2:6])
	switch p[0] {
	case pduAssociateRQ, pduAssociateAC:
		return n >= 68 && n < 1<<20 && binary.BigEndian.Uint16(p[6:8]) == 1
	case pduPData:
		item := binary.BigEndian.Uint32(p[6:10])
		return n >= 6 && item >= 2 && item <= n-4 && p[10]%2 == 1 && p[11] <= 3
	}
	return false
}

// NewStream starts one association.
func (d *Dissector) NewStream() dissect.Stream {
	s := &stream{d: d}
	for i := range s.dir {
		sd := &s.dir[i]
		sd.body, sd.cmd, sd.ds = d.bufs.Get(), d.bufs.Get(), d.bufs.Get()
	}
	return s
}

var _ dissect.Ender = (*stream)(nil)

// End reports the usage of an association whose connection ended before
// its identity was read (an echo, a query, a released association).
func (s *stream) End(m *dissect.Meta, e observe.Emitter) {
	if !s.done {
		for di := range s.dir {
			if sd := &s.dir[di]; sd.cut {
				sm := *m // m runs client to server
				if di == 1 {
					sm = m.Reverse()
				}
				s.cutAssociate(&sm, di, sd, e)
			}
		}
		s.finish(e)
	}
	s.release()
}

// release hands the buffers back for the next association; the decoder
// never calls a stream again once it said done or ended.
func (s *stream) release() {
	for i := range s.dir {
		sd := &s.dir[i]
		s.d.bufs.Put(sd.body)
		s.d.bufs.Put(sd.cmd)
		s.d.bufs.Put(sd.ds)
		sd.body, sd.cmd, sd.ds = nil, nil, nil
	}
}

// side is one direction's PDU reader.
type side struct {
	hdr  [6]byte
	hdrN int
	typ  byte
	left uint32 // bytes of the current PDU body still to come
	body []byte // A-ASSOCIATE/-RJ/-ABORT bodies
	skip bool   // body too large to keep

	ihdr     [6]byte // PDV item header: length, presentation context, control
	ihdrN    int
	itemLeft uint32

	cmd     []byte
	cmdOver bool

	dsActive bool // collecting a C-STORE dataset on dsPC
	dsPC     byte
	ds       []byte
	dsOver   bool
	dsTried  int // len(ds) at the last parse attempt

	lost bool // out of sync after a gap or garbage
	cut  bool // body holds the start of an A-ASSOCIATE a hole cut, fixed fields whole
}

// stream is one association (one TCP connection carries at most one).
type stream struct {
	d   *Dissector
	dir [2]side // 0: client to server, 1: server to client

	rqSeen, acSeen bool
	rqDir          int // which direction sent the A-ASSOCIATE-RQ
	callingAE      string
	pcSyntax       [256]syntax
	pcKnown        [256]bool

	requestor     dissect.Meta // addresses of the association requestor
	reqMAC        [2][6]byte
	requestorSeen bool

	lastTime     time.Time
	stores       int
	datasets     int
	identityDone bool
	usageOut     bool
	done         bool
	cmdSeen      []cmdKey
}

type cmdKey struct {
	field uint16
	sop   string
}

func dirIndex(clientToServer bool) int {
	if clientToServer {
		return 0
	}
	return 1
}

// Data consumes one direction's bytes PDU by PDU.
func (s *stream) Data(m *dissect.Meta, clientToServer bool, data []byte, e observe.Emitter) bool {
	if s.done {
		return true
	}
	di := dirIndex(clientToServer)
	s.lastTime = m.Time
	if !s.requestorSeen && !s.rqSeen {
		// Until an A-ASSOCIATE-RQ says otherwise, the TCP client is the requestor.
		if clientToServer {
			s.setRequestor(m)
		} else {
			r := m.Reverse()
			s.setRequestor(&r)
		}
	}
	sd := &s.dir[di]
	if sd.cut {
		s.cutAssociate(m, di, sd, e)
	}
	for len(data) > 0 && !s.done {
		if sd.lost {
			i := resync(data)
			if i < 0 {
				break
			}
			data = data[i:]
			sd.resetPDU()
			sd.lost = false
		}
		n, err := s.step(m, di, sd, data, e)
		data = data[n:]
		if err != nil {
			sd.lost = true
		}
	}
	if s.dir[0].lost && s.dir[1].lost && !s.identityDone && !s.rqSeen {
		// Neither direction makes sense: not (or no longer) DICOM.
		s.done = true
	}
	if s.done {
		s.release()
	}
	return s.done
}

// Gap drops the partial PDU of a direction; it resynchronises on the next
// plausible P-DATA-TF header.
func (s *stream) Gap(clientToServer bool) {
	sd := &s.dir[dirIndex(clientToServer)]
	// An association request or answer cut after its fixed fields (a
	// capture's short snap length) still names both AE titles, and the
	// items before the hole: kept for cutAssociate.
	sd.cut = sd.hdrN == 6 && (sd.typ == pduAssociateRQ || sd.typ == pduAssociateAC) && !sd.skip && sd.left > 0 && len(sd.body) >= 68
	sd.lost = true
	sd.dsActive = false
}

// cutAssociate reads an A-ASSOCIATE a hole cut, as far as it came.
func (s *stream) cutAssociate(m *dissect.Meta, di int, sd *side, e observe.Emitter) {
	sd.cut = false
	if sd.typ == pduAssociateRQ {
		_ = s.associateRQ(m, di, sd.body, e)
	} else if !s.acSeen {
		_ = s.associateAC(m, sd.body, e)
	}
	sd.body = sd.body[:0]
}

func (sd *side) resetPDU() {
	sd.hdrN, sd.left, sd.ihdrN, sd.itemLeft, sd.skip = 0, 0, 0, 0, false
	sd.body = sd.body[:0]
	sd.cmd, sd.cmdOver = sd.cmd[:0], false
}

// resync finds the next offset in b that starts a plausible P-DATA-TF or
// association PDU, or -1.
func resync(b []byte) int {
	for i := 0; i+12 <= len(b); i++ {
		if (b[i] == pduPData || b[i] == pduAssociateRQ || b[i] == pduAssociateAC) && looksLikePDU(b[i:]) {
			return i
		}
		if (b[i] == pduReleaseRQ || b[i] == pduReleaseRP) && b[i+1] == 0 && binary.BigEndian.Uint32(b[i+2:]) == 4 {
			return i
		}
	}
	return -1
}

// step consumes bytes of one direction and returns how many.
func (s *stream) step(m *dissect.Meta, di int, sd *side, data []byte, e observe.Emitter) (int, error) {
	if sd.hdrN < 6 {
		n := copy(sd.hdr[sd.hdrN:], data)
		sd.hdrN += n
		if sd.hdrN < 6 {
			return n, nil
		}
		sd.typ, sd.left = sd.hdr[0], binary.BigEndian.Uint32(sd.hdr[2:6])
		if sd.typ < pduAssociateRQ || sd.typ > pduAbort || sd.hdr[1] != 0 {
			return n, fmt.Errorf("pdu type %#x: %w", sd.typ, dissect.ErrMalformed)
		}
		sd.body = sd.body[:0]
		sd.skip = sd.typ != pduPData && int(sd.left) > s.d.cfg.MaxAssociatePDU
		if sd.left == 0 {
			return n, s.endPDU(m, di, sd, e)
		}
		return n, nil
	}
	if sd.typ == pduPData {
		return s.pdata(m, di, sd, data, e)
	}
	take := min(uint32(len(data)), sd.left)
	if !sd.skip {
		sd.body = append(sd.body, data[:take]...)
	}
	sd.left -= take
	if sd.left == 0 {
		return int(take), s.endPDU(m, di, sd, e)
	}
	return int(take), nil
}

// pdata streams the PDV items of a P-DATA-TF without buffering the PDU.
func (s *stream) pdata(m *dissect.Meta, di int, sd *side, data []byte, e observe.Emitter) (int, error) {
	used := 0
	for used < len(data) && sd.left > 0 && !s.done {
		chunk := data[used:min(len(data), used+int(min(sd.left, uint32(len(data)))))]
		if sd.ihdrN < 6 {
			n := copy(sd.ihdr[sd.ihdrN:], chunk)
			sd.ihdrN += n
			used += n
			sd.left -= uint32(n)
			if sd.ihdrN < 6 {
				continue
			}
			l := binary.BigEndian.Uint32(sd.ihdr[0:4])
			if l < 2 || l-2 > sd.left {
				return used, fmt.Errorf("pdv item length %d in pdu with %d left: %w", l, sd.left, dissect.ErrMalformed)
			}
			sd.itemLeft = l - 2
			if sd.itemLeft == 0 {
				s.pdv(m, di, sd, nil, true, e)
				sd.ihdrN = 0
			}
			continue
		}
		n := min(uint32(len(chunk)), sd.itemLeft)
		sd.itemLeft -= n
		sd.left -= n
		used += int(n)
		end := sd.itemLeft == 0
		s.pdv(m, di, sd, chunk[:n], end, e)
		if end {
			sd.ihdrN = 0
		}
	}
	if sd.left == 0 {
		sd.hdrN = 0
		if sd.ihdrN != 0 {
			sd.ihdrN = 0
			return used, fmt.Errorf("pdv item header cut by pdu end: %w", dissect.ErrMalformed)
		}
	}
	return used, nil
}

// pdv handles a fragment of a presentation data value; end marks the end of
// the PDV item (its message control header then tells if the message ends).
func (s *stream) pdv(m *dissect.Meta, di int, sd *side, frag []byte, end bool, e observe.Emitter) {
	pc, mch := sd.ihdr[4], sd.ihdr[5]
	isCmd, last := mch&1 == 1, mch&2 == 2
	if isCmd {
		if len(sd.cmd)+len(frag) > s.d.cfg.MaxCommand {
			sd.cmdOver = true
		} else {
			sd.cmd = append(sd.cmd, frag...)
		}
		if end && last {
			if !sd.cmdOver {
				s.command(m, sd, pc, e)
			}
			sd.cmd, sd.cmdOver = sd.cmd[:0], false
		}
		return
	}
	if !sd.dsActive || pc != sd.dsPC || s.identityDone {
		return // a dataset Ward does not read (queries, responses, pixel data)
	}
	if room := s.d.cfg.MaxDataset - len(sd.ds); room > 0 {
		sd.ds = append(sd.ds, frag[:min(room, len(frag))]...)
	} else {
		sd.dsOver = true
	}
	// Tags are in order, so a prefix that already passed Software Versions
	// is enough: try each time enough new bytes arrived, not only at the
	// end of the PDV (a capture may stop inside a large one).
	if end || len(sd.ds)-sd.dsTried >= 256 {
		sd.dsTried = len(sd.ds)
		s.dataset(m, sd, end && last || sd.dsOver, e)
	}
}

// command reads a complete DIMSE command set.
func (s *stream) command(m *dissect.Meta, sd *side, pc byte, e observe.Emitter) {
	c, err := parseCommand(sd.cmd)
	if err != nil {
		return
	}
	name, ok := dimseCommands[c.field]
	if !ok {
		return
	}
	if c.field == 0x0001 {
		s.stores++
		if !c.noDataset && !s.identityDone {
			sd.dsActive, sd.dsPC, sd.ds, sd.dsOver, sd.dsTried = true, pc, sd.ds[:0], false, 0
		}
	}
	sop := trimUID(c.sopClass)
	for _, k := range s.cmdSeen {
		if k.field == c.field && k.sop == string(sop) {
			return
		}
	}
	if len(s.cmdSeen) >= 64 {
		return
	}
	s.cmdSeen = append(s.cmdSeen, cmdKey{c.field, string(sop)})
	d := s.d
	m.Fill(&d.obs, "dicom")
	d.obs.Add("dicom.command", name)
	if len(sop) > 0 {
		d.obs.Add("dicom.sop_class", named(sopClasses, text(sop)))
	}
	d.guard.Emit(e, &d.obs)
}

// dataset tries to read the device attributes from the buffered prefix of a
// C-STORE dataset; final means no more of it will be buffered.
func (s *stream) dataset(m *dissect.Meta, sd *side, final bool, e observe.Emitter) {
	b := sd.ds
	syn, ok := s.pcSyntax[sd.dsPC], s.pcKnown[sd.dsPC]
	if !ok {
		syn = sniffSyntax(b)
	}
	if syn.deflated {
		b = s.d.inflate(b)
		if !ok {
			syn = sniffSyntax(b)
		} else {
			syn = explicitLE
		}
	}
	var id identity
	passed, err := parseDataset(b, syn, &id)
	if !passed && !final && (err == nil || errors.Is(err, dissect.ErrTruncated)) {
		return // the device attributes may still follow: wait for more
	}
	sd.dsActive = false
	s.datasets++
	if id.found() {
		d := s.d
		m.Fill(&d.obs, "dicom")
		for i, v := range id.vals {
			if len(v) > 0 {
				d.obs.Add(idKeys[i], text(v))
			}
		}
		if s.callingAE != "" && s.senderIsRequestor(m) {
			d.obs.Add("dicom.calling_ae", s.callingAE)
		}
		d.guard.Emit(e, &d.obs)
	}
	if id.found() || s.datasets >= s.d.cfg.MaxDatasetTries {
		s.identityDone = true
		s.finish(e)
	}
}

// inflate decompresses a deflated dataset prefix, bounded by MaxDataset. A
// truncated stream yields what could be decoded.
func (d *Dissector) inflate(b []byte) []byte {
	d.rd.Reset(b)
	if d.inflater == nil {
		d.inflater = flate.NewReader(&d.rd)
	} else if err := d.inflater.(flate.Resetter).Reset(&d.rd, nil); err != nil {
		return nil
	}
	if cap(d.inflated) < d.cfg.MaxDataset {
		d.inflated = make([]byte, d.cfg.MaxDataset)
	}
	buf := d.inflated[:d.cfg.MaxDataset]
	n, _ := io.ReadFull(d.inflater, buf)
	return buf[:n]
}

func (s *stream) senderIsRequestor(m *dissect.Meta) bool {
	return m.SrcIP == s.requestor.SrcIP && m.SrcPort == s.requestor.SrcPort
}

func (s *stream) setRequestor(m *dissect.Meta) {
	s.requestorSeen = true
	s.requestor = dissect.Meta{
		SrcIP: m.SrcIP, DstIP: m.DstIP, SrcPort: m.SrcPort, DstPort: m.DstPort,
		Transport: m.Transport, VLAN: m.VLAN,
	}
	if len(m.SrcMAC) == 6 {
		copy(s.reqMAC[0][:], m.SrcMAC)
		s.requestor.SrcMAC = net.HardwareAddr(s.reqMAC[0][:])
	}
	if len(m.DstMAC) == 6 {
		copy(s.reqMAC[1][:], m.DstMAC)
		s.requestor.DstMAC = net.HardwareAddr(s.reqMAC[1][:])
	}
}

// finish emits the association's usage counts once and ends inspection.
//
// dicom.associations is 1 per association; dicom.stores is the number of
// C-STORE-RQ commands seen while the association was inspected. Inspection
// stops once the modality's identity is read (so a bulk transfer costs
// nothing more), hence stores is a lower bound; associations is the
// utilisation measure inventory should sum.
func (s *stream) finish(e observe.Emitter) {
	s.done = true
	if s.usageOut || !s.requestorSeen {
		return
	}
	s.usageOut = true
	d := s.d
	d.obs.Fields = d.obs.Fields[:0]
	s.requestor.Time = s.lastTime
	s.requestor.Fill(&d.obs, "dicom")
	d.obs.Add("dicom.associations", "1")
	d.obs.Add("dicom.stores", strconv.Itoa(s.stores))
	d.guard.Emit(e, &d.obs)
}

// endPDU handles a complete non-P-DATA PDU.
func (s *stream) endPDU(m *dissect.Meta, di int, sd *side, e observe.Emitter) error {
	defer func() { sd.hdrN = 0 }()
	if sd.skip {
		return nil
	}
	b := sd.body
	switch sd.typ {
	case pduAssociateRQ:
		return s.associateRQ(m, di, b, e)
	case pduAssociateAC:
		return s.associateAC(m, b, e)
	case pduAssociateRJ:
		s.associateRJ(m, b, e)
	case pduReleaseRQ, pduReleaseRP:
		s.finish(e)
	case pduAbort:
		s.abort(m, b, e)
	}
	return nil
}

// item is one variable item or sub-item: type, then its value.
type item struct {
	typ byte
	val []byte
}

// nextItem reads the item at b[off:] (type, reserved, 2-byte length).
func nextItem(b []byte, off int) (item, int, error) {
	if len(b)-off < 4 {
		return item{}, 0, fmt.Errorf("item header at %d: %w", off, dissect.ErrTruncated)
	}
	n := int(binary.BigEndian.Uint16(b[off+2:]))
	if n > len(b)-off-4 {
		return item{}, 0, fmt.Errorf("item %#x length %d: %w", b[off], n, dissect.ErrTruncated)
	}
	return item{typ: b[off], val: b[off+4 : off+4+n]}, off + 4 + n, nil
}

// userInfo holds what Ward reads of the user information item. The user
// identity sub-item (0x58/0x59: user name, passcode, tokens) is never read.
type userInfo struct {
	maxPDU    uint32
	hasMaxPDU bool
	implUID   []byte
	implVer   []byte
	roles     int  // role selection sub-items seen
	scuOff    int  // role selections withdrawing the requestor's SCU role
	scpOn     bool // some role selection gave the requestor the SCP role
}

func parseUserInfo(b []byte) userInfo {
	var u userInfo
	for off := 0; off < len(b); {
		it, next, err := nextItem(b, off)
		if err != nil {
			break
		}
		off = next
		switch it.typ {
		case 0x51:
			if len(it.val) >= 4 {
				u.maxPDU, u.hasMaxPDU = binary.BigEndian.Uint32(it.val), true
			}
		case 0x52:
			u.implUID = it.val
		case 0x55:
			u.implVer = it.val
		case 0x54:
			if len(it.val) < 2 {
				continue
			}
			n := int(binary.BigEndian.Uint16(it.val))
			if len(it.val) < 2+n+2 {
				continue
			}
			u.roles++
			scu, scp := it.val[2+n], it.val[3+n]
			if scu == 0 {
				u.scuOff++
			}
			u.scpOn = u.scpOn || scp == 1
		}
	}
	return u
}

// fixed reads the fixed part shared by A-ASSOCIATE-RQ and -AC.
func fixed(b []byte) (called, calling []byte, err error) {
	if len(b) < 68 {
		return nil, nil, fmt.Errorf("a-associate fixed fields: %w", dissect.ErrTruncated)
	}
	if binary.BigEndian.Uint16(b[0:2]) != 1 {
		return nil, nil, fmt.Errorf("protocol version %d: %w", binary.BigEndian.Uint16(b[0:2]), dissect.ErrMalformed)
	}
	return b[4:20], b[20:36], nil
}

func (s *stream) addCommon(called, calling []byte, u userInfo) {
	d := s.d
	d.obs.Add("dicom.calling_ae", text(calling))
	d.obs.Add("dicom.called_ae", text(called))
	d.obs.Add("dicom.implementation_class_uid", text(trimUID(u.implUID)))
	d.obs.Add("dicom.implementation_version_name", text(u.implVer))
	if u.hasMaxPDU {
		d.obs.Add("dicom.max_pdu", strconv.FormatUint(uint64(u.maxPDU), 10))
	}
}

func (s *stream) associateRQ(m *dissect.Meta, di int, b []byte, e observe.Emitter) error {
	called, calling, err := fixed(b)
	if err != nil {
		return err
	}
	s.rqSeen, s.rqDir = true, di
	s.setRequestor(m)
	s.callingAE = text(calling)
	var u userInfo
	for off := 68; off < len(b); {
		it, next, err := nextItem(b, off)
		if err != nil {
			break
		}
		off = next
		if it.typ == 0x50 {
			u = parseUserInfo(it.val)
		}
	}
	d := s.d
	m.Fill(&d.obs, "dicom")
	d.obs.Add("dicom.pdu", "associate-rq")
	s.addCommon(called, calling, u)
	d.guard.Emit(e, &d.obs)

	// One observation per distinct proposed abstract syntax (SOP class).
	var seen [][]byte
	for off := 68; off < len(b); {
		it, next, err := nextItem(b, off)
		if err != nil {
			break
		}
		off = next
		if it.typ != 0x20 || len(it.val) < 4 {
			continue
		}
		for so := 4; so < len(it.val); {
			sub, snext, err := nextItem(it.val, so)
			if err != nil {
				break
			}
			so = snext
			if sub.typ != 0x30 {
				continue
			}
			uid := trimUID(sub.val)
			dup := len(uid) == 0
			for _, p := range seen {
				if bytes.Equal(p, uid) {
					dup = true
					break
				}
			}
			if dup || len(seen) >= 512 {
				continue
			}
			seen = append(seen, uid)
			m.Fill(&d.obs, "dicom")
			d.obs.Add("dicom.abstract_syntax", named(sopClasses, text(uid)))
			d.guard.Emit(e, &d.obs)
		}
	}
	return nil
}

func (s *stream) associateAC(m *dissect.Meta, b []byte, e observe.Emitter) error {
	called, calling, err := fixed(b)
	if err != nil {
		return err
	}
	s.acSeen = true
	var u userInfo
	var accepted [][]byte
	pcs := 0 // accepted presentation contexts
	for off := 68; off < len(b); {
		it, next, err := nextItem(b, off)
		if err != nil {
			break
		}
		off = next
		switch it.typ {
		case 0x50:
			u = parseUserInfo(it.val)
		case 0x21:
			if len(it.val) < 4 || it.val[2] != 0 { // result 0: acceptance
				continue
			}
			pc := it.val[0]
			pcs++
			for so := 4; so < len(it.val); {
				sub, snext, err := nextItem(it.val, so)
				if err != nil {
					break
				}
				so = snext
				if sub.typ != 0x40 {
					continue
				}
				uid := trimUID(sub.val)
				s.pcSyntax[pc], s.pcKnown[pc] = syntaxOf(uid), true
				dup := len(uid) == 0
				for _, p := range accepted {
					if bytes.Equal(p, uid) {
						dup = true
						break
					}
				}
				if !dup && len(accepted) < 64 {
					accepted = append(accepted, uid)
				}
			}
		}
	}
	d := s.d
	m.Fill(&d.obs, "dicom")
	d.obs.Add("dicom.pdu", "associate-ac")
	d.obs.Add("dicom.result", "accepted")
	s.addCommon(called, calling, u)
	d.guard.Emit(e, &d.obs)
	for _, uid := range accepted {
		m.Fill(&d.obs, "dicom")
		d.obs.Add("dicom.transfer_syntax", named(transferSyntaxes, text(uid)))
		d.guard.Emit(e, &d.obs)
	}

	// Roles: the requestor is SCU and the acceptor SCP, unless an accepted
	// SCP/SCU role selection (PS3.7 D.3.3.4) says the requestor also (or
	// only) acts as SCP, as in C-GET.
	reqSCU := u.scuOff == 0 || u.scuOff < pcs
	reqSCP := u.scpOn
	req := m.Reverse()
	req.Fill(&d.obs, "dicom")
	d.obs.Add("dicom.role", roleName(reqSCU, reqSCP))
	d.guard.Emit(e, &d.obs)
	m.Fill(&d.obs, "dicom")
	d.obs.Add("dicom.role", roleName(reqSCP, reqSCU))
	d.guard.Emit(e, &d.obs)
	return nil
}

func roleName(scu, scp bool) string {
	switch {
	case scu && scp:
		return "SCU/SCP"
	case scp:
		return "SCP"
	default:
		return "SCU"
	}
}

var rjSources = map[byte]string{1: "service-user", 2: "service-provider (ACSE)", 3: "service-provider (presentation)"}

var rjReasons = map[[2]byte]string{
	{1, 1}: "no reason given",
	{1, 2}: "application context name not supported",
	{1, 3}: "calling AE title not recognized",
	{1, 7}: "called AE title not recognized",
	{2, 1}: "no reason given",
	{2, 2}: "protocol version not supported",
	{3, 1}: "temporary congestion",
	{3, 2}: "local limit exceeded",
}

func (s *stream) associateRJ(m *dissect.Meta, b []byte, e observe.Emitter) {
	d := s.d
	m.Fill(&d.obs, "dicom")
	d.obs.Add("dicom.pdu", "associate-rj")
	if len(b) >= 4 {
		res := "rejected-permanent"
		if b[1] == 2 {
			res = "rejected-transient"
		}
		src, ok := rjSources[b[2]]
		if !ok {
			src = "source " + strconv.Itoa(int(b[2]))
		}
		reason, ok := rjReasons[[2]byte{b[2], b[3]}]
		if !ok {
			reason = "reason " + strconv.Itoa(int(b[3]))
		}
		d.obs.Add("dicom.result", res+": "+reason+" ("+src+")")
	} else {
		d.obs.Add("dicom.result", "rejected")
	}
	d.guard.Emit(e, &d.obs)
	s.finish(e)
}

var abortReasons = map[byte]string{
	0: "reason not specified", 1: "unrecognized PDU", 2: "unexpected PDU",
	4: "unrecognized PDU parameter", 5: "unexpected PDU parameter", 6: "invalid PDU parameter value",
}

func (s *stream) abort(m *dissect.Meta, b []byte, e observe.Emitter) {
	d := s.d
	m.Fill(&d.obs, "dicom")
	d.obs.Add("dicom.pdu", "abort")
	if len(b) >= 4 {
		if b[2] == 0 {
			d.obs.Add("dicom.abort", "service-user")
		} else {
			r, ok := abortReasons[b[3]]
			if !ok {
				r = "reason " + strconv.Itoa(int(b[3]))
			}
			d.obs.Add("dicom.abort", "service-provider: "+r)
		}
	}
	d.guard.Emit(e, &d.obs)
	s.finish(e)
}

// trimUID drops the NUL/space padding of UIDs.
func trimUID(b []byte) []byte { return bytes.Trim(b, "\x00 ") }

// text turns a wire value into a bounded, valid UTF-8 string without
// padding. Only ever called on values Ward is allowed to emit.
func text(b []byte) string {
	b = bytes.Trim(b, "\x00 \t\r\n")
	if len(b) > maxValue {
		b = b[:maxValue]
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
