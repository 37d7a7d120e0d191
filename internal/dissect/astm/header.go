package astm

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// maxValue caps any single string taken from the wire.
const maxValue = 128

// allowed is the dissector's own allowlist, the backstop behind never
// reading anything else: every key it may emit. None can carry PHI: the
// sender and receiver IDs name instruments and systems, the rest is
// protocol metadata.
var allowed = map[string]bool{
	"astm.sender":         true,
	"astm.sender_name":    true,
	"astm.sender_version": true,
	"astm.sender_serial":  true,
	"astm.receiver":       true,
	"astm.processing_id":  true,
	"astm.version":        true,
	"astm.framing":        true,
	"astm.checksum":       true,
	"astm.role":           true,
}

// delims are the separators the Header declares in H-1/H-2.
type delims struct {
	field, rep, comp, esc byte
}

// Header field numbers (LIS2-A2 section 6); H-n is at split index n-1.
const (
	hSender     = 5
	hReceiver   = 10
	hProcessing = 12
	hVersion    = 13
	numFields   = hVersion // fields read: H-1..H-13 (H-14, the date, is not)
)

// parseDelims reads the delimiters of a Header record ("H|\^&..."). The
// field delimiter is required; missing or invalid encoding characters keep
// the standard ones.
func parseDelims(rec []byte) (delims, bool) {
	if len(rec) < 2 || rec[0] != 'H' || !isDelim(rec[1]) {
		return delims{}, false
	}
	d := delims{field: rec[1], rep: '\\', comp: '^', esc: '&'}
	set := [...]*byte{&d.rep, &d.comp, &d.esc}
	for i, p := range set {
		if 2+i >= len(rec) {
			break
		}
		c := rec[2+i]
		if c == d.field || !isDelim(c) {
			break
		}
		*p = c
	}
	return d, true
}

// splitFields puts H-1..H-n into out (index n-1); absent fields are nil.
func splitFields(rec []byte, d delims, out [][]byte) {
	clear(out)
	for i := range out {
		j := bytes.IndexByte(rec, d.field)
		if j < 0 {
			out[i] = rec
			return
		}
		out[i] = rec[:j]
		rec = rec[j+1:]
	}
}

// firstRep is the first repetition of a field.
func firstRep(f []byte, d delims) []byte { return dissect.Piece(f, d.rep, 0) }

// component returns component n (1-based) of a field's first repetition.
func component(f []byte, d delims, n int) []byte {
	return dissect.Piece(firstRep(f, d), d.comp, n-1)
}

// normalize appends v with the declared component and repeat delimiters
// rewritten to the standard ones ('^', '\') and the escape sequences of
// LIS2-A2 (&F& &S& &R& &E& with the declared escape character) decoded to
// the characters they stand for; other escape sequences are dropped.
func normalize(dst, v []byte, d delims) []byte {
	if d.comp == '^' && d.rep == '\\' && bytes.IndexByte(v, d.esc) < 0 {
		return append(dst, v...)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case d.esc:
			end := bytes.IndexByte(v[i+1:], d.esc)
			if end < 0 {
				dst = append(dst, c)
				continue
			}
			seq := v[i+1 : i+1+end]
			i += end + 1
			switch string(seq) {
			case "F":
				dst = append(dst, d.field)
			case "S":
				dst = append(dst, d.comp)
			case "R":
				dst = append(dst, d.rep)
			case "E":
				dst = append(dst, d.esc)
			}
		case d.comp:
			dst = append(dst, '^')
		case d.rep:
			dst = append(dst, '\\')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// clean normalises v into the scratch buffer, trimmed and capped.
func (dd *Dissector) clean(v []byte, d delims) []byte {
	dd.norm = normalize(dd.norm[:0], v, d)
	b := bytes.TrimSpace(dd.norm)
	if len(b) > maxValue {
		b = b[:maxValue]
	}
	return b
}

// text is clean as a valid UTF-8 string. Only ever called on fields Ward
// is allowed to emit.
func (dd *Dissector) text(v []byte, d delims) string {
	b := dd.clean(v, d)
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// hostNames are sender names that name the host (the LIS or middleware
// answering the instrument), compared ignoring case.
var hostNames = []string{"LIS", "LIS1", "LIS2", "HOST", "LIMS", "SERVER", "LIS HOST", "HOST LIS", "LIS SERVER", "HOST COMPUTER", "LABHOST", "LAB HOST", "HIS"}

func isHostName(b []byte) bool {
	for _, h := range hostNames {
		if bytes.EqualFold(b, []byte(h)) {
			return true
		}
	}
	return false
}

// role guesses which end sent the Header: "host" when its sender name is a
// generic host name, "instrument" when it is any other name (or when it is
// empty but the receiver is a generic host name), "" when nothing tells.
func (dd *Dissector) role(f [][]byte, d delims) string {
	name := dd.clean(component(f[hSender-1], d, 1), d)
	switch {
	case isHostName(name):
		return "host"
	case len(name) > 0:
		return "instrument"
	case isHostName(dd.clean(component(f[hReceiver-1], d, 1), d)):
		return "instrument"
	}
	return ""
}

// fnv64 is FNV-1a, kept as a value so hashing allocates nothing.
type fnv64 uint64

func (h *fnv64) write(b []byte) {
	for _, c := range b {
		*h = (*h ^ fnv64(c)) * 1099511628211
	}
	*h = (*h ^ 0xff) * 1099511628211 // separator
}

// header reads a complete Header record of sd's direction and reports it,
// unless it repeats the last one reported for that direction.
func (s *stream) header(m *dissect.Meta, sd *side, framing string, bad bool, e observe.Emitter) {
	s.messages++
	rec := sd.buf
	d, ok := parseDelims(rec)
	if !ok {
		return
	}
	var f [numFields][]byte
	splitFields(rec, d, f[:])
	dd := s.d
	role := dd.role(f[:], d)
	checksum := ""
	if framing == "e1381" {
		checksum = "ok"
		if bad {
			checksum = "bad"
		}
	}
	h := fnv64(14695981039346656037)
	for _, n := range []int{hSender, hReceiver, hProcessing, hVersion} {
		h.write(dd.clean(f[n-1], d))
	}
	h.write([]byte(framing))
	h.write([]byte(checksum))
	if sd.reported && uint64(h) == sd.last {
		return
	}
	sd.reported, sd.last = true, uint64(h)

	o := &dd.obs
	m.Fill(o, "astm")
	sender := f[hSender-1]
	o.Add("astm.sender", dd.text(sender, d))
	// The components are only split out when there are some: a plain
	// sender name is astm.sender alone.
	if bytes.IndexByte(firstRep(sender, d), d.comp) >= 0 {
		o.Add("astm.sender_name", dd.text(component(sender, d, 1), d))
		o.Add("astm.sender_version", dd.text(component(sender, d, 2), d))
		o.Add("astm.sender_serial", dd.text(component(sender, d, 3), d))
	} else {
		o.Add("astm.sender_name", dd.text(sender, d))
	}
	o.Add("astm.receiver", dd.text(f[hReceiver-1], d))
	o.Add("astm.processing_id", dd.text(f[hProcessing-1], d))
	o.Add("astm.version", dd.text(f[hVersion-1], d))
	o.Add("astm.framing", framing)
	o.Add("astm.checksum", checksum)
	o.Add("astm.role", role)
	dd.emit(e, o)
}

// emit drops any field not on the allowlist and passes the rest on.
func (dd *Dissector) emit(e observe.Emitter, o *observe.Observation) {
	dd.Dropped += uint64(dissect.EmitAllowed(e, o, allowed))
}
